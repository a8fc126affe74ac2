"""Base class and input validation shared by all compressors.

A compressor maps samples of a high-dimensional variable to short codes,
``fit(x) -> self``, ``transform(x) -> ndarray (n, latent_dim)``, in the style of
scikit-learn. Mutual information is then estimated on the codes (Butakov et al.,
"Information Bottleneck Analysis of Deep Neural Networks via Lossy Compression",
ICLR 2024).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np

from .._torch import to_numpy

__all__ = ["Compressor", "NotFittedError", "check_float_array", "check_latent_dim"]


class NotFittedError(ValueError, AttributeError):
    """Raised when ``transform`` or ``inverse_transform`` is called before ``fit``."""


def check_latent_dim(latent_dim: Any, name: str = "latent_dim") -> int:
    """Validate a code size: a positive integer."""
    if isinstance(latent_dim, bool) or not isinstance(latent_dim, (int, np.integer)):
        msg = (
            f"{name} must be a positive int; got {latent_dim!r} of type {type(latent_dim).__name__}"
        )
        raise TypeError(msg)
    if latent_dim < 1:
        msg = f"{name} must be a positive int; got {name}={latent_dim}"
        raise ValueError(msg)
    return int(latent_dim)


def check_float_array(x: Any, name: str = "x", *, min_ndim: int = 2) -> np.ndarray:
    """Return ``x`` as a finite floating-point array with at least ``min_ndim`` dimensions.

    Raises
    ------
    TypeError
        If ``x`` does not have a floating-point dtype (integers, booleans, objects).
    ValueError
        If ``x`` has too few dimensions, no samples, or NaN / infinite entries.
    """
    arr = to_numpy(x)
    if not np.issubdtype(arr.dtype, np.floating):
        msg = (
            f"{name} must have a floating-point dtype; got dtype={arr.dtype}. "
            f"Convert it first, e.g. {name}.astype(np.float32) "
            "(scale 8-bit images to [0, 1] with / 255)"
        )
        raise TypeError(msg)
    if arr.ndim < min_ndim:
        msg = (
            f"{name} must have at least {min_ndim} dimensions (samples first); "
            f"got {name}.shape={arr.shape}. Reshape a single feature with {name}.reshape(-1, 1)"
        )
        raise ValueError(msg)
    if arr.shape[0] == 0:
        msg = f"{name} has no samples; got {name}.shape={arr.shape}"
        raise ValueError(msg)
    finite = np.isfinite(arr)
    if not finite.all():
        n_nan = int(np.isnan(arr).sum())
        n_inf = int(arr.size - finite.sum() - n_nan)
        bad_rows = int((~finite.reshape(arr.shape[0], -1)).any(axis=1).sum())
        msg = (
            f"{name} contains {n_nan} NaN and {n_inf} infinite values in {bad_rows} of "
            f"{arr.shape[0]} rows; drop those rows (e.g. {name}[np.isfinite({name}).reshape(len({name}), -1).all(1)]) "
            "before compressing"
        )
        raise ValueError(msg)
    return arr


class Compressor(ABC):
    """Base class of the compressors: scikit-learn-style ``fit`` / ``transform``.

    Subclasses implement :meth:`_fit`, :meth:`_transform` and optionally
    :meth:`_inverse_transform`; this class handles the fitted state and the
    shared validation.

    Attributes
    ----------
    latent_dim : int
        Number of code dimensions produced by :meth:`transform`.
    """

    latent_dim: int

    def __init__(self, latent_dim: int) -> None:
        self.latent_dim = check_latent_dim(latent_dim)
        self._fitted = False
        self._feature_shape: tuple[int, ...] | None = None

    # -- public API -------------------------------------------------------------------
    def fit(self, x: np.ndarray) -> Compressor:
        """Fit the compressor on the samples ``x`` (samples first). Returns ``self``."""
        self._fitted = False  # a failed refit must not leave a half-updated fitted state
        arr = self._validate(x, fitting=True)
        self._fit(arr)
        self._fitted = True
        return self

    def transform(self, x: np.ndarray) -> np.ndarray:
        """Encode ``x`` into codes of shape ``(n_samples, latent_dim)``, dtype float32."""
        self._check_fitted("transform")
        arr = self._validate(x, fitting=False)
        codes = np.asarray(self._transform(arr), dtype=np.float32)
        return codes.reshape(arr.shape[0], self.latent_dim)

    def fit_transform(self, x: np.ndarray) -> np.ndarray:
        """Fit on ``x`` and return its codes (same as ``fit(x).transform(x)``)."""
        return self.fit(x).transform(x)

    def inverse_transform(self, codes: np.ndarray) -> np.ndarray:
        """Decode ``codes`` of shape ``(n, latent_dim)`` back to the input space (float32).

        The result has the per-sample shape of the data given to :meth:`fit`.
        """
        self._check_fitted("inverse_transform")
        c = check_float_array(codes, "codes")
        if c.ndim != 2 or c.shape[1] != self.latent_dim:
            msg = (
                f"codes must have shape (n_samples, latent_dim={self.latent_dim}); "
                f"got codes.shape={c.shape}"
            )
            raise ValueError(msg)
        out = np.asarray(self._inverse_transform(c), dtype=np.float32)
        return out.reshape((c.shape[0], *(self._feature_shape or ())))

    @property
    def is_fitted(self) -> bool:
        """Whether :meth:`fit` has been called."""
        return self._fitted

    # -- hooks ------------------------------------------------------------------------
    @abstractmethod
    def _fit(self, x: np.ndarray) -> None: ...

    @abstractmethod
    def _transform(self, x: np.ndarray) -> np.ndarray: ...

    @abstractmethod
    def _inverse_transform(self, codes: np.ndarray) -> np.ndarray: ...

    def _validate(self, x: Any, *, fitting: bool) -> np.ndarray:
        """Check dtype / finiteness and that the per-sample shape matches the fitted one."""
        arr = check_float_array(x, "x")
        if fitting:
            self._feature_shape = tuple(arr.shape[1:])
        elif tuple(arr.shape[1:]) != self._feature_shape:
            msg = (
                f"x must have per-sample shape {self._feature_shape} as in fit; "
                f"got x.shape={arr.shape}"
            )
            raise ValueError(msg)
        return arr

    def _check_fitted(self, what: str) -> None:
        if not self._fitted:
            msg = (
                f"this {type(self).__name__} is not fitted yet; call fit(x) (or fit_transform) "
                f"before {what}"
            )
            raise NotFittedError(msg)

    def _params(self) -> dict[str, Any]:
        """Constructor parameters, for ``repr`` and for recording in ``Estimate.params``."""
        return {"latent_dim": self.latent_dim}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._params().items())
        return f"{type(self).__name__}({args})"
