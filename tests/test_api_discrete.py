"""pymi.mutual_information with discrete_x / discrete_y flags routes to the discrete and mixed estimators."""

import numpy as np
import pytest

import pymi
from pymi.datasets.discrete import class_gaussian
from pymi.discrete import mutual_information_mixed


def test_discrete_x_is_the_mixed_entry_point():
    s = class_gaussian(3, 3000, separation=2.0, random_state=0)
    a = pymi.mutual_information(s.x, s.y, discrete_x=True, random_state=0)
    b = mutual_information_mixed(s.x, s.y, "cksg", discrete_x=True, random_state=0)
    assert a.value == b.value
    # Ross (2014) on either side: the same labels, the same estimate
    c = pymi.mutual_information(s.y, s.x, discrete_y=True, random_state=0)
    assert c.value == pytest.approx(a.value)


def test_two_discrete_sides_give_the_plug_in_value():
    rng = np.random.default_rng(0)
    n = 20000
    a = rng.integers(0, 3, n)
    b = (a + rng.integers(0, 2, n)) % 3  # H(B) = log 3, H(B | A) = log 2
    est = pymi.mutual_information(a, b, discrete_x=True, discrete_y=True)
    # plug-in with Miller-Madow: bias O(1/n), sd ~ 0.01 at this n
    assert est.value == pytest.approx(np.log(3) - np.log(2), abs=0.03)
    assert est.params["discrete_x"] and est.params["discrete_y"]


def test_discrete_y_alone_keeps_the_labels_path():
    s = class_gaussian(3, 2000, separation=2.0, random_state=1)
    est = pymi.mutual_information(s.y, s.x, discrete_y=True, method="ksg", random_state=0)
    assert est.method == "ksg"
    assert "discrete_x" not in est.params


def test_compress_with_discrete_flags_is_refused():
    s = class_gaussian(2, 500, separation=2.0, random_state=0)
    with pytest.raises(ValueError, match="compress='pca' applies to continuous x and y"):
        pymi.mutual_information(s.x, s.y, discrete_x=True, compress="pca")


def test_mixed_methods_by_name():
    rng = np.random.default_rng(1)
    n = 5000
    z = rng.standard_normal(n)
    x = np.where(rng.random(n) < 0.5, 0.0, z)  # an atom at 0 (ties)
    y = x + rng.standard_normal(n)
    est = pymi.mutual_information(x, y, "mixed_ksg", random_state=2)
    assert est.method == "mixed_ksg"
    a = rng.integers(0, 4, n)
    plug = pymi.mutual_information(a, a, "plugin", discrete_x=True, discrete_y=True, correction="none")
    assert plug.value == pytest.approx(np.log(4), abs=0.01)  # I(A; A) = H(A), 4 near-equal states
