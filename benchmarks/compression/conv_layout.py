"""Training-step time of ConvAutoencoder in the default and the channels-last memory layout.

Times ``max_steps`` optimiser steps of a fit on random images (2500 of them, 10 % held
out) for each layout, in the same process, interleaved, and prints the ratio; run on a
quiet machine (torch uses its default threads).

    python benchmarks/compression/conv_layout.py [SIZE] [STEPS]
"""

import sys
import time

import numpy as np

from pymi.compression.autoencoder import ConvAutoencoder


class _DefaultLayout(ConvAutoencoder):
    def _to_layout(self, torch, module):
        return module


def _ms_per_step(cls: type, images: np.ndarray, steps: int) -> float:
    ae = cls(latent_dim=4, max_steps=steps, random_state=0, progress=False)
    start = time.perf_counter()
    ae.fit(images)
    return (time.perf_counter() - start) / ae.n_steps_ * 1e3


def main(argv: list[str]) -> None:
    size = int(argv[0]) if argv else 32
    steps = int(argv[1]) if len(argv) > 1 else 300
    images = np.random.default_rng(0).random((2500, size, size)).astype(np.float32)
    _ms_per_step(ConvAutoencoder, images, 20)  # warm-up: oneDNN primitive caches
    times: dict[str, list[float]] = {"default": [], "channels_last": []}
    for _ in range(2):
        times["default"].append(_ms_per_step(_DefaultLayout, images, steps))
        times["channels_last"].append(_ms_per_step(ConvAutoencoder, images, steps))
    best = {k: min(v) for k, v in times.items()}
    print(
        f"{size}x{size}: default {best['default']:.1f} ms/step, channels-last "
        f"{best['channels_last']:.1f} ms/step, ratio {best['default'] / best['channels_last']:.2f}"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
