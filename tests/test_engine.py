"""pymi.engine.map_tasks: in-process and on a real Dask LocalCluster (worker processes).

The cluster tests start real worker processes: the same results as in-process, a
worker killed in the middle loses no result and duplicates none, a task's exception
reaches the driver naming the task, and workers run BLAS / PyTorch on one thread.
"""

from __future__ import annotations

import collections
import os
import signal
import time
from pathlib import Path

import pytest

from pymi.engine import default_workers, map_tasks

distributed = pytest.importorskip("distributed")
dask = pytest.importorskip("dask")


def _square(task):
    time.sleep(0.05)  # long enough that both workers get tasks
    return {
        "task": task,
        "square": task * task,
        "pid": os.getpid(),
        "malloc_trim": os.environ.get("MALLOC_TRIM_THRESHOLD_"),
    }


def _die_once(task):
    """Kill this worker process the first time task 3 runs (a marker file says when)."""
    i, folder = task
    folder = Path(folder)
    with open(folder / f"attempts-{i}", "a") as fh:
        fh.write(f"{os.getpid()}\n")
    if i == 3 and not (folder / "killed").exists():
        (folder / "killed").write_text(str(os.getpid()))
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(0.1)
    return i * 10


def _fail_on_4(task):
    if task == 4:
        msg = f"bad value {task}"
        raise ValueError(msg)
    return task


def _threads(_task):
    import torch  # first imported here, after the worker limited the thread pools
    from threadpoolctl import threadpool_info

    return {
        "torch": torch.get_num_threads(),
        "pools": sorted({p["num_threads"] for p in threadpool_info()}),
        "env": os.environ.get("OMP_NUM_THREADS"),
    }


def _collect(fn, tasks, **kwargs):
    got = []
    map_tasks(fn, tasks, on_result=lambda t, r: got.append((t, r)), **kwargs)
    return got


@pytest.fixture(scope="module")
def cluster():
    """Two single-threaded worker processes started with two threads per BLAS / OpenMP
    pool, so that the one-thread limit of the engine is what the tests see."""
    with dask.config.set(
        {
            "distributed.nanny.pre-spawn-environ": {
                "OMP_NUM_THREADS": 2,
                "OPENBLAS_NUM_THREADS": 2,
                "MKL_NUM_THREADS": 2,
            }
        }
    ):
        with distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cl:
            yield cl


def test_in_process_runs_in_order_here():
    got = _collect(_square, [3, 1, 2])
    assert [t for t, _ in got] == [3, 1, 2]
    assert [r["square"] for _, r in got] == [9, 1, 4]
    assert {r["pid"] for _, r in got} == {os.getpid()}


def test_embedded_local_cluster_gives_the_serial_results():
    tasks = list(range(8))
    serial = _collect(_square, tasks)
    parallel = _collect(_square, tasks, workers=2, description="squares")
    assert sorted(t for t, _ in parallel) == tasks  # every task once
    by_task = {t: r for t, r in parallel}
    assert [by_task[t]["square"] for t in tasks] == [r["square"] for _, r in serial]
    pids = {r["pid"] for r in by_task.values()}
    assert os.getpid() not in pids  # ran in worker processes
    assert len(pids) == 2  # on both of them
    # without Dask's MALLOC_TRIM_THRESHOLD_, which made PyTorch work 2x slower
    assert {r["malloc_trim"] for r in by_task.values()} == {None}


def test_existing_scheduler_gives_the_serial_results(cluster):
    tasks = list(range(6))
    got = _collect(_square, tasks, scheduler=cluster.scheduler_address)
    assert sorted((t, r["square"]) for t, r in got) == [(t, t * t) for t in tasks]


def _call_pair(task):
    func, arg = task
    return func(arg)


def test_tasks_reach_fn_unchanged(cluster):
    # a tuple led by a callable is a task in Dask's graph language; it must stay data
    got = _collect(_call_pair, [(abs, -3), (len, "ab")], scheduler=cluster.scheduler_address)
    assert sorted(r for _, r in got) == [2, 3]


def test_workers_run_blas_and_torch_on_one_thread(cluster):
    pytest.importorskip("torch")
    pytest.importorskip("threadpoolctl")
    [(_, result)] = _collect(_threads, [0], scheduler=cluster.scheduler_address)
    assert result == {"torch": 1, "pools": [1], "env": "1"}


def test_task_exception_is_reraised_naming_the_task(cluster):
    got = []
    with pytest.raises(ValueError, match=r"bad value 4") as info:
        map_tasks(
            _fail_on_4,
            range(6),
            scheduler=cluster.scheduler_address,
            on_result=lambda t, r: got.append(t),
            description="demo",
        )
    assert "raised by demo task 5 of 6: 4" in info.value.__notes__
    assert 4 not in got


def test_in_process_exception_names_the_task():
    with pytest.raises(ValueError, match=r"raised by tasks task 5 of 6: 4"):
        map_tasks(_fail_on_4, range(6), on_result=lambda t, r: None)


def test_killed_worker_loses_no_result_and_duplicates_none(cluster, tmp_path):
    # runs last among the cluster tests: it kills one of the fixture's workers
    tasks = [(i, str(tmp_path)) for i in range(8)]
    calls = collections.Counter()
    results = {}

    def store(task, result):
        calls[task[0]] += 1
        results[task[0]] = result

    map_tasks(_die_once, tasks, scheduler=cluster.scheduler_address, on_result=store)
    killed_pid = int((tmp_path / "killed").read_text())
    attempts = (tmp_path / "attempts-3").read_text().split()
    assert attempts[0] == str(killed_pid) and len(attempts) == 2  # run again after the kill
    assert calls == {i: 1 for i in range(8)}
    assert results == {i: 10 * i for i in range(8)}


def test_empty_task_list_starts_nothing():
    map_tasks(_square, [], workers=2, on_result=pytest.fail)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"workers": 0}, ValueError, r"workers must be >= 1 .*got workers=0"),
        ({"workers": 2.0}, TypeError, r"workers must be an int >= 1 .*got float 2.0"),
        ({"workers": True}, TypeError, r"workers must be an int >= 1 .*got bool True"),
        ({"scheduler": 8786}, TypeError, r"scheduler must be the address .*got int 8786"),
        ({"scheduler": ""}, ValueError, r"scheduler must be the address .*got ''"),
        (
            {"scheduler": "tcp://h:1", "workers": 4},
            ValueError,
            r"workers=4 and scheduler='tcp://h:1' were both given.*leave workers at 1",
        ),
        ({"description": 3}, TypeError, r"description must be a str"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        map_tasks(_square, [1], on_result=lambda t, r: None, **kwargs)


def test_callables_are_checked():
    with pytest.raises(TypeError, match=r"fn must be a callable of one task; got int"):
        map_tasks(3, [1], on_result=lambda t, r: None)
    with pytest.raises(TypeError, match=r"on_result must be a callable on_result\(task, result\)"):
        map_tasks(_square, [1], on_result=None)


def test_unreachable_scheduler_is_a_connection_error():
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        with pytest.raises(
            ConnectionError,
            match=r"no Dask scheduler answered at scheduler='tcp://127.0.0.1:9'.*dask scheduler",
        ):
            map_tasks(_square, [1], scheduler="tcp://127.0.0.1:9", on_result=lambda t, r: None)


def test_default_workers_counts_usable_cores():
    assert 1 <= default_workers() <= (os.cpu_count() or 1)
