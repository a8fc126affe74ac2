"""Warnings for MI estimates that break the bounds every true MI satisfies."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from pymi._plausibility import ImplausibleEstimateWarning, check_mi_plausible, label_entropy


def test_negative_beyond_uncertainty_warns_with_cause_and_method():
    with pytest.warns(ImplausibleEstimateWarning, match="negative beyond its uncertainty.*method='cksg'"):
        check_mi_plausible(-1.52, 0.03, method="wkl")


def test_negative_within_uncertainty_is_silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_mi_plausible(-0.05, 0.02, method="ksg")
        check_mi_plausible(-0.05, 0.001, method="cksg", interval=(-0.1, 0.0))


def test_above_label_entropy_warns():
    h = label_entropy(np.array([50, 50]))
    assert h == pytest.approx(np.log(2))
    with pytest.warns(ImplausibleEstimateWarning, match=r"exceeds H\(Y\) = 0.6931"):
        check_mi_plausible(1.2, 0.01, method="kl", label_entropy_nats=h)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_mi_plausible(0.70, 0.01, method="kl", label_entropy_nats=h)
