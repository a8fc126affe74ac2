"""MINE: mutual information neural estimation (Belghazi et al., ICML 2018).

The neural baseline of Butakov et al. (ICLR 2024). A critic network T(x, y) is
trained to maximise the Donsker–Varadhan lower bound

    I(X; Y) >= E_P[T] - log E_{P_X x P_Y}[exp T],

with the moving-average correction of the biased gradient of the log term.
PyTorch is imported only when an estimate is computed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from .._estimate import Estimate
from .._params import Integral, Interval, Options, Real, SequenceOf, hint
from .._random import RandomStateLike, build_torch_modules
from .._torch import (
    TORCH_RUN_CONSTRAINTS,
    import_torch,
    progress_bar,
    resolve_device,
    resolve_seed,
    to_numpy,
    torch_threads,
)
from ._base import MIEstimator
from ._protocol import Capabilities, Estimator

__all__ = ["MINE"]

_CRITICS = ("auto", "mlp", "conv")

_POSITIVE_INT = Interval(Integral, 1, None, closed="left")


class MINE(Estimator):
    """Mutual Information Neural Estimation with the Donsker–Varadhan bound.

    A critic ``T(x, y)`` is trained by stochastic gradient ascent on
    ``mean_i T(x_i, y_i) - log mean_i exp T(x_i, y_{pi(i)})`` where ``pi`` shuffles
    ``y`` within the mini-batch (samples of the product of marginals). The
    gradient of the log term is biased for mini-batches; as in Belghazi et al.
    its denominator is replaced by an exponential moving average of
    ``mean exp T`` (decay ``ema_decay``), kept in the log domain for stability.

    The rows are split at random into training (the critic's parameters),
    validation (early stopping: training stops after ``patience`` epochs without
    a better validation bound and the best critic is restored) and test rows.
    The reported value is the bound on the test rows, which took no part in
    training or in choosing the epoch, so it is not inflated by selection. The
    product-of-marginals term there averages ``exp T`` over many off-diagonal
    pairs ``(x_i, y_j)``, ``i != j``. With ``test_fraction=0`` the validation
    bound is reported instead (slightly optimistic: it chose the epoch).

    The critic is an MLP (ELU activations) on the concatenated inputs. Image
    inputs, ``(n, H, W)`` or ``(n, C, H, W)``, first go through a small conv
    feature extractor per side ([conv 3x3 -> LeakyReLU(0.2) -> max-pool 2] with
    ``conv_channels``, down to at most 4x4) when ``critic`` is "conv" or "auto".
    Vectors are standardised and images globally scaled (training statistics);
    with ``discrete_y=True`` the labels are one-hot encoded.

    Parameters
    ----------
    hidden : sequence of int, default (128, 128)
        Widths of the critic's hidden layers.
    critic : {"auto", "mlp", "conv"}, default "auto"
        "auto": conv feature extractor for image-shaped sides, MLP otherwise;
        "mlp": flatten everything; "conv": require image inputs on ``x``.
    conv_channels : sequence of int, default (16, 32, 32)
        Channels of the conv extractor blocks (the last value repeats).
    lr : float, default 1e-3
        Adam learning rate.
    batch_size : int, default 256
        Mini-batch size (the whole training set when smaller).
    max_epochs : int, default 200
        Maximum number of passes over the training rows.
    max_steps : int, optional
        Maximum number of optimiser steps.
    patience : int, default 20
        Epochs without a better validation bound before stopping.
    validation_fraction : float, default 0.2
        Fraction of rows for early stopping.
    test_fraction : float, default 0.2
        Fraction of rows the reported bound is computed on (0: report the
        validation bound).
    ema_decay : float, default 0.99
        Decay of the moving average in the gradient correction (the paper's
        ``alpha = 1 - ema_decay = 0.01``).
    n_blocks : int, default 10
        Number of disjoint held-out blocks for the standard error.
    max_pairs : int, default 200_000
        Maximum number of off-diagonal pairs for the held-out product-of-marginals
        term (all ``n (n - 1)`` pairs when fewer).
    weight_decay : float, default 0
        Adam weight decay.
    base : {"nats", "bits", "dits"}, default "nats"
        Unit of the returned estimate.
    nan_policy : {"raise", "omit"}, default "raise"
        ``"omit"`` drops every row with a NaN / inf in ``x`` or ``y`` (rows stay
        aligned; the count is in ``params["n_dropped_nonfinite"]``).
    random_state : int, numpy.random.Generator or None
        Seeds the split, the initialisation, the batches and the shuffles; the
        same seed gives the same estimate on the CPU (with the same ``n_jobs``).
    device : {"auto", "cpu", "cuda"}, default "auto"
    n_jobs : int or None, default -1
        PyTorch CPU threads: -1, 0 or None for all cores, or a positive count.
    progress : bool, optional
        tqdm progress bar over epochs (None: only when stderr is a terminal).

    Attributes
    ----------
    history_ : dict
        Per-epoch ``"train_bound"`` (mean mini-batch bound) and ``"val_bound"``.
    critic_ : torch.nn.ModuleDict
        The trained critic of the last call.

    Notes
    -----
    The standard error is a batch-means estimate: the bound is recomputed on
    ``n_blocks`` disjoint blocks of the test rows and
    ``stderr = std(block bounds) / sqrt(n_blocks)``; it covers the sampling noise
    of the test rows for this critic, not the variation between trainings.
    The DV bound is a lower bound on I(X; Y) for any critic; a weak critic
    underestimates. Estimates are in nats.

    References
    ----------
    M. I. Belghazi, A. Baratin, S. Rajeswar, S. Ozair, Y. Bengio, A. Courville,
    R. D. Hjelm, "Mutual Information Neural Estimation", ICML 2018.
    I. Butakov et al., "Information Bottleneck Analysis of Deep Neural Networks
    via Lossy Compression", ICLR 2024.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(2000, 1)); y = x + rng.normal(size=(2000, 1))
    >>> est = MINE(max_epochs=5, random_state=0, device="cpu", progress=False)
    >>> res = est.mutual_information(x, y)  # truth: 0.5 * log(2) = 0.347
    >>> res.method, res.n
    ('mine', 400)
    """

    name = "mine"
    capabilities = Capabilities(entropy=False, needs_torch=True)
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "hidden": [SequenceOf(_POSITIVE_INT, what="positive ints")],
        "critic": [Options(str, _CRITICS)],
        "conv_channels": [SequenceOf(_POSITIVE_INT, what="positive ints")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [
            Interval(Integral, 2, None, closed="left"),
            hint("marginal samples shuffle y within a batch"),
        ],
        "max_epochs": [_POSITIVE_INT],
        "max_steps": [_POSITIVE_INT, None],
        "patience": [_POSITIVE_INT],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "test_fraction": [Interval(Real, 0, 1, closed="left")],
        "ema_decay": [Interval(Real, 0, 1, closed="left")],
        "n_blocks": [
            Interval(Integral, 2, None, closed="left"),
            hint("the standard error is the spread over the blocks"),
        ],
        "max_pairs": [_POSITIVE_INT],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "base": MIEstimator._parameter_constraints["base"],
        "nan_policy": MIEstimator._parameter_constraints["nan_policy"],
        **TORCH_RUN_CONSTRAINTS,
    }

    def __init__(
        self,
        *,
        hidden: Sequence[int] = (128, 128),
        critic: str = "auto",
        conv_channels: Sequence[int] = (16, 32, 32),
        lr: float = 1e-3,
        batch_size: int = 256,
        max_epochs: int = 200,
        max_steps: int | None = None,
        patience: int = 20,
        validation_fraction: float = 0.2,
        test_fraction: float = 0.2,
        ema_decay: float = 0.99,
        n_blocks: int = 10,
        max_pairs: int = 200_000,
        weight_decay: float = 0.0,
        base: str = "nats",
        nan_policy: str = "raise",
        random_state: RandomStateLike = None,
        device: str = "auto",
        n_jobs: int | None = -1,
        progress: bool | None = None,
    ) -> None:
        self.hidden = hidden
        self.critic = critic
        self.conv_channels = conv_channels
        self.lr = lr
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.max_steps = max_steps
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.test_fraction = test_fraction
        self.ema_decay = ema_decay
        self.n_blocks = n_blocks
        self.max_pairs = max_pairs
        self.weight_decay = weight_decay
        self.base = base
        self.nan_policy = nan_policy
        self.random_state = random_state
        self.device = device
        self.n_jobs = n_jobs
        self.progress = progress

    def _check_params(self) -> None:
        self._check_split_fractions()

    def _check_split_fractions(self) -> None:
        """The validation and test rows must leave rows to train on."""
        if self.validation_fraction + self.test_fraction >= 1:
            msg = (
                "MINE: validation_fraction + test_fraction must leave rows for training; got "
                f"{self.validation_fraction} + {self.test_fraction} >= 1; lower one of them"
            )
            raise ValueError(msg)

    # -- protocol -------------------------------------------------------------------
    def entropy(self, x: np.ndarray) -> Estimate:
        """Not supported: MINE bounds mutual information, not entropy.

        Raises
        ------
        TypeError
            Always.
        """
        msg = (
            "MINE estimates mutual information only (a Donsker-Varadhan lower bound); pass y, "
            "or use pymi.entropy(x, method='wkl') for an entropy"
        )
        raise TypeError(msg)

    def mutual_information(
        self, x: np.ndarray, y: np.ndarray, *, discrete_y: bool = False
    ) -> Estimate:
        """Estimate I(X; Y) in nats as the held-out Donsker–Varadhan bound.

        Parameters
        ----------
        x : array-like, shape (n, d), (n, H, W) or (n, C, H, W)
            Floating-point samples of X (a 1-D array is one feature).
        y : array-like
            Samples of Y, row-aligned with ``x``: floats like ``x``, or class
            labels of shape ``(n,)`` when ``discrete_y=True``.
        discrete_y : bool, default False
            ``y`` holds class labels (one-hot encoded for the critic).

        Returns
        -------
        Estimate
            ``value`` = bound on the test rows (nats), ``stderr`` = batch-means
            standard error (``params["stderr_method"]``), ``n`` = test rows.
        """
        torch = import_torch()
        omit = self.nan_policy == "omit"
        xa = self._check_side(x, "x", omit=omit)
        if discrete_y:
            ya, classes = self._one_hot(y)
        else:
            ya, classes = self._check_side(y, "y", omit=omit), None
        if ya.shape[0] != xa.shape[0]:
            msg = (
                "x and y must have the same number of samples; got "
                f"x.shape={np.shape(x)}, y.shape={np.shape(y)}"
            )
            raise ValueError(msg)
        n_dropped = 0
        if omit:
            keep = np.isfinite(xa.reshape(len(xa), -1)).all(1) & np.isfinite(
                ya.reshape(len(ya), -1)
            ).all(1)
            n_dropped = int((~keep).sum())
            if n_dropped:
                xa, ya = xa[keep], ya[keep]
        n = xa.shape[0]
        n_val = int(round(self.validation_fraction * n))
        n_test = int(round(self.test_fraction * n))
        n_train = n - n_val - n_test
        min_eval = 2 * self.n_blocks  # type: ignore[operator]
        eval_rows = n_test if n_test else n_val
        if n_val < 2 or n_train < 2 or eval_rows < min_eval:
            msg = (
                f"too few samples: n_samples={n} split into {n_train} training, {n_val} "
                f"validation and {n_test} test rows; need at least 2 training and 2 validation "
                f"rows and {min_eval} rows (2 per each of n_blocks={self.n_blocks}) to report on. "
                "Pass more samples, larger fractions or a smaller n_blocks"
            )
            raise ValueError(msg)
        seed = resolve_seed(self.random_state)
        dev = resolve_device(self.device)
        rng = np.random.default_rng(seed)
        perm = rng.permutation(n)
        tr, va, te = perm[:n_train], perm[n_train : n_train + n_val], perm[n_train + n_val :]

        xs = self._scaler(xa[tr])
        ys = self._scaler(ya[tr]) if classes is None else (0.0, 1.0)
        xa = ((xa - xs[0]) / xs[1]).astype(np.float32)
        ya = ((ya - ys[0]) / ys[1]).astype(np.float32)
        # images (n, H, W) get a channel axis when the conv critic will see them
        if self.critic != "mlp":
            xa = xa[:, None] if xa.ndim == 3 else xa
            ya = ya[:, None] if ya.ndim == 3 else ya

        with torch_threads(self.n_jobs):
            # weights from a generator of their own: the same in any thread
            crit = build_torch_modules(lambda: self._build(torch, xa.shape[1:], ya.shape[1:]), seed)
            crit.to(dev)
            gen = torch.Generator(device=dev)
            gen.manual_seed(seed ^ 0x2545F491)
            X = torch.from_numpy(np.ascontiguousarray(xa)).to(dev)
            Y = torch.from_numpy(np.ascontiguousarray(ya)).to(dev)
            idx = {k: torch.from_numpy(v).to(dev) for k, v in (("tr", tr), ("va", va), ("te", te))}
            Xtr, Ytr = X[idx["tr"]], Y[idx["tr"]]
            Xva, Yva = X[idx["va"]], Y[idx["va"]]
            opt = torch.optim.Adam(crit.parameters(), lr=self.lr, weight_decay=self.weight_decay)
            batch = min(self.batch_size, n_train)  # type: ignore[type-var]
            log_ema: Any = None
            log_decay, log_rate = (
                math.log(self.ema_decay) if self.ema_decay > 0 else -math.inf,
                math.log1p(-self.ema_decay),
            )
            history: dict[str, list[float]] = {"train_bound": [], "val_bound": []}
            best, best_state, best_epoch = -math.inf, None, 0
            wait, steps, stopped_early = 0, 0, False
            # fixed validation pairs (at most 16 per row), so epochs are compared on the same pairs
            val_pairing = self._pairing(torch, n_val, 16 * n_val, gen, dev)
            bar = progress_bar(self.max_epochs, enabled=self.progress, desc="MINE")  # type: ignore[arg-type]
            try:
                for epoch in range(1, self.max_epochs + 1):  # type: ignore[operator]
                    crit.train()
                    order = torch.randperm(n_train, generator=gen, device=dev)
                    bounds = []
                    for start in range(0, n_train, batch):
                        b = order[start : start + batch]
                        if b.numel() < 2:
                            continue
                        fx, fy = crit["fx"](Xtr[b]), crit["fy"](Ytr[b])
                        t_joint = crit["head"](torch.cat([fx, fy], 1)).squeeze(-1)
                        shuf = torch.randperm(b.numel(), generator=gen, device=dev)
                        t_marg = crit["head"](torch.cat([fx, fy[shuf]], 1)).squeeze(-1)
                        lme = torch.logsumexp(t_marg, 0) - math.log(b.numel())
                        lme_d = lme.detach()
                        if log_ema is None:
                            log_ema = lme_d
                        else:
                            log_ema = torch.logaddexp(log_ema + log_decay, lme_d + log_rate)
                        # gradient: grad mean T_joint - grad mean exp(T_marg) / EMA(mean exp(T_marg))
                        loss = -(t_joint.mean() - torch.exp(lme - log_ema))
                        opt.zero_grad(set_to_none=True)
                        loss.backward()
                        opt.step()
                        bounds.append(t_joint.mean().detach() - lme_d)  # no per-step sync
                        steps += 1
                        if self.max_steps is not None and steps >= self.max_steps:
                            break
                    history["train_bound"].append(
                        float(torch.stack(bounds).mean()) if bounds else math.nan
                    )
                    val = self._heldout_bound(torch, crit, Xva, Yva, gen, val_pairing)
                    history["val_bound"].append(val)
                    if val > best:
                        best, best_epoch, wait = val, epoch, 0
                        best_state = {k: v.detach().clone() for k, v in crit.state_dict().items()}
                    else:
                        wait += 1
                    bar.set_postfix(train=f"{history['train_bound'][-1]:.3f}", val=f"{val:.3f}")
                    bar.update(1)
                    if self.max_steps is not None and steps >= self.max_steps:
                        break
                    if wait >= self.patience:
                        stopped_early = True
                        break
            finally:
                bar.close()
            if best_state is not None:
                crit.load_state_dict(best_state)
            crit.eval()
            ev = idx["te"] if n_test else idx["va"]
            Xe, Ye = X[ev], Y[ev]
            value = self._heldout_bound(torch, crit, Xe, Ye, gen)
            blocks = torch.randperm(Xe.shape[0], generator=gen, device=dev).tensor_split(
                self.n_blocks
            )
            block_vals = [self._heldout_bound(torch, crit, Xe[bl], Ye[bl], gen) for bl in blocks]

        self.critic_ = crit
        self.history_ = history
        stderr = float(np.std(block_vals, ddof=1) / math.sqrt(len(block_vals)))
        params = {
            "bound": "donsker-varadhan",
            "gradient": "moving-average corrected",
            "ema_decay": self.ema_decay,
            "critic": self._critic_kind,
            "hidden": self.hidden,
            "lr": self.lr,
            "batch_size": batch,
            "n_train": n_train,
            "n_val": n_val,
            "n_test": n_test,
            "reported_on": "test" if n_test else "validation",
            "epochs": len(history["val_bound"]),
            "steps": steps,
            "best_epoch": best_epoch,
            "stopped_early": stopped_early,
            "val_bound": best,
            "stderr_method": (
                f"batch means: std of the bound over {self.n_blocks} disjoint held-out blocks "
                f"/ sqrt({self.n_blocks}); sampling noise of the held-out rows for this critic"
            ),
            "seed": seed,
            "device": str(dev),
            "discrete_y": bool(discrete_y),
            "n_classes": None if classes is None else len(classes),
            "n_dropped_nonfinite": n_dropped,
            "reference": "Belghazi et al., ICML 2018",
        }
        result = Estimate(float(value), stderr, "nats", "mine", params, int(Xe.shape[0]))
        return result if self.base == "nats" else result.to(self.base)

    # -- helpers --------------------------------------------------------------------
    @staticmethod
    def _check_side(v: Any, name: str, *, omit: bool = False) -> np.ndarray:
        arr = to_numpy(v)
        if not np.issubdtype(arr.dtype, np.floating):
            hint = " (for class labels in y pass discrete_y=True)" if name == "y" else ""
            msg = (
                f"{name} must have a floating-point dtype; got dtype={arr.dtype}. Convert it "
                f"with {name}.astype(np.float32){hint}"
            )
            raise TypeError(msg)
        if arr.ndim == 1:
            arr = arr[:, None]
        if arr.ndim == 0 or arr.shape[0] == 0:
            msg = f"{name} must hold samples along the first axis; got {name}.shape={arr.shape}"
            raise ValueError(msg)
        finite = np.isfinite(arr)
        if not omit and not finite.all():
            bad = int((~finite.reshape(arr.shape[0], -1)).any(axis=1).sum())
            msg = (
                f"{name} contains {int(np.isnan(arr).sum())} NaN and "
                f"{int(np.isinf(arr).sum())} infinite values in {bad} rows; pass "
                "nan_policy='omit' to drop those rows"
            )
            raise ValueError(msg)
        return arr

    @staticmethod
    def _one_hot(y: Any) -> tuple[np.ndarray, np.ndarray]:
        arr = to_numpy(y)
        if arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr[:, 0]
        if arr.ndim != 1:
            msg = f"with discrete_y=True, y must be a 1-D array of labels; got y.shape={arr.shape}"
            raise ValueError(msg)
        if np.issubdtype(arr.dtype, np.floating) and not np.all(np.isfinite(arr)):
            msg = "y contains NaN or infinite labels; drop those rows before estimating"
            raise ValueError(msg)
        classes, inv = np.unique(arr, return_inverse=True)
        onehot = np.zeros((arr.shape[0], classes.size), dtype=np.float32)
        onehot[np.arange(arr.shape[0]), inv.reshape(-1)] = 1.0
        return onehot, classes

    @staticmethod
    def _is_image(shape: tuple[int, ...]) -> bool:
        return len(shape) == 3

    @staticmethod
    def _scaler(v: np.ndarray) -> tuple[Any, Any]:
        """Standardise vectors per feature, images globally (training statistics)."""
        f = v.astype(np.float64)
        if v.ndim == 2:
            mean, std = f.mean(0), f.std(0)
            std[std <= 1e-12 * max(float(np.abs(mean).max()), 1.0)] = 1.0
            return mean, std
        mean, std = float(f.mean()), float(f.std())
        return mean, (std if std > 0 else 1.0)

    def _build(self, torch: Any, xs: tuple[int, ...], ys: tuple[int, ...]) -> Any:
        nn = torch.nn
        use_conv_x = self._is_image(xs) and self.critic in ("auto", "conv")
        use_conv_y = self._is_image(ys) and self.critic in ("auto", "conv")
        if self.critic == "conv" and not use_conv_x:
            msg = (
                f"critic='conv' needs images for x, shaped (n, H, W) or (n, C, H, W); got "
                f"per-sample shape {xs}. Use critic='mlp' or 'auto' for vectors"
            )
            raise ValueError(msg)
        self._critic_kind = "conv" if (use_conv_x or use_conv_y) else "mlp"

        def extractor(shape: tuple[int, ...], conv: bool) -> tuple[Any, int]:
            if not conv:
                return nn.Flatten(), int(np.prod(shape))
            c, h, w = shape
            layers: list[Any] = []
            prev, i = c, 0
            while max(h, w) > 4 and min(h, w) >= 2:
                out = self.conv_channels[min(i, len(self.conv_channels) - 1)]
                layers += [nn.Conv2d(prev, out, 3, padding=1), nn.LeakyReLU(0.2), nn.MaxPool2d(2)]
                prev, h, w, i = out, h // 2, w // 2, i + 1
            layers.append(nn.Flatten())
            return nn.Sequential(*layers), prev * h * w

        fx, dx = extractor(xs, use_conv_x)
        fy, dy = extractor(ys, use_conv_y)
        head: list[Any] = []
        prev = dx + dy
        for h in self.hidden:
            head += [nn.Linear(prev, h), nn.ELU()]
            prev = h
        head.append(nn.Linear(prev, 1))
        return nn.ModuleDict({"fx": fx, "fy": fy, "head": nn.Sequential(*head)})

    def _pairing(
        self, torch: Any, m: int, max_pairs: int, gen: Any, device: Any
    ) -> tuple[Any, Any]:
        """A random row order and cyclic shifts: row order[i] pairs with order[(i + s) % m].

        Distinct shifts in 1..m-1 give distinct off-diagonal pairs; all m - 1 shifts
        give every pair (i, j), i != j, exactly once.
        """
        n_shift = min(m - 1, max(1, math.ceil(max_pairs / m)))
        if n_shift == m - 1:
            shifts = torch.arange(1, m, device=device)
        else:
            shifts = torch.randperm(m - 1, generator=gen, device=device)[:n_shift] + 1
        return torch.randperm(m, generator=gen, device=device), shifts

    def _heldout_bound(
        self,
        torch: Any,
        crit: Any,
        X: Any,
        Y: Any,
        gen: Any,
        pairing: tuple[Any, Any] | None = None,
    ) -> float:
        """DV bound on held-out rows: joint mean over the rows, marginal over off-diagonal pairs."""
        m = X.shape[0]
        was_training = crit.training
        crit.eval()
        with torch.no_grad():
            fx, fy = crit["fx"](X), crit["fy"](Y)
            t_joint = crit["head"](torch.cat([fx, fy], 1)).squeeze(-1)
            if pairing is None:
                pairing = self._pairing(torch, m, self.max_pairs, gen, X.device)  # type: ignore[arg-type]
            order, shifts = pairing
            fx_o, fy_o = fx[order], fy[order]
            lse = []
            ar = torch.arange(m, device=X.device)
            chunk = max(1, 65536 // m)
            for s in range(0, shifts.numel(), chunk):
                sh = shifts[s : s + chunk]
                j = (ar[None, :] + sh[:, None]) % m  # (k, m): partner of row i under shift
                feats = torch.cat([fx_o.expand(sh.numel(), -1, -1), fy_o[j]], 2).reshape(
                    -1, fx.shape[1] + fy.shape[1]
                )
                lse.append(torch.logsumexp(crit["head"](feats).squeeze(-1), 0))
            log_mean_exp = torch.logsumexp(torch.stack(lse), 0) - math.log(m * shifts.numel())
            value = float(t_joint.mean() - log_mean_exp)
        crit.train(was_training)
        return value
