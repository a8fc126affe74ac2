"""Autoencoder compressors (PyTorch): a convolutional one for images, an MLP for vectors.

Architecture and training follow Butakov et al., "Information Bottleneck
Analysis of Deep Neural Networks via Lossy Compression" (ICLR 2024): encoder
blocks [conv 3x3 -> batch norm -> LeakyReLU(0.2) -> max-pool 2] with 4, 8, 8, ...
channels down to a small spatial size, a linear layer to the code with tanh (or
sigmoid), a mirrored decoder; mean-absolute-error (L1) loss, Adam with learning
rate 1e-3, Gaussian noise of standard deviation 0.1 on the input and 0.02 on the
code during training only. :class:`ConvAutoencoder` keeps the architecture but its
defaults are tuned for the realistic budget of ``compress="ae"`` (a few thousand
images, minutes of CPU): wider blocks (8, 16, 16), batches of 64 and no input noise;
:data:`PAPER_AE_CHANNELS` and :data:`PAPER_AE_INPUT_NOISE` give the paper's values.

PyTorch is imported lazily: this module imports without it, and ``fit`` raises an
ImportError that says ``pip install "pymi[torch]"``.
"""

from __future__ import annotations

import math
from abc import abstractmethod
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._random import build_torch_modules
from .._torch import (
    check_run_options,
    import_torch,
    progress_bar,
    resolve_device,
    resolve_seed,
    torch_threads,
)
from .base import Compressor

__all__ = ["PAPER_AE_CHANNELS", "PAPER_AE_INPUT_NOISE", "ConvAutoencoder", "MLPAutoencoder"]

#: Encoder channels of the paper's image autoencoder (Butakov et al., ICLR 2024).
PAPER_AE_CHANNELS: tuple[int, ...] = (4, 8, 8)
#: Standard deviation of the paper's training-time input noise (pixels in [0, 1]).
PAPER_AE_INPUT_NOISE = 0.1

_CODE_ACTIVATIONS = ("tanh", "sigmoid", "linear")


def _check_positive(value: Any, name: str, kind: type = int, *, allow_none: bool = False) -> Any:
    if value is None and allow_none:
        return None
    ok_types: tuple[type, ...] = (
        (int, np.integer) if kind is int else (int, float, np.integer, np.floating)
    )
    if isinstance(value, bool) or not isinstance(value, ok_types):
        what = "a positive int" if kind is int else "a positive number"
        msg = f"{name} must be {what}{' or None' if allow_none else ''}; got {value!r}"
        raise TypeError(msg)
    if not value > 0 or (kind is not int and not math.isfinite(value)):
        msg = f"{name} must be positive; got {name}={value}"
        raise ValueError(msg)
    return kind(value)


def _check_nonneg_float(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        msg = f"{name} must be a non-negative number; got {value!r}"
        raise TypeError(msg)
    if not (value >= 0 and math.isfinite(value)):
        msg = f"{name} must be a non-negative finite number; got {name}={value}"
        raise ValueError(msg)
    return float(value)


class _TorchAutoencoder(Compressor):
    """Training machinery shared by :class:`ConvAutoencoder` and :class:`MLPAutoencoder`."""

    def __init__(
        self,
        latent_dim: int,
        *,
        code_activation: str = "tanh",
        lr: float = 1e-3,
        batch_size: int = 256,
        max_epochs: int = 100,
        max_steps: int | None = None,
        validation_fraction: float = 0.1,
        patience: int = 10,
        tol: float = 1e-4,
        input_noise: float = 0.1,
        code_noise: float = 0.02,
        weight_decay: float = 0.0,
        random_state: int | np.random.Generator | None = None,
        device: str = "auto",
        n_jobs: int | None = None,
        progress: bool | None = None,
    ) -> None:
        super().__init__(latent_dim)
        if code_activation not in _CODE_ACTIVATIONS:
            msg = f"code_activation must be one of {_CODE_ACTIVATIONS}; got code_activation={code_activation!r}"
            raise ValueError(msg)
        self.code_activation = code_activation
        self.lr = _check_positive(lr, "lr", float)
        self.batch_size = _check_positive(batch_size, "batch_size")
        self.max_epochs = _check_positive(max_epochs, "max_epochs")
        self.max_steps = _check_positive(max_steps, "max_steps", allow_none=True)
        vf = _check_nonneg_float(validation_fraction, "validation_fraction")
        if vf >= 1:
            msg = (
                "validation_fraction must be in [0, 1) (0 disables early stopping); "
                f"got validation_fraction={validation_fraction}"
            )
            raise ValueError(msg)
        self.validation_fraction = vf
        self.patience = _check_positive(patience, "patience")
        self.tol = _check_nonneg_float(tol, "tol")
        self.input_noise = _check_nonneg_float(input_noise, "input_noise")
        self.code_noise = _check_nonneg_float(code_noise, "code_noise")
        self.weight_decay = _check_nonneg_float(weight_decay, "weight_decay")
        check_run_options(random_state=random_state, device=device, n_jobs=n_jobs, progress=progress)
        self.random_state = random_state
        self.device = device
        self.n_jobs = n_jobs
        self.progress = progress

    def _params(self) -> dict[str, Any]:
        return {
            "latent_dim": self.latent_dim,
            "code_activation": self.code_activation,
            "lr": self.lr,
            "batch_size": self.batch_size,
            "max_epochs": self.max_epochs,
            "max_steps": self.max_steps,
            "validation_fraction": self.validation_fraction,
            "patience": self.patience,
            "input_noise": self.input_noise,
            "code_noise": self.code_noise,
            "random_state": self.random_state
            if not isinstance(self.random_state, np.random.Generator)
            else "Generator",
        }

    # -- hooks for subclasses -----------------------------------------------------------
    @abstractmethod
    def _prepare(self, x: np.ndarray, *, fitting: bool) -> np.ndarray:
        """Map validated user input to the float32 network layout (fits scalers when fitting)."""

    @abstractmethod
    def _unprepare(self, out: np.ndarray) -> np.ndarray:
        """Map network output back to the user's layout (per sample, flattened ok)."""

    @abstractmethod
    def _build(self, torch: Any, sample_shape: tuple[int, ...]) -> tuple[Any, Any]:
        """Return (encoder, decoder) modules for network inputs of ``sample_shape``."""

    def _crop(self, out: Any) -> Any:
        """Crop decoder output to the input size (ConvAutoencoder removes padding)."""
        return out

    def _to_layout(self, torch: Any, module: Any) -> Any:
        """``module`` in the memory layout its kernels run fastest in (unchanged here)."""
        return module

    # -- training ---------------------------------------------------------------------
    def _code_act(self, torch: Any) -> Any:
        nn = torch.nn
        return {"tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "linear": nn.Identity}[
            self.code_activation
        ]()

    def _fit(self, x: np.ndarray) -> None:
        torch = import_torch()
        dev = resolve_device(self.device)
        seed = resolve_seed(self.random_state)
        data = self._prepare(x, fitting=True)
        n = data.shape[0]
        n_val = int(round(self.validation_fraction * n)) if self.validation_fraction > 0 else 0
        if self.validation_fraction > 0 and n_val < 1:
            msg = (
                f"validation_fraction={self.validation_fraction} of n_samples={n} leaves no "
                "validation samples; pass more samples, a larger validation_fraction, or "
                "validation_fraction=0 to train without early stopping"
            )
            raise ValueError(msg)
        n_train = n - n_val
        need = max(2, self.latent_dim + 1)
        if n_train < need:
            msg = (
                f"too few training samples: n_samples={n} with validation_fraction="
                f"{self.validation_fraction} leaves {n_train} for training, but latent_dim="
                f"{self.latent_dim} needs at least {need}; pass more samples or a smaller latent_dim"
            )
            raise ValueError(msg)

        rng = np.random.default_rng(seed)
        perm = rng.permutation(n)
        train_idx, val_idx = perm[n_val:], perm[:n_val]
        batch = min(self.batch_size, n_train)

        with torch_threads(self.n_jobs):
            # weights from a generator of their own: the same in any thread
            encoder, decoder = build_torch_modules(
                lambda: self._build(torch, tuple(data.shape[1:])), seed
            )
            encoder, decoder = self._to_layout(torch, encoder.to(dev)), self._to_layout(torch, decoder.to(dev))
            gen = torch.Generator(device=dev)
            gen.manual_seed(seed ^ 0x5DEECE66D)
            xt = torch.from_numpy(np.ascontiguousarray(data)).to(dev)
            x_train, x_val = (
                xt[torch.from_numpy(train_idx).to(dev)],
                xt[torch.from_numpy(val_idx).to(dev)],
            )
            params = list(encoder.parameters()) + list(decoder.parameters())
            opt = torch.optim.Adam(params, lr=self.lr, weight_decay=self.weight_decay)

            history: dict[str, list[float]] = {"train_loss": [], "val_loss": []}
            best_val, best_state, best_epoch, wait = math.inf, None, 0, 0
            steps, bar_steps, stopped_early = 0, 0, False
            # the bar counts optimiser steps: the budget is max_steps or max_epochs passes
            per_epoch = n_train // batch + (1 if n_train % batch >= 2 else 0)
            budget = self.max_epochs * per_epoch
            if self.max_steps is not None:
                budget = min(budget, self.max_steps)
            bar = progress_bar(budget, enabled=self.progress, desc=type(self).__name__)
            try:
                for epoch in range(1, self.max_epochs + 1):
                    encoder.train()
                    decoder.train()
                    order = torch.randperm(n_train, generator=gen, device=dev)
                    total, count = (
                        torch.zeros((), device=dev),
                        0,
                    )  # summed on device: no per-step sync
                    for start in range(0, n_train, batch):
                        idx = order[start : start + batch]
                        if idx.numel() < 2:  # batch norm needs two samples
                            continue
                        xb = x_train[idx]
                        inp = xb
                        if self.input_noise > 0:
                            inp = xb + self.input_noise * torch.randn(
                                xb.shape, generator=gen, device=dev, dtype=xb.dtype
                            )
                        z = encoder(inp)
                        if self.code_noise > 0:
                            z = z + self.code_noise * torch.randn(
                                z.shape, generator=gen, device=dev, dtype=z.dtype
                            )
                        loss = torch.nn.functional.l1_loss(self._crop(decoder(z)), xb)
                        opt.zero_grad(set_to_none=True)
                        loss.backward()
                        opt.step()
                        total += loss.detach() * idx.numel()
                        count += idx.numel()
                        steps += 1
                        if self.max_steps is not None and steps >= self.max_steps:
                            break
                    history["train_loss"].append(float(total) / max(count, 1))
                    postfix = {"epoch": epoch, "train": f"{history['train_loss'][-1]:.4f}"}
                    if n_val:
                        val = self._loss(torch, encoder, decoder, x_val)
                        history["val_loss"].append(val)
                        postfix["val"] = f"{val:.4f}"
                        if best_val == math.inf or val < best_val - self.tol * abs(best_val):
                            best_val, best_epoch, wait = val, epoch, 0
                            best_state = (
                                {k: v.detach().clone() for k, v in encoder.state_dict().items()},
                                {k: v.detach().clone() for k, v in decoder.state_dict().items()},
                            )
                        else:
                            wait += 1
                    bar.set_postfix(postfix)
                    bar.update(steps - bar_steps)
                    bar_steps = steps
                    if self.max_steps is not None and steps >= self.max_steps:
                        break
                    if n_val and wait >= self.patience:
                        stopped_early = True
                        break
            finally:
                bar.close()
            if best_state is not None:
                encoder.load_state_dict(best_state[0])
                decoder.load_state_dict(best_state[1])
            encoder.eval()
            decoder.eval()

        self.encoder_ = encoder
        self.decoder_ = decoder
        self.device_ = dev
        self.history_ = history
        self.n_epochs_ = len(history["train_loss"])
        self.n_steps_ = steps
        self.best_epoch_ = best_epoch if n_val else self.n_epochs_
        self.best_val_loss_ = best_val if n_val else math.nan
        self.stopped_early_ = stopped_early
        self.n_train_ = n_train
        self.n_val_ = n_val

    def _loss(self, torch: Any, encoder: Any, decoder: Any, xv: Any) -> float:
        encoder.eval()
        decoder.eval()
        total = 0.0
        with torch.no_grad():
            for start in range(0, xv.shape[0], 4096):
                xb = xv[start : start + 4096]
                rec = self._crop(decoder(encoder(xb)))
                total += float(torch.nn.functional.l1_loss(rec, xb, reduction="sum"))
        return total / float(xv.numel())

    def _transform(self, x: np.ndarray) -> np.ndarray:
        torch = import_torch()
        data = self._prepare(x, fitting=False)
        out = []
        with torch_threads(self.n_jobs), torch.no_grad():
            for start in range(0, data.shape[0], 4096):
                xb = torch.from_numpy(np.ascontiguousarray(data[start : start + 4096])).to(
                    self.device_
                )
                out.append(self.encoder_(xb).cpu().numpy())
        return np.concatenate(out, axis=0)

    def _inverse_transform(self, codes: np.ndarray) -> np.ndarray:
        torch = import_torch()
        c = np.ascontiguousarray(codes, dtype=np.float32)
        out = []
        with torch_threads(self.n_jobs), torch.no_grad():
            for start in range(0, c.shape[0], 4096):
                zb = torch.from_numpy(c[start : start + 4096]).to(self.device_)
                out.append(self._crop(self.decoder_(zb)).cpu().numpy())
        return self._unprepare(np.concatenate(out, axis=0))


class ConvAutoencoder(_TorchAutoencoder):
    """Convolutional autoencoder for images, after Butakov et al. (ICLR 2024).

    Encoder: ``n_blocks`` blocks [conv 3x3 (padding 1) -> BatchNorm -> LeakyReLU(0.2)
    -> MaxPool 2], with ``channels`` (8, 16, 16, ... by default: the last entry is
    repeated) until the smaller image side reaches ``bottleneck_size``; then a
    linear layer to the ``latent_dim`` code followed by ``code_activation``.
    Decoder: a linear layer back to the bottleneck, then mirrored blocks
    [upsample 2 (nearest) -> conv 3x3 -> BatchNorm -> LeakyReLU(0.2)] and a final
    conv 3x3 to the input channels (linear output). ``upsample="transpose"`` uses a
    2x2 stride-2 transposed convolution instead; on 16x16 Gaussian bumps it reached
    a lower code MI for the same number of steps (0.74 vs 0.84 nats of 1.0 after
    580 steps), hence the default.

    Image sizes that are not a multiple of ``2**n_blocks`` (e.g. 28 = 4 * 7) are
    zero-padded symmetrically up to the next multiple (28 -> 32) before the
    encoder, and the decoder output is cropped back; the loss is computed on the
    original pixels only. ``n_blocks = ceil(log2(min(H, W) / bottleneck_size))``,
    so 16x16 uses 4 blocks, 28x28 and 32x32 use 5, all down to 1x1.

    Training (all on ``n_jobs`` threads): L1 (mean absolute error) loss, Adam,
    Gaussian noise ``input_noise`` on the input and ``code_noise`` on the code
    during training only (the noise is in data units; the paper's values assume
    pixels in [0, 1]), a random ``validation_fraction`` of the rows held out for
    early stopping after ``patience`` epochs without relative improvement
    ``tol``; the weights of the best validation epoch are restored. Training stops
    at ``max_epochs`` or ``max_steps`` optimiser steps, whichever comes first.

    One autoencoder can serve both variables (the paper trains one on images
    from both sides): fit it on ``np.concatenate([x, y])`` or use
    ``Compressed(..., shared=True)``.

    Parameters
    ----------
    latent_dim : int
        Code size (the paper uses the number of true parameters: 2, 4 or 5).
    image_shape : tuple of int, optional
        Shape of one image, ``(H, W)`` or ``(C, H, W)``. Needed when images are
        given flattened as ``(n, C*H*W)``; otherwise ``x`` must be ``(n, H, W)``
        or ``(n, C, H, W)`` (and match ``image_shape`` when given).
    channels : sequence of int, default (8, 16, 16)
        Channels of the encoder blocks; the last value is repeated for further blocks.
        The paper's are (4, 8, 8) (:data:`PAPER_AE_CHANNELS`). On 16x16 images the wider
        default costs about the same per step on a CPU and keeps more information: on
        16x16 rectangles (2500 training images, true MI 3 nats between one side's codes
        and the other side's latents) (4, 8, 8) lost 0.68 nats and (8, 16, 16) 0.14,
        both with batches of 64 and input noise 0.02.
    bottleneck_size : int, default 1
        Spatial size (of the smaller side) at which downsampling stops.
    upsample : {"nearest", "bilinear", "transpose"}, default "nearest"
        Upsampling in the decoder blocks (interpolation followed by a 3x3 conv, or a
        2x2 stride-2 transposed conv).
    code_activation : {"tanh", "sigmoid", "linear"}, default "tanh"
        Output non-linearity of the code layer (the MNIST experiment used sigmoid).
    lr : float, default 1e-3
        Adam learning rate.
    batch_size : int, default 64
        Mini-batch size (the whole training set when it is smaller). Small batches take
        more optimiser steps in the same time on a CPU: at 2250 training images,
        batches of 64 instead of 256 cut one side's loss on 16x16 rectangles from 0.59
        to 0.11 nats (true MI 3) in the same wall time.
    max_epochs : int, default 100
        Maximum number of passes over the training rows.
    max_steps : int or None, default 2500
        Maximum number of optimiser steps in total: the training budget, which
        (unlike ``max_epochs``) does not grow with the number of rows; None for no
        cap. At 2500 steps one cross-fitted ``compress="ae"`` estimate on 5000 image pairs
        takes 1-3 minutes on 2 CPU cores (32x32 rectangles, true MI 3: -0.43 nats in
        156 s, against -0.42 in 222 s without the cap).
    validation_fraction : float, default 0.1
        Fraction of rows held out for early stopping; 0 disables early stopping.
    patience : int, default 10
        Epochs without improvement of the validation loss before stopping.
    tol : float, default 1e-4
        Relative improvement of the validation loss that counts as progress.
    input_noise : float, default 0.0
        Standard deviation of the Gaussian noise added to the input during training (data
        units). The paper's 0.1 (:data:`PAPER_AE_INPUT_NOISE`) hides the partial
        coverage of edge pixels that locates a rectangle's edges below one pixel: on
        16x16 rectangles one side lost 0.59 nats of 3 with 0.1, 0.10 with 0.02 and none
        measurable with 0 (batches of 256, 256 and 64).
    code_noise : float, default 0.02
        Standard deviation of the Gaussian noise added to the code during training.
    weight_decay : float, default 0
        Adam weight decay.
    random_state : int, numpy.random.Generator or None
        Seeds the split, the initialisation, the batch order and the noise. The
        same seed gives identical codes on the CPU (with the same ``n_jobs``).
    device : {"auto", "cpu", "cuda"}, default "auto"
        Where to train; "auto" uses CUDA when available.
    n_jobs : int, optional
        PyTorch CPU threads during fit / transform (None keeps the current
        setting, -1 uses all cores).
    progress : bool, optional
        Show a tqdm progress bar over optimiser steps, up to the budget
        ``min(max_steps, max_epochs * steps per epoch)``, with the epoch and the
        training / validation losses (None: only when stderr is a terminal).

    Attributes
    ----------
    encoder_, decoder_ : torch.nn.Module
        The trained networks (in eval mode).
    history_ : dict
        Per-epoch ``"train_loss"`` and ``"val_loss"`` (mean absolute error).
    n_epochs_, n_steps_, best_epoch_ : int
        Epochs run, optimiser steps taken, epoch whose weights were kept.
    stopped_early_ : bool
        Whether early stopping ended training.

    References
    ----------
    I. Butakov, A. Tolmachev, S. Malanchuk, A. Neopryatnaya, A. Frolov, K. Andreev,
    "Information Bottleneck Analysis of Deep Neural Networks via Lossy
    Compression", ICLR 2024.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> images = rng.random((200, 16, 16), dtype=np.float32)
    >>> ae = ConvAutoencoder(2, max_epochs=2, random_state=0, device="cpu", progress=False)
    >>> ae.fit_transform(images).shape
    (200, 2)
    """

    def __init__(
        self,
        latent_dim: int,
        *,
        image_shape: Sequence[int] | None = None,
        channels: Sequence[int] = (8, 16, 16),
        bottleneck_size: int = 1,
        upsample: str = "nearest",
        code_activation: str = "tanh",
        lr: float = 1e-3,
        batch_size: int = 64,
        max_epochs: int = 100,
        max_steps: int | None = 2500,
        validation_fraction: float = 0.1,
        patience: int = 10,
        tol: float = 1e-4,
        input_noise: float = 0.0,
        code_noise: float = 0.02,
        weight_decay: float = 0.0,
        random_state: int | np.random.Generator | None = None,
        device: str = "auto",
        n_jobs: int | None = None,
        progress: bool | None = None,
    ) -> None:
        super().__init__(
            latent_dim,
            code_activation=code_activation,
            lr=lr,
            batch_size=batch_size,
            max_epochs=max_epochs,
            max_steps=max_steps,
            validation_fraction=validation_fraction,
            patience=patience,
            tol=tol,
            input_noise=input_noise,
            code_noise=code_noise,
            weight_decay=weight_decay,
            random_state=random_state,
            device=device,
            n_jobs=n_jobs,
            progress=progress,
        )
        if image_shape is not None:
            shape = tuple(image_shape)
            if len(shape) not in (2, 3) or not all(
                isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s >= 1
                for s in shape
            ):
                msg = f"image_shape must be (H, W) or (C, H, W) of positive ints; got image_shape={image_shape!r}"
                raise ValueError(msg)
            image_shape = tuple(int(s) for s in shape)
            self._check_hw(image_shape[-2:], "image_shape")
        self.image_shape = image_shape
        chans = tuple(channels)
        if not chans or not all(
            isinstance(c, (int, np.integer)) and not isinstance(c, bool) and c >= 1 for c in chans
        ):
            msg = (
                f"channels must be a non-empty sequence of positive ints; got channels={channels!r}"
            )
            raise ValueError(msg)
        self.channels = tuple(int(c) for c in chans)
        self.bottleneck_size = _check_positive(bottleneck_size, "bottleneck_size")
        if upsample not in ("nearest", "bilinear", "transpose"):
            msg = (
                f"upsample must be 'nearest', 'bilinear' or 'transpose'; got upsample={upsample!r}"
            )
            raise ValueError(msg)
        self.upsample = upsample

    def _params(self) -> dict[str, Any]:
        return {
            **super()._params(),
            "image_shape": self.image_shape,
            "channels": self.channels,
            "bottleneck_size": self.bottleneck_size,
            "upsample": self.upsample,
        }

    @staticmethod
    def _check_hw(hw: Sequence[int], name: str) -> None:
        if min(hw) < 2:
            msg = f"images must be at least 2x2 pixels; got {name} with H, W = {tuple(hw)}"
            raise ValueError(msg)

    def _image_chw(self, x: np.ndarray) -> tuple[int, int, int]:
        """Per-sample (C, H, W) of ``x``, validating against ``image_shape``."""
        sample = x.shape[1:]
        if self.image_shape is not None:
            target = self.image_shape if len(self.image_shape) == 3 else (1, *self.image_shape)
            allowed = {target, target[1:] if target[0] == 1 else target, (int(np.prod(target)),)}
            if tuple(sample) not in allowed:
                msg = (
                    f"x must hold images of image_shape={self.image_shape}, as (n, H, W), "
                    f"(n, C, H, W) or flattened (n, {int(np.prod(target))}); got x.shape={x.shape}"
                )
                raise ValueError(msg)
            return target  # type: ignore[return-value]
        if len(sample) == 2:
            chw = (1, *sample)
        elif len(sample) == 3:
            chw = tuple(sample)
        else:
            msg = (
                "x must be a batch of images of shape (n, H, W) or (n, C, H, W); "
                f"got x.shape={x.shape}. Pass image_shape=(H, W) for flattened images, "
                "or use MLPAutoencoder for vectors"
            )
            raise ValueError(msg)
        self._check_hw(chw[-2:], "x.shape")
        return chw  # type: ignore[return-value]

    def _prepare(self, x: np.ndarray, *, fitting: bool) -> np.ndarray:
        chw = self._image_chw(x)
        if fitting:
            n_values = int(np.prod(chw))
            if self.latent_dim > n_values:
                msg = (
                    f"latent_dim={self.latent_dim} must not exceed the {n_values} values of an "
                    f"image of shape {chw} (C, H, W); use the images as they are or pass a "
                    f"smaller latent_dim"
                )
                raise ValueError(msg)
            self.image_chw_ = chw
        return x.reshape(x.shape[0], *chw).astype(np.float32, copy=False)

    def _unprepare(self, out: np.ndarray) -> np.ndarray:
        return out

    def _geometry(
        self, hw: tuple[int, int]
    ) -> tuple[int, tuple[int, int, int, int], tuple[int, int]]:
        """Number of blocks, padding (left, right, top, bottom), bottleneck spatial size."""
        h, w = hw
        n_blocks = max(1, math.ceil(math.log2(min(h, w) / self.bottleneck_size)))
        f = 2**n_blocks
        hp, wp = math.ceil(h / f) * f, math.ceil(w / f) * f
        top, left = (hp - h) // 2, (wp - w) // 2
        pad = (left, wp - w - left, top, hp - h - top)
        return n_blocks, pad, (hp // f, wp // f)

    def _build(self, torch: Any, sample_shape: tuple[int, ...]) -> tuple[Any, Any]:
        nn = torch.nn
        c_in, h, w = sample_shape
        n_blocks, pad, (bh, bw) = self._geometry((h, w))
        self.n_blocks_, self.padding_ = n_blocks, pad
        ch = [self.channels[min(i, len(self.channels) - 1)] for i in range(n_blocks)]
        enc: list[Any] = []
        if any(pad):
            enc.append(nn.ZeroPad2d(pad))
        prev = c_in
        for c in ch:
            enc += [
                nn.Conv2d(prev, c, 3, padding=1),
                nn.BatchNorm2d(c),
                nn.LeakyReLU(0.2),
                nn.MaxPool2d(2),
            ]
            prev = c
        flat = ch[-1] * bh * bw
        enc += [nn.Flatten(), nn.Linear(flat, self.latent_dim), self._code_act(torch)]
        dec: list[Any] = [
            nn.Linear(self.latent_dim, flat),
            nn.LeakyReLU(0.2),
            nn.Unflatten(1, (ch[-1], bh, bw)),
        ]
        for i in reversed(range(n_blocks)):
            out_c = ch[i - 1] if i > 0 else ch[0]
            if self.upsample == "transpose":
                dec += [nn.ConvTranspose2d(ch[i], out_c, 2, stride=2)]
            else:
                dec += [
                    nn.Upsample(scale_factor=2, mode=self.upsample),
                    nn.Conv2d(ch[i], out_c, 3, padding=1),
                ]
            dec += [nn.BatchNorm2d(out_c), nn.LeakyReLU(0.2)]
        dec.append(nn.Conv2d(ch[0], c_in, 3, padding=1))
        return nn.Sequential(*enc), nn.Sequential(*dec)

    def _to_layout(self, torch: Any, module: Any) -> Any:
        """``module`` with channels-last weights: the oneDNN convolutions on the CPU run
        1.2-1.5x faster per training step in that layout (16x16 and 32x32 images,
        ``benchmarks/compression/conv_layout.py``); the activations follow the weights."""
        return module.to(memory_format=torch.channels_last)

    def _crop(self, out: Any) -> Any:
        left, right, top, bottom = self.padding_
        if not (left or right or top or bottom):
            return out
        h, w = out.shape[-2], out.shape[-1]
        return out[..., top : h - bottom, left : w - right]


class MLPAutoencoder(_TorchAutoencoder):
    """Fully connected autoencoder for vectors (e.g. hidden-layer activations).

    Encoder: [Linear -> LeakyReLU(0.2)] for each width in ``hidden``, then a
    linear layer to the ``latent_dim`` code with ``code_activation``; the decoder
    mirrors it and ends with a linear layer (linear output). Features are
    standardised with the training mean and standard deviation first
    (``standardize=True``; constant features are only centred), so the default
    noise levels are relative to unit variance. Training is the same as
    :class:`ConvAutoencoder` (L1 loss, Adam, input / code noise, early stopping);
    see there for the shared parameters.

    Samples of any per-sample shape are flattened to vectors.

    Parameters
    ----------
    latent_dim : int
        Code size; at most the number of features.
    hidden : sequence of int, default (128, 64)
        Widths of the encoder's hidden layers (the decoder uses them reversed).
    standardize : bool, default True
        Standardise each feature before the network (undone by ``inverse_transform``).
    **kwargs
        ``code_activation``, ``lr``, ``batch_size``, ``max_epochs``, ``max_steps``,
        ``validation_fraction``, ``patience``, ``tol``, ``input_noise``, ``code_noise``,
        ``weight_decay``, ``random_state``, ``device``, ``n_jobs``, ``progress``, as in
        :class:`ConvAutoencoder`.

    References
    ----------
    Butakov et al., ICLR 2024 (see :class:`ConvAutoencoder`).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).normal(size=(300, 10)).astype(np.float32)
    >>> ae = MLPAutoencoder(3, max_epochs=2, random_state=0, device="cpu", progress=False)
    >>> ae.fit_transform(x).shape
    (300, 3)
    """

    def __init__(
        self,
        latent_dim: int,
        *,
        hidden: Sequence[int] = (128, 64),
        standardize: bool = True,
        code_activation: str = "tanh",
        lr: float = 1e-3,
        batch_size: int = 256,
        max_epochs: int = 100,
        max_steps: int | None = None,
        validation_fraction: float = 0.1,
        patience: int = 10,
        tol: float = 1e-4,
        input_noise: float = 0.1,
        code_noise: float = 0.02,
        weight_decay: float = 0.0,
        random_state: int | np.random.Generator | None = None,
        device: str = "auto",
        n_jobs: int | None = None,
        progress: bool | None = None,
    ) -> None:
        super().__init__(
            latent_dim,
            code_activation=code_activation,
            lr=lr,
            batch_size=batch_size,
            max_epochs=max_epochs,
            max_steps=max_steps,
            validation_fraction=validation_fraction,
            patience=patience,
            tol=tol,
            input_noise=input_noise,
            code_noise=code_noise,
            weight_decay=weight_decay,
            random_state=random_state,
            device=device,
            n_jobs=n_jobs,
            progress=progress,
        )
        hid = tuple(hidden)
        if not all(
            isinstance(h, (int, np.integer)) and not isinstance(h, bool) and h >= 1 for h in hid
        ):
            msg = (
                f"hidden must be a sequence of positive ints (may be empty); got hidden={hidden!r}"
            )
            raise ValueError(msg)
        self.hidden = tuple(int(h) for h in hid)
        if not isinstance(standardize, (bool, np.bool_)):
            msg = f"standardize must be True or False; got standardize={standardize!r}"
            raise TypeError(msg)
        self.standardize = bool(standardize)

    def _params(self) -> dict[str, Any]:
        return {**super()._params(), "hidden": self.hidden, "standardize": self.standardize}

    def _prepare(self, x: np.ndarray, *, fitting: bool) -> np.ndarray:
        flat = x.reshape(x.shape[0], -1)
        if fitting:
            d = flat.shape[1]
            if self.latent_dim > d:
                msg = (
                    f"latent_dim={self.latent_dim} must not exceed n_features={d}; "
                    "use the data as is or pass a smaller latent_dim"
                )
                raise ValueError(msg)
            if self.standardize:
                f64 = flat.astype(np.float64)
                self.mean_ = f64.mean(axis=0)
                std = f64.std(axis=0)
                std[std <= 1e-12 * max(float(np.abs(self.mean_).max()), 1.0)] = 1.0
                self.scale_ = std
            else:
                self.mean_ = np.zeros(flat.shape[1])
                self.scale_ = np.ones(flat.shape[1])
        return ((flat - self.mean_) / self.scale_).astype(np.float32)

    def _unprepare(self, out: np.ndarray) -> np.ndarray:
        return out.astype(np.float64) * self.scale_ + self.mean_

    def _build(self, torch: Any, sample_shape: tuple[int, ...]) -> tuple[Any, Any]:
        nn = torch.nn
        (d,) = sample_shape
        enc: list[Any] = []
        prev = d
        for h in self.hidden:
            enc += [nn.Linear(prev, h), nn.LeakyReLU(0.2)]
            prev = h
        enc += [nn.Linear(prev, self.latent_dim), self._code_act(torch)]
        dec: list[Any] = []
        prev = self.latent_dim
        for h in reversed(self.hidden):
            dec += [nn.Linear(prev, h), nn.LeakyReLU(0.2)]
            prev = h
        dec.append(nn.Linear(prev, d))
        return nn.Sequential(*enc), nn.Sequential(*dec)
