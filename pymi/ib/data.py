"""The data of an information-plane run: training and evaluation digits, drawn once.

Images come from IDX files (:func:`pymi.datasets.load_mnist`): the MNIST test split
shipped with pymi by default, Fashion-MNIST from Debian's ``dataset-fashion-mnist``
package, or any folder given as ``root``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import _SPLIT, IBConfig, derive_seed

__all__ = ["IBData", "load_data"]


def _load(config: IBConfig, split: str) -> tuple[np.ndarray, np.ndarray]:
    """``load_mnist`` without downloads; a missing file names the options this run has."""
    from ..datasets import load_mnist
    from ..datasets.mnist import FASHION_DIR

    try:
        return load_mnist(config.root, split=split, kind=config.data)
    except FileNotFoundError:
        where = f"in {config.root!r}" if config.root else "in the built-in locations"
        if config.data == "fashion":
            fix = (
                f"install it with `apt-get install dataset-fashion-mnist` (it goes to {FASHION_DIR}), "
                "or pass root= (--root DIR) a folder with its IDX files"
            )
        else:
            fix = "pass root= (--root DIR) a folder with the IDX files (torchvision's MNIST/raw works)"
        msg = f"the {config.data} {split} split (IDX files) was not found {where}; {fix}"
        raise FileNotFoundError(msg) from None


@dataclass
class IBData:
    """Training and evaluation sets, pixels scaled to [0, 1].

    Attributes
    ----------
    train_images, eval_images : numpy.ndarray
        float32, shape ``(n, 28, 28)``.
    train_labels, eval_labels : numpy.ndarray
        int64, shape ``(n,)``.
    eval_indices : numpy.ndarray
        Row numbers of the evaluation images in their IDX split (sorted).
    """

    train_images: np.ndarray
    train_labels: np.ndarray
    eval_images: np.ndarray
    eval_labels: np.ndarray
    eval_indices: np.ndarray


def load_data(config: IBConfig) -> IBData:
    """Load the IDX data of ``config`` and draw the training and evaluation sets.

    When ``train_split == eval_split`` the two sets are disjoint parts of one
    permutation seeded by ``config.seed`` (default: 8,000 / 2,000 of the 10,000 MNIST
    test digits shipped with pymi).

    Raises
    ------
    FileNotFoundError
        If the IDX files are not found (the message names the ``root`` option and, for
        Fashion-MNIST, the Debian package).
    ValueError
        If the split holds fewer images than requested.
    """
    rng = np.random.default_rng(derive_seed(config.seed, _SPLIT))
    ev_imgs, ev_labels = _load(config, config.eval_split)
    if config.train_split == config.eval_split:
        tr_imgs, tr_labels = ev_imgs, ev_labels
        n = ev_imgs.shape[0]
        n_train = n - config.n_eval if config.n_train is None else config.n_train
        if n_train < 1 or config.n_eval + n_train > n:
            msg = (
                f"n_eval={config.n_eval} + n_train={config.n_train} exceed the {n} images of the "
                f"{config.data} {config.eval_split} split (training and evaluation sets are disjoint "
                "parts of it); lower n_eval / n_train, or draw them from different splits "
                "(train_split='train')"
            )
            raise ValueError(msg)
        perm = rng.permutation(n)
        ev_idx, tr_idx = perm[: config.n_eval], perm[config.n_eval : config.n_eval + n_train]
    else:
        tr_imgs, tr_labels = _load(config, config.train_split)
        for name, want, have, split in (
            ("n_eval", config.n_eval, ev_imgs.shape[0], config.eval_split),
            ("n_train", config.n_train, tr_imgs.shape[0], config.train_split),
        ):
            if want is not None and want > have:
                msg = f"{name}={want} exceeds the {have} images of the {config.data} {split} split; lower {name}"
                raise ValueError(msg)
        ev_idx = rng.permutation(ev_imgs.shape[0])[: config.n_eval]
        tr_idx = rng.permutation(tr_imgs.shape[0])[: config.n_train]
    ev_idx = np.sort(ev_idx)
    for split, imgs, labels in (
        (config.eval_split, ev_imgs, ev_labels),
        (config.train_split, tr_imgs, tr_labels),
    ):
        if imgs.shape[1:] != (28, 28):
            msg = (
                f"the {config.data} {split} images in {config.root!r} have shape "
                f"{imgs.shape[1:]}, but the classifier (NoisyCNN) takes 28x28 MNIST-format "
                f"digits; pass root= a folder with 28x28 IDX files"
            )
            raise ValueError(msg)
        if labels.size and not (labels.min() >= 0 and labels.max() <= 9):
            msg = (
                f"the {config.data} {split} labels in {config.root!r} range over "
                f"{int(labels.min())}..{int(labels.max())}, but the classifier has 10 outputs "
                f"(labels 0..9)"
            )
            raise ValueError(msg)
    return IBData(
        train_images=(tr_imgs[tr_idx].astype(np.float32) / 255.0),
        train_labels=tr_labels[tr_idx].astype(np.int64),
        eval_images=(ev_imgs[ev_idx].astype(np.float32) / 255.0),
        eval_labels=ev_labels[ev_idx].astype(np.int64),
        eval_indices=ev_idx.astype(np.int64),
    )
