"""The functional API: ``pymi.entropy`` and ``pymi.mutual_information``."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Mapping
from typing import Any

import numpy as np

from ._estimate import Estimate
from ._validation import check_same_length, close_names, hint_transposed
from .estimators import Estimator
from .estimators._registry import MethodInfo, entropy_methods, get_method, methods, mi_methods

__all__ = [
    "DEFAULT_ENTROPY_METHOD",
    "DEFAULT_MI_METHOD",
    "ENTROPY_METHODS",
    "MI_METHODS",
    "entropy",
    "make_estimator",
    "methods",
    "mutual_information",
]

#: The method ``pymi.mutual_information`` uses when none is given: calibrated KSG,
#: chosen by its accuracy on the hard-distribution suite (``pymi bench --preset hard``).
DEFAULT_MI_METHOD = "cksg"
#: The method ``pymi.entropy`` uses when none is given.
DEFAULT_ENTROPY_METHOD = "wkl"

#: Names of the methods that estimate entropy / mutual information (from their capabilities).
ENTROPY_METHODS: tuple[str, ...] = entropy_methods()
MI_METHODS: tuple[str, ...] = mi_methods()

#: Options of :func:`mutual_information` that configure compression, not the estimator.
_COMPRESS_OPTIONS = ("shared", "train_fraction", "cross_fit", "compressor_options")


def _registry() -> dict[str, type[Estimator]]:
    """Method name -> class; kept for ``pymi.bench.tasks`` (use :func:`pymi.methods`)."""
    return {name: info.cls for name, info in methods().items()}


def make_estimator(method: str, *, k: int | None = None, **options: Any) -> Estimator:
    """Build the estimator object for ``method`` with ``options``.

    Parameters
    ----------
    method : str
        A name in :func:`pymi.methods`.
    k : int, optional
        Neighbour count, for the methods with ``capabilities.takes_k``.
    **options
        Constructor arguments of the method's class (see ``pymi.methods()[method].cls``).

    Raises
    ------
    ValueError
        For an unknown method, or an option value the class rejects.
    TypeError
        For ``k`` with a method that takes none, an option the class does not
        take, or an option value of the wrong type.
    """
    info = get_method(method)
    if k is not None:
        if not info.capabilities.takes_k:
            msg = f"k is a neighbour count and method={method!r} takes none; drop k=..."
            raise TypeError(msg)
        options["k"] = k
    _check_options(info, options, extra=("method", "k"))
    return info.cls(**options)


#: Option names other libraries use, mapped to pymi's (the rest is found by spelling).
_ALIASES = {
    "n_neighbors": "k",
    "n_neighbours": "k",
    "neighbors": "k",
    "neighbours": "k",
    "n_neighbor": "k",
    "knn": "k",
    "seed": "random_state",
    "random_seed": "random_state",
    "rng": "random_state",
    "threads": "n_jobs",
    "n_threads": "n_jobs",
    "num_threads": "n_jobs",
    "workers": "n_jobs",
    "n_workers": "n_jobs",
    "unit": "base",
    "units": "base",
    "log_base": "base",
    "whitening": "whiten",
    "gpu": "device",
    "use_gpu": "device",
    "discrete": "discrete_y",
    "discrete_target": "discrete_y",
    "compression": "compress",
    "n_components": "latent_dim",
    "code_size": "latent_dim",
}


def _check_options(info: MethodInfo, options: dict[str, Any], extra: tuple[str, ...] = ()) -> None:
    """Refuse options the method's class does not take, suggesting the option probably meant.

    ``extra`` are the calling function's own keyword arguments (``k``,
    ``base``, ``discrete_y``, ...), also candidates for a misspelt name.
    """
    names = info.cls._parameter_names()
    unknown = sorted(set(options) - set(names))
    if not unknown:
        return
    candidates = tuple(dict.fromkeys((*names, *extra)))
    hints = []
    for name in unknown:
        close = close_names(name, candidates, _ALIASES)
        others = [m for m, other in methods().items() if m != info.name and name in other.cls._parameter_names()]
        if close:
            hints.append(f"{name}: did you mean {' or '.join(close)}?")
        elif others:
            hints.append(f"{name} is an option of method {' or '.join(repr(m) for m in others)}")
    msg = (
        f"invalid option for method={info.name!r}: {info.cls.__name__} takes no "
        f"{', '.join(unknown)}; its options are {list(names)}"
        f"{' (' + '; '.join(hints) + ')' if hints else ''}"
    )
    raise TypeError(msg)


def _own_names(func: Any) -> tuple[str, ...]:
    """The named keyword arguments of ``func`` (candidates for a misspelt option)."""
    return tuple(
        p.name for p in inspect.signature(func).parameters.values() if p.kind is not p.VAR_KEYWORD
    )


def entropy(x: Any, method: str = DEFAULT_ENTROPY_METHOD, *, k: int | None = None, base: str = "nats", **options: Any) -> Estimate:
    """Estimate the differential entropy h(X), in nats by default.

    Parameters
    ----------
    x : array_like, shape (n_samples, ...)
        Samples, one per row (numpy array or torch tensor, float32 or float64);
        trailing dimensions are flattened, shape (n,) is one feature.
    method : str, default "wkl"
        A method with ``capabilities.entropy`` in :func:`pymi.methods`:
        ``"wkl"`` (weighted Kozachenko–Leonenko, Berrett, Samworth & Yuan, Ann.
        Statist. 2019), ``"kl"`` (Kozachenko & Leonenko, 1987), ``"kde"``
        (leave-one-out Gaussian KDE) or ``"gaussian"`` (plug-in); default
        :data:`DEFAULT_ENTROPY_METHOD`.
    k : int, optional
        Neighbour order of the kNN methods (default 5; wkl needs k at least as
        large as the dimension asks, the error names it).
    base : {"nats", "bits", "dits"}, default "nats"
        Unit of the result.

    Other Parameters
    ----------------
    whiten : bool, default True
        Whiten ``x`` with its covariance first and add back 1/2 log det of the
        covariance (Butakov et al., ICLR 2024); kl, wkl and kde.
    backend : {"auto", "kdtree", "brute", "faiss", "cuda"}, default "auto"
        Neighbour-search engine of kl and wkl ("faiss" needs ``pymi[faiss]``).
    max_weight_norm : float, default 50
        wkl: largest L1 norm of the weights accepted (see :class:`pymi.estimators.WKL`).
    bandwidth : {"ml", "lscv"} or float, default "ml"
        kde: bandwidth selection (maximum leave-one-out likelihood or least-squares
        cross-validation) or a fixed bandwidth in whitened units.
    nan_policy : {"raise", "omit"}, default "raise"
        ``"omit"`` drops the rows that hold a NaN or inf.
    ties : {"jitter", "raise"}, default "jitter"
        Duplicate rows (zero neighbour distances): add tiny Gaussian noise and
        warn (:class:`pymi.TiesWarning`), or raise.
    jitter_scale : float, optional
        Noise for ``ties="jitter"`` in units of each column's standard deviation
        (default 1e-10, at least 64 float steps).
    random_state : None, int, numpy.random.Generator or numpy.random.SeedSequence
        Seed of every random step (jitter, subsampling).
    n_jobs : int or None, default -1
        Threads of the compiled kernels: -1, 0 or None for all cores, else a
        positive integer (at most 2**31 - 1).
    device : {"auto", "cpu", "cuda"}, default "auto"
        Where the kernels run; "auto" uses a GPU when pymi was built with CUDA
        and one is visible.

    Returns
    -------
    Estimate
        ``value`` and ``stderr`` in ``base`` units; ``params`` records what was used.

    Raises
    ------
    ValueError
        For an unknown method, or data the method cannot use (NaN under
        ``nan_policy="raise"``, constant columns, too few rows); the message
        says how to fix it.
    TypeError
        For an option the method does not take (the message suggests the
        option probably meant, e.g. ``k`` for ``n_neighbors``) or non-float data.

    See Also
    --------
    mutual_information : I(X; Y) with the same options.
    pymi.estimators.WKL, pymi.estimators.KL, pymi.estimators.KDE, pymi.estimators.Gaussian :
        the estimator classes (the same options as constructor arguments).

    Examples
    --------
    >>> import numpy as np, pymi
    >>> x = np.random.default_rng(0).standard_normal((2000, 2))
    >>> est = pymi.entropy(x)          # true value log(2 pi e) = 2.838 nats
    >>> bool(abs(est.value - 2.838) < 0.1)
    True
    >>> est_bits = pymi.entropy(x, "kl", k=3, base="bits", random_state=0, n_jobs=1)
    >>> est_bits.unit
    'bits'
    """
    info = get_method(method)
    if not info.capabilities.entropy:
        msg = f"method must be one of {list(entropy_methods())} for entropy; got {method!r}"
        raise ValueError(msg)
    _check_options(info, options, extra=_own_names(entropy))
    est = make_estimator(method, k=k, base=base, **options)
    with hint_transposed(x=x):
        return est.entropy(x)


def mutual_information(
    x: Any,
    y: Any,
    method: str = DEFAULT_MI_METHOD,
    *,
    k: int | None = None,
    discrete_x: bool | Any = False,
    discrete_y: bool | Any = False,
    base: str = "nats",
    compress: str | None = None,
    latent_dim: int | tuple[int | None, int | None] | None = None,
    **options: Any,
) -> Estimate:
    """Estimate the mutual information I(X; Y), in nats by default.

    Parameters
    ----------
    x, y : array_like, shape (n_samples, ...)
        Row-aligned samples, one per row (numpy arrays or torch tensors, float32
        or float64); trailing dimensions are flattened, shape (n,) is one
        feature. With ``discrete_y=True``, ``y`` holds one class label per row.
    method : str, default "cksg"
        A method in :func:`pymi.methods`; default :data:`DEFAULT_MI_METHOD`,
        ``"cksg"``: KSG on normal scores calibrated against a Gaussian reference
        of the same covariance (:class:`pymi.estimators.CalibratedKSG`), which
        also returns an interval (``Estimate.interval``). ``"ksg"`` is Kraskov,
        Stögbauer & Grassberger (Phys. Rev. E 2004), algorithm 1; ``"kl"``,
        ``"wkl"`` and ``"kde"`` sum entropy terms, each whitened separately
        (Butakov et al., ICLR 2024); ``"gaussian"`` is the plug-in estimate;
        ``"mine"`` the neural Donsker–Varadhan bound of Belghazi et al. (ICML
        2018; needs PyTorch).
    k : int, optional
        Neighbour order of the kNN methods: default 2 for cksg (chosen on the
        hard-distribution suite), 5 for ksg, kl and wkl.
    discrete_x : bool or array_like of bool, default False
        ``x`` is discrete (True), or one flag per column of ``x`` (mixed). Any
        discrete ``x``, or per-column flags for ``y``, is estimated by
        :func:`pymi.discrete.mutual_information_mixed`: both sides discrete, the
        plug-in estimate with the Miller–Madow correction; one side discrete, the
        method with that side as labels (Ross 2014 for the kNN methods); some
        columns discrete, the mixed KSG of Gao, Kannan, Oh & Viswanath (NeurIPS 2017).
        ``method="plugin"`` or ``"mixed_ksg"`` take the same route; the plug-in's
        ``correction`` option is ``"miller_madow"`` (default) or ``"none"``.
    discrete_y : bool or array_like of bool, default False
        ``y`` holds class labels: I = h(X) - sum_y p(y) h(X | Y=y) (for ksg and
        cksg, the estimator of Ross, PLoS ONE 2014); or one flag per column of
        ``y`` (see ``discrete_x``).
    base : {"nats", "bits", "dits"}, default "nats"
        Unit of the result.
    compress : {None, "ae", "pca"}, default None
        Lossy compression before estimation (Butakov et al., ICLR 2024): an
        autoencoder ("ae": convolutional for images, MLP for vectors) or PCA.
        By default (``cross_fit=True``) the rows are split at random into two
        halves; compressors fitted on each half encode the other, the method
        estimates MI on each half's codes, and the result is the mean of the
        two (stderr ``sqrt(se1**2 + se2**2) / 2``; intervals combined as their
        hull), so all rows are scored by compressors that never saw them.
        ``cross_fit=False`` fits once on ``train_fraction`` (default 0.5) of
        the rows and estimates on the rest; passing ``train_fraction`` alone
        selects it. Needs ``latent_dim``. By the data-processing inequality the
        result estimates a lower bound of I(X; Y), tight when the encoder is
        injective on the data.
    latent_dim : int or (int or None, int or None), optional
        Code size with ``compress``, for both sides or per side (None keeps a
        side as is).

    Other Parameters
    ----------------
    nan_policy : {"raise", "omit"}, default "raise"
        ``"omit"`` drops every row with a NaN or inf in x or y (rows stay
        aligned; missing labels count too).
    ties : {"jitter", "raise"}, default "jitter"
        Duplicate rows (zero neighbour distances): add tiny Gaussian noise and
        warn (:class:`pymi.TiesWarning`), or raise.
    jitter_scale : float, optional
        Noise for ``ties="jitter"`` in units of each column's standard deviation
        (default 1e-10, at least 64 float steps).
    random_state : None, int, numpy.random.Generator or numpy.random.SeedSequence
        Seed of every random step (jitter, normal-score ties, Gaussian
        references, subsamples, compression, training): the same seed gives the
        same result.
    n_jobs : int or None, default -1
        Threads of the compiled kernels: -1, 0 or None for all cores, else a
        positive integer (at most 2**31 - 1).
    device : {"auto", "cpu", "cuda"}, default "auto"
        Where the kernels run; "auto" uses a GPU when pymi was built with CUDA
        and one is visible.
    backend : {"auto", "kdtree", "brute", "faiss", "cuda"}, default "auto"
        Neighbour-search engine of the kNN methods ("faiss" needs ``pymi[faiss]``).
    whiten : bool, default True
        kl, wkl, kde and ksg: whiten each term (each side for ksg) with its
        covariance first; ``False`` uses the data as given.
    n_references, copula, n_subsamples, interval_level, extrapolation_z
        cksg: Gaussian references averaged (default 1), normal scores first
        (default True), disjoint subsamples of the interval (default 4; 0 for
        none), its nominal coverage (default 0.9), and the z threshold of the
        neighbour-order extrapolation (default 3.0; None for none); see
        :class:`pymi.estimators.CalibratedKSG`.
    max_weight_norm : float, default 50
        wkl: largest L1 norm of the weights accepted (:class:`pymi.estimators.WKL`).
    bandwidth : {"ml", "lscv"} or float, default "ml"
        kde: bandwidth selection, or a fixed bandwidth in whitened units
        (:class:`pymi.estimators.KDE`).
    hidden, critic, conv_channels, lr, batch_size, max_epochs, max_steps, patience, validation_fraction, test_fraction, ema_decay, n_blocks, max_pairs, weight_decay, progress
        mine: the critic network and its training (:class:`pymi.estimators.MINE`);
        ``progress`` also shows the compressor's training.
    shared, cross_fit, train_fraction, compressor_options
        With ``compress``: one compressor for x and y (``shared=True``; by
        default shared by autoencoders when x and y are images of one shape, see
        :func:`pymi.compression.compress_pair`), the split described above, and
        a dict of compressor arguments (e.g. ``{"max_steps": 2000, "patience":
        10}``; see :mod:`pymi.compression`).

    Returns
    -------
    Estimate
        ``value``, ``stderr`` (and for cksg ``interval``) in ``base`` units;
        ``params`` records what was used. With ``compress``,
        ``params["compression"]`` records the compressors and the split (both
        fits under ``"folds"`` when cross-fitting), and ``n`` is the number of
        scored rows (all rows when cross-fitting).

    Raises
    ------
    ValueError
        For an unknown method, rows that do not match, data the method cannot
        use (NaN under ``nan_policy="raise"``, constant columns, too few rows;
        input that looks transposed gets a ``.T`` hint); the message says how
        to fix it.
    TypeError
        For an option the method does not take (the message suggests the
        option probably meant, e.g. ``k`` for ``n_neighbors``) or integer data
        without ``discrete_y``.

    See Also
    --------
    entropy : h(X) with the same options.
    pymi.methods : the methods and what each can do.
    pymi.estimators.CalibratedKSG : the default method as a class.

    Examples
    --------
    Correlated Gaussians, where I(X; Y) = -1/2 log(1 - rho**2) per dimension:

    >>> import numpy as np, pymi
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal((2000, 2))
    >>> y = 0.8 * x + 0.6 * rng.standard_normal((2000, 2))   # rho = 0.8: I = 1.022 nats
    >>> est = pymi.mutual_information(x, y, random_state=0)
    >>> bool(abs(est.value - 1.022) < 0.1)
    True
    >>> est.interval is not None       # the default method also gives an interval
    True

    Other methods and options, and class labels:

    >>> est = pymi.mutual_information(x, y, "ksg", k=3, base="bits", n_jobs=1)
    >>> labels = (x[:, 0] > 0).astype(int)        # a function of x: I = H(Y) = log 2
    >>> est = pymi.mutual_information(x, labels, "kl", discrete_y=True, random_state=0)
    >>> bool(abs(est.value - np.log(2)) < 0.05)
    True

    Compression (slow: trains on half the rows twice):

    >>> est = pymi.mutual_information(x, y, compress="pca", latent_dim=1)  # doctest: +SKIP
    """
    if (
        method in _MIXED_METHODS
        or not _is_flag(discrete_x, False)
        or not _is_flag(discrete_y, None)
    ):
        if compress is not None:
            msg = (
                f"compress={compress!r} applies to continuous x and y; got discrete_x="
                f"{discrete_x!r}, discrete_y={discrete_y!r}. Compress the continuous side "
                f"yourself (pymi.compression) or drop the discrete flags"
            )
            raise ValueError(msg)
        from .discrete import mutual_information_mixed

        return mutual_information_mixed(
            x, y, method, discrete_x=discrete_x, discrete_y=discrete_y, k=k, base=base, **options
        )
    info = get_method(method)
    caps = info.capabilities
    if not (caps.discrete_y if discrete_y else caps.mutual_information):
        usable = [
            name
            for name, other in methods().items()
            if (other.capabilities.discrete_y if discrete_y else other.capabilities.mutual_information)
        ]
        what = "class labels (discrete_y=True)" if discrete_y else "continuous y"
        msg = f"method={method!r} has no mutual information for {what}; use one of {usable}"
        raise ValueError(msg)
    compress_opts = {key: options.pop(key) for key in _COMPRESS_OPTIONS if key in options}
    # ``progress`` belongs to the torch-trained methods and to the compressors:
    # keep it for a method that takes it, hand it to the compressor otherwise.
    progress = options.get("progress")
    if compress is not None and "progress" not in info.cls._parameter_names():
        options.pop("progress", None)
    _check_options(info, options, extra=(*_own_names(mutual_information), *_COMPRESS_OPTIONS))
    est = make_estimator(method, k=k, base=base, **options)
    if compress is None:
        if latent_dim is not None or compress_opts:
            msg = (
                f"latent_dim and {sorted(compress_opts) or 'compression options'} only apply "
                f"with compress='ae' or 'pca'; got compress=None"
            )
            raise ValueError(msg)
        with hint_transposed(x=x, y=None if discrete_y else y):
            return est.mutual_information(x, y, discrete_y=discrete_y)
    if compress not in ("ae", "pca"):
        msg = f"compress must be None, 'ae' (autoencoder) or 'pca'; got compress={compress!r}"
        raise ValueError(msg)
    if latent_dim is None:
        msg = f"compress={compress!r} needs latent_dim (the code size, e.g. latent_dim=4)"
        raise ValueError(msg)
    import numpy as np

    from .compression import compress_pair

    if np.ndim(y) > 0 and np.shape(x)[:1] != np.shape(y)[:1]:
        # rows that do not match, with the .T hint, before any compressor is fitted
        check_same_length(_Shaped(np.shape(x)), y)

    x, y, n_dropped = _omit_nonfinite_rows(x, y, options.get("nan_policy", "raise"))
    compressor_options = compress_opts.get("compressor_options", {})
    if not isinstance(compressor_options, Mapping):
        msg = (
            f"compressor_options must be a dict of compressor keyword arguments, e.g. "
            f"{{'max_epochs': 50}}; got {compressor_options!r}"
        )
        raise TypeError(msg)
    # the estimator's seed, device and threads are the compressor's defaults;
    # compressor_options may set them apart
    shared_defaults = {
        "random_state": options.get("random_state"),
        "device": options.get("device", "auto"),
        "n_jobs": options.get("n_jobs"),
        "progress": progress,
    }
    # cross-fitting is the default; a train_fraction asks for a single split
    cross_fit = compress_opts.get("cross_fit", "train_fraction" not in compress_opts)
    if not isinstance(cross_fit, (bool, np.bool_)):
        msg = f"cross_fit must be True or False; got cross_fit={cross_fit!r}"
        raise TypeError(msg)
    if cross_fit and "train_fraction" in compress_opts:
        msg = (
            f"train_fraction={compress_opts['train_fraction']!r} applies to a single split; "
            "cross_fit=True fits on each half and estimates on the other. Pass "
            "cross_fit=False to use train_fraction, or drop train_fraction"
        )
        raise ValueError(msg)
    compressed = compress_pair(
        x,
        y,
        method=compress,
        latent_dim=latent_dim,
        discrete_y=discrete_y,
        shared=compress_opts.get("shared"),
        train_fraction=compress_opts.get("train_fraction", 0.5),
        cross_fit=cross_fit,
        **{**shared_defaults, **compressor_options},
    )
    if cross_fit:
        from .compression.compressed import combine_cross_fit, cross_fit_record

        first, second = compressed  # type: ignore[misc]
        result = combine_cross_fit(
            est.mutual_information(first.x, first.y, discrete_y=discrete_y),
            est.mutual_information(second.x, second.y, discrete_y=discrete_y),
        )
        compression = cross_fit_record(first, second)
    else:
        pair = compressed
        result = est.mutual_information(pair.x, pair.y, discrete_y=discrete_y)  # type: ignore[union-attr]
        compression = {**pair.params, "cross_fit": False}  # type: ignore[union-attr]
    params = {**result.params, "compression": compression, "n_dropped_nonfinite": n_dropped}
    return dataclasses.replace(result, params=params)


class _Shaped:
    """Stands in for an array in :func:`check_same_length`, which needs only its shape."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape


#: Methods served by :func:`pymi.discrete.mutual_information_mixed` only.
_MIXED_METHODS = ("plugin", "mixed_ksg")


def _is_flag(value: Any, flag: bool | None) -> bool:
    """Whether ``value`` is a plain boolean (equal to ``flag`` unless ``flag`` is None)."""
    if not isinstance(value, (bool, np.bool_)):
        return False
    return flag is None or bool(value) is flag


def _omit_nonfinite_rows(x: Any, y: Any, nan_policy: str) -> tuple[Any, Any, int]:
    """With ``nan_policy="omit"``, drop rows with NaN/inf in x or y before compression."""
    if nan_policy != "omit":
        return x, y, 0
    from ._torch import to_numpy
    from ._validation import check_same_length, drop_nonfinite_rows

    xa, ya = to_numpy(x), to_numpy(y)
    check_same_length(xa, ya)
    (xa, ya), dropped = drop_nonfinite_rows([("x", xa), ("y", ya)], nan_policy)
    return (x, y, 0) if dropped == 0 else (xa, ya, dropped)
