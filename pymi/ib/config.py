"""Configuration of the information-plane experiment (:func:`pymi.ib.run`).

One frozen dataclass holds every choice that shapes the numbers; it is written
to ``config.json`` in the run folder and compared on every resume.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

__all__ = ["RUNTIME_FIELDS", "IBConfig", "derive_seed"]

#: Fields that may change between sessions of the same run folder: where it lives,
#: where and with how many threads it runs, and how many epochs it goes on for.
#: (Bit-identical resumption additionally needs the same ``device`` and ``n_jobs``.)
RUNTIME_FIELDS = ("run_dir", "device", "n_jobs", "epochs", "progress")

# Tags that derive independent seeds from IBConfig.seed.
_SPLIT, _INPUT_AE, _MODEL, _SHUFFLE, _TORCH, _ESTIMATOR, _LAYER_AE = range(1, 8)

_DATA = ("mnist", "fashion")
_SPLITS = ("test", "train")
_LAYER_COMPRESSORS = ("pca", "mlp_ae")
_DEVICES = ("auto", "cpu", "cuda")


def derive_seed(seed: int, *tags: int) -> int:
    """An independent 31-bit seed for the stream named by ``tags`` (numpy SeedSequence)."""
    import numpy as np

    return int(np.random.SeedSequence([seed, *tags]).generate_state(1, np.uint32)[0] >> 1)


@dataclass(frozen=True)
class IBConfig:
    """Everything that defines one information-plane run (Butakov et al., ICLR 2024, sec. 6).

    The defaults are the documented run: the noisy CNN of Butakov et al. (ICLR 2024) trained on
    8,000 of the 10,000 MNIST test digits shipped with pymi and evaluated on the other
    2,000, for 150 epochs with Adam at ``lr=1e-3`` (the paper: 1e-5 for 300 epochs on
    the 60,000 training digits), batch 1024, multiplicative noise ``sigma=1e-3``, and per epoch
    I(X; L) and I(L; Y) for every layer from the Kozachenko--Leonenko estimator
    (k = 5) on 4-D codes. All MI values are in nats.

    Parameters
    ----------
    data : {"mnist", "fashion"}
        Handwritten digits or Fashion-MNIST (see :func:`pymi.datasets.load_mnist`).
    root : str, optional
        Folder with the IDX files; ``None`` uses the built-in locations (the embedded
        MNIST test split, ``/usr/share/datasets/fashion-mnist``).
    train_split, eval_split : {"test", "train"}
        IDX split the training and evaluation samples are drawn from. When both name
        the same split, the two sets are disjoint subsets of one seeded permutation.
    n_train : int, optional
        Training samples (``None``: all that remain after the evaluation set).
    n_eval : int
        Evaluation samples: the fixed set on which every MI is estimated.
    epochs : int
        Training epochs (epoch 0 is the untrained network, estimated too).
    lr : float
        Adam learning rate.
    batch_size : int
        Training mini-batch size.
    sigma : float
        Multiplicative noise level: ``x <- x + sigma * x * eps`` before every layer,
        on during training and evaluation.
    dropout : float
        Dropout rate on the inputs of the three convolutions (training only).
    estimator : str
        MI estimator, any name :func:`pymi.make_estimator` accepts (``"kl"``, ``"wkl"``,
        ``"ksg"``, ``"kde"``, ``"gaussian"``).
    k : int, optional
        Neighbour order for kNN estimators (ignored by the others).
    estimator_options : dict
        Extra keyword arguments for the estimator.
    label_estimator : str, optional
        Estimator of I(L; Y) alone (default: ``estimator``). ``"ksg"`` is the
        estimator of Ross (2014) for discrete labels, which cannot exceed its own
        digamma estimate of H(Y) and needs no class-conditional entropies (less
        biased with few samples per class); ``k`` applies to it too,
        ``estimator_options`` do not.
    layer_compressor : {"pca", "mlp_ae"}
        How each layer output L is compressed to L~: PCA refit every epoch on the
        evaluation outputs (the paper), or an MLP autoencoder, also refit every epoch.
    layer_dim : int
        Dimension of L~ (the paper: 4).
    layer_ae_epochs : int
        Training epochs of the per-layer MLP autoencoder (``layer_compressor="mlp_ae"``).
    input_dim : int
        Dimension of the input code X~ (the paper: 4).
    input_ae_epochs : int
        Maximum training epochs of the input conv autoencoder (sigmoid code, L1 loss),
        trained once on the training images and cached in the run folder.
    input_ae_batch_size : int
        Its mini-batch size.
    estimate_every : int
        Estimate MI at epochs 0, ``estimate_every``, ``2 * estimate_every``, ...
    device : {"auto", "cpu", "cuda"}
        Where the network trains (and the estimators run).
    seed : int
        Seeds the split, the autoencoders, the network, the batches and the noise.
    n_jobs : int
        CPU threads for PyTorch, OpenBLAS and the estimators (-1: all cores). Default 1:
        the network is too small to gain much from threads, and on a machine shared
        with other jobs multi-threaded OpenMP / BLAS made every step 3-10x slower in
        our measurements. Results are bit-identical only for the same ``n_jobs``.
    run_dir : str
        Output folder; rerunning with the same folder resumes.
    progress : bool, optional
        Progress bars (``None``: only on a terminal).
    """

    data: str = "mnist"
    root: str | None = None
    train_split: str = "test"
    eval_split: str = "test"
    n_train: int | None = 8000
    n_eval: int = 2000
    epochs: int = 150
    lr: float = 1e-3
    batch_size: int = 1024
    sigma: float = 1e-3
    dropout: float = 0.1
    estimator: str = "kl"
    k: int | None = 5
    estimator_options: dict[str, Any] = field(default_factory=dict)
    label_estimator: str | None = None
    layer_compressor: str = "pca"
    layer_dim: int = 4
    layer_ae_epochs: int = 30
    input_dim: int = 4
    input_ae_epochs: int = 20
    input_ae_batch_size: int = 256
    estimate_every: int = 1
    device: str = "auto"
    seed: int = 0
    n_jobs: int = 1
    run_dir: str = "runs/ib"
    progress: bool | None = None

    def __post_init__(self) -> None:
        _choice(self.data, "data", _DATA)
        _choice(self.train_split, "train_split", _SPLITS)
        _choice(self.eval_split, "eval_split", _SPLITS)
        _choice(self.layer_compressor, "layer_compressor", _LAYER_COMPRESSORS)
        _choice(self.device, "device", _DEVICES)
        if self.n_train is not None:
            _positive_int(self.n_train, "n_train")
        for name in (
            "n_eval",
            "epochs",
            "batch_size",
            "layer_dim",
            "layer_ae_epochs",
            "input_dim",
            "input_ae_epochs",
            "input_ae_batch_size",
            "estimate_every",
        ):
            _positive_int(getattr(self, name), name)
        if self.k is not None:
            _positive_int(self.k, "k")
        _nonneg_int(self.seed, "seed")
        from .._validation import check_n_jobs

        try:  # pymi's one thread-count rule (None and 0 mean all cores, like -1)
            check_n_jobs(self.n_jobs)
        except TypeError as err:
            raise ValueError(str(err)) from None
        _positive_float(self.lr, "lr")
        if not (
            isinstance(self.sigma, (int, float)) and math.isfinite(self.sigma) and self.sigma >= 0
        ):
            msg = f"sigma must be a finite number >= 0 (the paper: 1e-3); got sigma={self.sigma!r}"
            raise ValueError(msg)
        if not (isinstance(self.dropout, (int, float)) and 0 <= self.dropout < 1):
            msg = f"dropout must be in [0, 1); got dropout={self.dropout!r}"
            raise ValueError(msg)
        if not isinstance(self.estimator, str):
            msg = f"estimator must be a method name such as 'kl'; got {self.estimator!r}"
            raise TypeError(msg)
        if self.label_estimator is not None:
            from .._api import methods as registered

            methods = list(registered())
            if not isinstance(self.label_estimator, str):
                msg = (
                    f"label_estimator must be a method name such as 'ksg' (or None: the same as "
                    f"estimator); got {self.label_estimator!r}"
                )
                raise TypeError(msg)
            if self.label_estimator not in methods:
                msg = (
                    f"label_estimator must be one of {methods} (or None: the same as estimator); "
                    f"got label_estimator={self.label_estimator!r}"
                )
                raise ValueError(msg)
        if not isinstance(self.estimator_options, dict):
            msg = f"estimator_options must be a dict of keyword arguments; got {self.estimator_options!r}"
            raise TypeError(msg)
        clash = {"k", "random_state", "n_jobs", "device"} & set(self.estimator_options)
        if clash:
            msg = (
                f"estimator_options must not set {sorted(clash)}: k, seed, n_jobs and device "
                "have their own config fields; pass them there"
            )
            raise ValueError(msg)

    # ----------------------------------------------------------------- presets
    @classmethod
    def quick(cls, **overrides: Any) -> IBConfig:
        """A small configuration that runs in about a minute on two CPU cores.

        2,000 training and 1,000 evaluation digits, 10 epochs at batch 128 and
        ``lr=2e-3`` (so that the network learns something in 160 steps), a briefly
        trained input autoencoder; written to ``runs/ib-quick`` unless ``run_dir`` is
        given. Every field can still be overridden.
        """
        base = {
            "n_train": 2000,
            "n_eval": 1000,
            "epochs": 10,
            "batch_size": 128,
            "lr": 2e-3,
            "input_ae_epochs": 5,
            "layer_ae_epochs": 10,
            "run_dir": "runs/ib-quick",
        }
        base.update(overrides)
        return cls(**base)

    # ------------------------------------------------------------ (de)serialise
    def to_dict(self) -> dict[str, Any]:
        """The configuration as a JSON-serialisable dict."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> IBConfig:
        """Build a configuration from :meth:`to_dict` output; unknown keys are an error."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            msg = f"unknown IBConfig field(s) {unknown}; valid fields are {sorted(known)}"
            raise ValueError(msg)
        return cls(**values)

    def replace(self, **changes: Any) -> IBConfig:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """Every field's default value (what a field missing from an older run's
        ``config.json`` stands for)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            if f.default is not dataclasses.MISSING:
                out[f.name] = f.default
            elif f.default_factory is not dataclasses.MISSING:
                out[f.name] = f.default_factory()
        return out

    def identity(self) -> dict[str, Any]:
        """The fields that must match to resume a run (all but :data:`RUNTIME_FIELDS`)."""
        return {k: v for k, v in self.to_dict().items() if k not in RUNTIME_FIELDS}


def _choice(value: Any, name: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        msg = f"{name} must be one of {list(choices)}; got {name}={value!r}"
        raise ValueError(msg)


def _positive_int(value: Any, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        msg = f"{name} must be a positive int; got {name}={value!r}"
        raise ValueError(msg)


def _nonneg_int(value: Any, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        msg = f"{name} must be a non-negative int; got {name}={value!r}"
        raise ValueError(msg)


def _positive_float(value: Any, name: str) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not (value > 0 and math.isfinite(value))
    ):
        msg = f"{name} must be a positive finite number; got {name}={value!r}"
        raise ValueError(msg)
