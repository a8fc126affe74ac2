"""The estimator protocol: declared parameters, parameters(), capabilities, the public list."""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest

import pymi
from pymi._params import (
    Integral,
    Interval,
    InvalidParameterType,
    Options,
    Real,
    make_constraint,
    validate_params,
)
from pymi.compression import PCA, Compressed
from pymi.estimators import KL, WKL, Capabilities, Estimator, Gaussian
from pymi.estimators._protocol import parameters_equal

METHODS = list(pymi.methods())

#: A value of the wrong kind for every named constraint and constraint class.
_BAD_BY_NAME = {
    "boolean": "yes",
    "random_state": "seed",
    "n_jobs": 1.5,
    "device": "tpu",
    "torch_device": "tpu",
}


def _bad_value(specs: list) -> object:
    """A value that every constraint in ``specs`` rejects."""
    for spec in specs:
        if isinstance(spec, str) and spec in _BAD_BY_NAME:
            return _BAD_BY_NAME[spec]
    for spec in specs:
        c = make_constraint(spec) if not hasattr(spec, "text") else None
        if isinstance(c, Interval):
            return -1 if c.left is None or c.left >= 0 else math.nan
        if isinstance(c, Options):
            return "no-such-option"
    return object()


def _cases() -> list[tuple[str, str, object]]:
    cases = []
    for name in METHODS:
        cls = pymi.methods()[name].cls
        for param, specs in cls.parameter_constraints().items():
            cases.append((name, param, _bad_value(list(specs))))
    return cases


def test_methods_lists_every_method_in_order():
    table = pymi.methods()
    assert list(table)[:7] == ["cksg", "kl", "wkl", "ksg", "kde", "gaussian", "mine"]
    for name, info in table.items():
        assert info.name == name == info.cls.name
        assert isinstance(info.capabilities, Capabilities)
        assert info.capabilities is info.cls.capabilities
        assert info.summary and "\n" not in info.summary
    with pytest.raises(TypeError):
        table["new"] = None  # type: ignore[index]  # read-only


def test_method_name_tuples_follow_the_flags():
    table = pymi.methods()
    assert pymi.ENTROPY_METHODS == tuple(n for n, i in table.items() if i.capabilities.entropy)
    assert pymi.MI_METHODS == tuple(n for n, i in table.items() if i.capabilities.mutual_information)
    assert pymi.DEFAULT_MI_METHOD in pymi.MI_METHODS
    assert pymi.DEFAULT_ENTROPY_METHOD in pymi.ENTROPY_METHODS
    assert inspect.signature(pymi.mutual_information).parameters["method"].default == pymi.DEFAULT_MI_METHOD


@pytest.mark.parametrize("method", METHODS)
def test_parameters_round_trip(method):
    est = pymi.make_estimator(method)
    params = est.parameters()
    assert set(params) == set(inspect.signature(type(est)).parameters)
    again = type(est)(**params)
    assert parameters_equal(again.parameters(), params)
    assert repr(again) == repr(est)


@pytest.mark.parametrize("method", METHODS)
def test_signature_is_explicit(method):
    # help() shows every option, the base ones included
    sig = inspect.signature(pymi.methods()[method].cls)
    kinds = {p.kind for p in sig.parameters.values()}
    assert inspect.Parameter.VAR_KEYWORD not in kinds
    assert "random_state" in sig.parameters and "base" in sig.parameters


@pytest.mark.parametrize(("method", "param", "bad"), _cases())
def test_every_declared_constraint_rejects_a_bad_value(method, param, bad):
    cls = pymi.methods()[method].cls
    with pytest.raises((TypeError, ValueError), match=rf"\b{param}\b.* must be|{param}="):
        cls(**{param: bad})


@pytest.mark.parametrize("method", METHODS)
def test_takes_k_flag_agrees_with_make_estimator(method):
    info = pymi.methods()[method]
    if info.capabilities.takes_k:
        assert pymi.make_estimator(method, k=3).parameters()["k"] == 3
    else:
        with pytest.raises(TypeError, match="takes none; drop k"):
            pymi.make_estimator(method, k=3)


@pytest.mark.parametrize("method", METHODS)
def test_entropy_flag_agrees_with_behaviour(method):
    info = pymi.methods()[method]
    x = np.random.default_rng(0).standard_normal((300, 2))
    if info.capabilities.entropy:
        assert np.isfinite(pymi.entropy(x, method).value)
    else:
        with pytest.raises(ValueError, match="for entropy"):
            pymi.entropy(x, method)
        with pytest.raises(TypeError, match="mutual information only"):
            pymi.make_estimator(method).entropy(x)


@pytest.mark.parametrize("method", [m for m in METHODS if not pymi.methods()[m].capabilities.needs_torch])
def test_discrete_flag_agrees_with_behaviour(method):
    rng = np.random.default_rng(1)
    y = np.repeat(np.arange(3), 100)
    x = rng.standard_normal((300, 2)) + y[:, None]
    assert pymi.methods()[method].capabilities.discrete_y
    assert np.isfinite(pymi.mutual_information(x, y, method, discrete_y=True).value)


@pytest.mark.parametrize("n_jobs", [2**31, 2**40])
def test_n_jobs_above_int_range_is_a_clear_error(n_jobs):
    with pytest.raises(ValueError, match=r"n_jobs=\d+ is more threads than the compiled kernels accept .*2\*\*31 - 1"):
        KL(n_jobs=n_jobs)
    with pytest.raises(ValueError, match="more threads than"):
        pymi.entropy(np.zeros((10, 1)), "kl", n_jobs=n_jobs)


def test_n_jobs_rule_is_shared():
    from pymi._validation import resolve_n_jobs

    assert KL(n_jobs=None).n_jobs == KL(n_jobs=0).n_jobs == -1
    assert resolve_n_jobs(-1) == resolve_n_jobs(None) >= 1
    assert KL(n_jobs=np.int64(2)).n_jobs == 2 and type(KL(n_jobs=np.int64(2)).n_jobs) is int


def test_values_are_normalised():
    est = WKL(k=np.int64(4), max_weight_norm=np.inf, whiten=np.bool_(False))
    assert type(est.k) is int and est.k == 4
    assert est.max_weight_norm == math.inf and est.whiten is False


def test_unknown_option_lists_the_valid_ones():
    with pytest.raises(TypeError, match=r"invalid option for method='gaussian': Gaussian takes no bandwidth; its options are \["):
        pymi.make_estimator("gaussian", bandwidth=1.0)


def test_unknown_method():
    with pytest.raises(ValueError, match=r"method must be one of \['cksg', 'kl', 'wkl', .*\]; got 'knn'"):
        pymi.make_estimator("knn")


def test_compressed_implements_the_protocol():
    rng = np.random.default_rng(2)
    z = rng.standard_normal((600, 2))
    x, y = z @ rng.standard_normal((2, 6)), z + rng.standard_normal((600, 2))
    comp = Compressed(Gaussian(), PCA(2), random_state=0)
    assert isinstance(comp, Estimator) and not comp.capabilities.entropy
    again = Compressed(**comp.parameters())
    assert parameters_equal(again.parameters(), comp.parameters())
    assert comp.estimate(x, y).value == again.mutual_information(x, y).value
    with pytest.raises(TypeError, match="mutual information only"):
        comp.estimate(x)
    with pytest.raises(TypeError, match="random_state must be"):
        Compressed(Gaussian(), PCA(2), random_state="seed")


def test_mine_implements_the_protocol():
    mine = pymi.estimators.MINE(hidden=[8, 8], max_epochs=3)
    assert mine.hidden == (8, 8)  # sequences normalised to tuples
    assert isinstance(mine, Estimator) and mine.capabilities.needs_torch
    assert parameters_equal(type(mine)(**mine.parameters()).parameters(), mine.parameters())


def test_subclass_with_supports_entropy_gets_matching_flags():
    class MIOnly(pymi.estimators.MIEstimator):
        supports_entropy = False

    assert not MIOnly.capabilities.entropy
    with pytest.raises(TypeError, match="mutual information only"):
        MIOnly().entropy(np.zeros((5, 1)))


def test_validate_params_messages():
    k = {"k": [Interval(Integral, 1, None, closed="left")]}
    assert validate_params({"k": np.int64(3)}, k) == {"k": 3}
    with pytest.raises(ValueError, match=r"^KL: k must be a positive integer; got 0$"):
        validate_params({"k": 0}, k, owner="KL")
    with pytest.raises(InvalidParameterType, match=r"k must be a positive integer; got 2.5 of type float"):
        validate_params({"k": 2.5}, k)
    with pytest.raises(TypeError, match=r"got True of type bool"):
        validate_params({"k": True}, k)
    frac = {"f": [Interval(Real, 0, 1, closed="neither"), None]}
    assert validate_params({"f": None}, frac) == {"f": None}
    with pytest.raises(ValueError, match=r"f must be a number in \(0, 1\) or None; got nan"):
        validate_params({"f": float("nan")}, frac)
    opt = {"p": [Options(str, {"raise", "omit"})]}
    with pytest.raises(ValueError, match=r"p must be one of \['omit', 'raise'\]; got 'drop'"):
        validate_params({"p": "drop"}, opt)
    with pytest.raises(ValueError, match="unknown parameter constraint"):
        make_constraint("positive")
    # wrong types are TypeErrors that callers catching ValueError also see
    assert issubclass(InvalidParameterType, TypeError) and issubclass(InvalidParameterType, ValueError)
