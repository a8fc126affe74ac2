"""Run independent tasks in-process or on a Dask distributed cluster.

One function, :func:`map_tasks`, serves every experiment driver (``pymi bench``,
``pymi sweep``): the driver owns its result files and receives each task's result
in its own process through ``on_result``; the tasks only compute. With one worker
and no scheduler the tasks run in this process, in order; otherwise on an embedded
:class:`distributed.LocalCluster` (one single-threaded worker process per core asked
for) or on an existing cluster reached by its scheduler address.

A worker that dies (killed, out of memory, a crash in native code) loses nothing:
the scheduler runs its unfinished tasks again on the other workers (Rocklin, "Dask:
Parallel Computation with Blocked algorithms and Task Scheduling", SciPy 2015), and
``on_result`` is called once per task, for the attempt that finished. Exceptions
raised by the task itself are not retried (they would fail the same way again): the
first one is re-raised in the driver, its note naming the task.
"""

from __future__ import annotations

import contextlib
import os
import reprlib
import sys
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

__all__ = ["default_workers", "map_tasks"]

T = TypeVar("T")
R = TypeVar("R")

#: Environment variables that fix the thread pools of OpenMP, OpenBLAS and MKL to one
#: thread in a worker process (read when those libraries start, e.g. on ``import torch``).
_ONE_THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def default_workers() -> int:
    """The number of CPU cores this process may run on (its affinity mask on Linux)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def map_tasks(
    fn: Callable[[T], R],
    tasks: Iterable[T],
    *,
    workers: int = 1,
    scheduler: str | None = None,
    on_result: Callable[[T, R], Any],
    description: str = "tasks",
) -> None:
    """Call ``fn(task)`` for every task and hand each result to ``on_result`` in this process.

    Parameters
    ----------
    fn : callable
        A function of one task. With more than one worker or a scheduler it runs in
        other processes, so it and the tasks must be picklable (a module-level
        function; Dask's cloudpickle also takes closures) and should return a small
        result (rows, not models). A worker process limits BLAS, OpenMP and PyTorch
        to one thread (and keeps that limit), so that ``workers`` processes on as
        many cores do not oversubscribe them.
    tasks : iterable
        The tasks; each is passed to ``fn`` unchanged.
    workers : int, default 1
        ``1`` (and no ``scheduler``): run in this process, in the order of ``tasks``.
        ``N > 1``: start a :class:`distributed.LocalCluster` of ``N`` single-threaded
        worker processes for the call and close it afterwards.
    scheduler : str, optional
        Address of a running Dask scheduler (``"tcp://10.0.0.5:8786"``, as printed by
        ``dask scheduler`` or ``cluster.scheduler_address``): run on its workers.
        Leave ``workers`` at 1; the cluster decides how many workers there are.
    on_result : callable
        ``on_result(task, result)``, called in this process as results arrive, exactly
        once per task (in the order of ``tasks`` in-process, in order of completion
        on a cluster). The only place that should write result files.
    description : str, default "tasks"
        What the tasks are, for the progress bar and for error messages.

    Raises
    ------
    TypeError, ValueError
        For arguments of the wrong type or value (the message says which and the fix).
    ConnectionError
        If no scheduler answers at ``scheduler``.
    ImportError
        If a cluster is asked for and ``dask[distributed]`` is not installed.
    Exception
        The first exception a task raised, re-raised with a note naming the task;
        remaining tasks are cancelled. A task whose workers died repeatedly (more than
        ``distributed.scheduler.allowed-failures`` times, default 3) raises
        :class:`distributed.KilledWorker`.

    Notes
    -----
    Results already handed to ``on_result`` stay valid when a later task fails or the
    call is interrupted, so a driver that skips finished tasks on its next start
    resumes where it stopped.

    Examples
    --------
    >>> from pymi.engine import map_tasks
    >>> results = {}
    >>> map_tasks(abs, [-2, 3], on_result=results.__setitem__)
    >>> results
    {-2: 2, 3: 3}
    """
    _check_args(fn, workers, scheduler, on_result, description)
    tasks = list(tasks)
    if not tasks:
        return
    with _progress(len(tasks), description) as bar:
        if workers == 1 and scheduler is None:
            _map_serial(fn, tasks, on_result, description, bar)
        else:
            _map_distributed(fn, tasks, workers, scheduler, on_result, description, bar)


# ----------------------------------------------------------------- arguments


def _check_args(fn: Any, workers: Any, scheduler: Any, on_result: Any, description: Any) -> None:
    if not callable(fn):
        msg = f"fn must be a callable of one task; got {type(fn).__name__} {fn!r}"
        raise TypeError(msg)
    if not callable(on_result):
        msg = (
            "on_result must be a callable on_result(task, result) that stores each result; "
            f"got {type(on_result).__name__} {on_result!r}"
        )
        raise TypeError(msg)
    if isinstance(workers, bool) or not isinstance(workers, int):
        msg = (
            f"workers must be an int >= 1 (1 runs in this process); got "
            f"{type(workers).__name__} {workers!r}"
        )
        raise TypeError(msg)
    if workers < 1:
        msg = (
            f"workers must be >= 1 (1 runs in this process, N > 1 starts N worker processes); "
            f"got workers={workers}"
        )
        raise ValueError(msg)
    if scheduler is not None:
        if not isinstance(scheduler, str):
            msg = (
                "scheduler must be the address of a Dask scheduler as a string, e.g. "
                f"'tcp://10.0.0.5:8786'; got {type(scheduler).__name__} {scheduler!r}"
            )
            raise TypeError(msg)
        if not scheduler.strip() or any(c.isspace() for c in scheduler):
            msg = (
                "scheduler must be the address of a Dask scheduler such as 'tcp://10.0.0.5:8786' "
                f"(what `dask scheduler` prints); got {scheduler!r}"
            )
            raise ValueError(msg)
        if workers != 1:
            msg = (
                f"workers={workers} and scheduler={scheduler!r} were both given: the cluster at "
                "the scheduler has its own workers; leave workers at 1 (or drop scheduler to "
                f"start {workers} local workers)"
            )
            raise ValueError(msg)
    if not isinstance(description, str):
        msg = f"description must be a str such as 'ib runs'; got {type(description).__name__}"
        raise TypeError(msg)


# ------------------------------------------------------------------ progress


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def write(self, text: str) -> None:
        print(text, file=sys.stderr)


@contextlib.contextmanager
def _progress(total: int, description: str) -> Iterator[Any]:
    """A tqdm bar counting finished tasks (shown on a terminal only), or a stand-in."""
    try:
        from tqdm.auto import tqdm
    except ImportError:  # tqdm comes with the torch/bench/distributed extras
        yield _NoBar()
        return
    bar = tqdm(total=total, desc=description, unit="task", disable=None, dynamic_ncols=True)
    try:
        yield bar
    finally:
        bar.close()


_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 160


def _name(task: Any, index: int, total: int, description: str) -> str:
    return f"{description} task {index + 1} of {total}: {_REPR.repr(task)}"


def _add_note(err: BaseException, note: str) -> None:
    if hasattr(err, "add_note"):  # Python >= 3.11 (PEP 678)
        err.add_note(note)


# ------------------------------------------------------------------ in-process


def _map_serial(
    fn: Callable[[Any], Any],
    tasks: list[Any],
    on_result: Callable[[Any, Any], Any],
    description: str,
    bar: Any,
) -> None:
    for i, task in enumerate(tasks):
        try:
            result = fn(task)
        except Exception as err:
            _add_note(err, f"raised by {_name(task, i, len(tasks), description)}")
            raise
        on_result(task, result)
        bar.update(1)


# ------------------------------------------------------------------ on Dask


class _Opaque:
    """A task as one object, so that Dask does not look into it (a tuple whose first item
    is callable would otherwise be read as a task of its graph)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __getstate__(self) -> Any:
        return self.value

    def __setstate__(self, value: Any) -> None:
        self.value = value


def _call_in_worker(fn: Callable[[Any], Any], task: _Opaque) -> Any:
    """Run ``fn(task.value)`` in a worker process with BLAS, OpenMP and PyTorch on one thread.

    The limits stay in place after the task: a worker process runs one task per
    thread, and restoring process-wide thread pools while another task runs would
    lift its limit.
    """
    from threadpoolctl import threadpool_limits

    for var in _ONE_THREAD_ENV:  # for libraries that ``fn`` loads for the first time
        os.environ[var] = "1"
    threadpool_limits(limits=1)
    torch = sys.modules.get("torch")
    if torch is not None and torch.get_num_threads() != 1:
        torch.set_num_threads(1)
    return fn(task.value)


def _map_distributed(
    fn: Callable[[Any], Any],
    tasks: list[Any],
    workers: int,
    scheduler: str | None,
    on_result: Callable[[Any, Any], Any],
    description: str,
    bar: Any,
) -> None:
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError as err:
        msg = (
            f"running on {'the scheduler ' + repr(scheduler) if scheduler else f'{workers} workers'} "
            'needs Dask distributed: pip install "pymi[distributed]" (or pass workers=1 to run '
            "in this process)"
        )
        raise ImportError(msg) from err

    with contextlib.ExitStack() as stack:
        if scheduler is None:
            import dask

            # Dask's nanny sets MALLOC_TRIM_THRESHOLD_ in its workers; any explicit value
            # turns off glibc's dynamic mmap threshold, so that every large allocation is
            # a fresh mmap: PyTorch training ran 2x slower in such workers here.
            # ":0": the status server on a free port (8787 may be another cluster's).
            with dask.config.set(
                {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}
            ):
                cluster = stack.enter_context(
                    LocalCluster(
                        n_workers=workers,
                        threads_per_worker=1,
                        processes=True,
                        dashboard_address=":0",
                    )
                )
            client = stack.enter_context(Client(cluster))
        else:
            client = stack.enter_context(_connect(Client, scheduler))
            if not client.scheduler_info().get("workers"):
                bar.write(
                    f"waiting for workers to connect to {scheduler} (start them with "
                    f"`dask worker {scheduler}`)"
                )
        # keys unique on a shared scheduler; readable on its dashboard
        prefix = f"pymi-{'-'.join(description.split()) or 'task'}-{uuid.uuid4().hex[:8]}"
        futures = client.map(
            _call_in_worker,
            [fn] * len(tasks),
            [_Opaque(task) for task in tasks],
            key=[f"{prefix}-{i}" for i in range(len(tasks))],
            pure=False,
            retries=0,
        )
        index = {future: i for i, future in enumerate(futures)}
        pending = as_completed(futures)
        del futures
        try:
            for future in pending:
                i = index.pop(future)
                if future.status == "error":
                    err = future.exception()
                    tb = future.traceback()
                    note = f"raised by {_name(tasks[i], i, len(tasks), description)}"
                    if type(err).__name__ == "KilledWorker":
                        note += (
                            " (every worker that ran it died: out of memory, or a crash in the "
                            "task; raise the workers' memory or the Dask setting "
                            "distributed.scheduler.allowed-failures)"
                        )
                    _add_note(err, note)
                    raise err.with_traceback(tb)
                if future.status != "finished":  # cancelled: the scheduler went away
                    msg = (
                        f"{_name(tasks[i], i, len(tasks), description)} was {future.status} "
                        "(the scheduler or the connection to it went away); the results "
                        "received so far are stored: run the command again to continue"
                    )
                    raise RuntimeError(msg)
                on_result(tasks[i], future.result())
                bar.update(1)
        finally:
            if index:
                client.cancel(list(index))


@contextlib.contextmanager
def _connect(client_cls: Any, scheduler: str) -> Iterator[Any]:
    try:
        client = client_cls(scheduler)
    except (OSError, TimeoutError) as err:
        msg = (
            f"no Dask scheduler answered at scheduler={scheduler!r} ({type(err).__name__}: "
            f"{err}); start one with `dask scheduler` and workers with `dask worker "
            f"{scheduler}`, or leave scheduler unset to run on local workers"
        )
        raise ConnectionError(msg) from err
    with client:
        yield client
