"""One cross-fitted (or single-split) AE estimate on 5000 image pairs, with given AE options.

Probes whether the autoencoder's training budget limits ``compress="ae"`` accuracy on
the realistic budget (all N samples given, default settings otherwise); prints one JSON
line with the estimate, its error against the exact truth (nats) and the wall time.

    nice python benchmarks/compression/realistic_budget_probe.py MI SEED [AE_OPTIONS] [CALL_OPTIONS]
    # e.g. 5 0 '{"max_epochs": 300, "patience": 30}' '{"cross_fit": false}'

AE_OPTIONS go to ``compressor_options``; CALL_OPTIONS to ``pymi.mutual_information``,
plus ``"gen"`` (``"gaussian_bump"`` or ``"rectangles"``), ``"size"`` (16) and ``"latent_dim"`` (2).
"""

import json
import sys
import time
import warnings

import pymi
from pymi.datasets.images import gaussian_bump, rectangles

GENERATORS = {"gaussian_bump": gaussian_bump, "rectangles": rectangles}


def main(argv: list[str]) -> None:
    mi, seed = float(argv[0]), int(argv[1])
    ae_options = json.loads(argv[2]) if len(argv) > 2 else {}
    call = json.loads(argv[3]) if len(argv) > 3 else {}
    gen = call.pop("gen", "gaussian_bump")
    latent_dim = call.pop("latent_dim", 2)
    size = call.pop("size", 16)
    data = GENERATORS[gen](mi, 5000, size=size, random_state=seed)
    start = time.time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = pymi.mutual_information(
            data.x, data.y, compress="ae", latent_dim=latent_dim, random_state=seed, progress=False,
            compressor_options=ae_options, **call,
        )  # fmt: skip
    record = {
        "generator": gen, "size": size, "mi": mi, "seed": seed, "ae_options": ae_options, "call": call,
        "estimate": est.value, "error": est.value - mi, "seconds": round(time.time() - start, 1),
    }  # fmt: skip
    print(json.dumps(record), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
