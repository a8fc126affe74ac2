"""How much MI one side's image encoder loses, without a second encoder in the way.

Fits one :class:`pymi.compression.ConvAutoencoder` on 2500 independent images (true MI 0,
seed 1), then encodes the X images of 2500 fresh pairs at true MI ``mi`` (seed 2) and
estimates I(code(X); latent(Y)) with the default method. The other side is its exact
Gaussian latent, so the shortfall against the same estimate on both latents ("oracle") is
what this encoder loses (nats). One JSON line per call.

    nice python benchmarks/compression/side_loss_probe.py GEN [OPTIONS]
    # e.g. rectangles '{"mi": 3, "channels": [8, 16, 16], "input_noise": 0.02}'

GEN is ``rectangles`` (4 latents) or ``gaussian_bump`` (2), 16x16 unless OPTIONS has
``"size"``; other OPTIONS keys (besides ``mi``, ``size``, ``n_train``) go to the
autoencoder.
"""

import json
import sys
import time
import warnings

import pymi
from pymi.compression import ConvAutoencoder
from pymi.datasets.images import gaussian_bump, rectangles

GENERATORS = {"rectangles": (rectangles, 4), "gaussian_bump": (gaussian_bump, 2)}


def main(argv: list[str]) -> None:
    gen = argv[0]
    opts = json.loads(argv[1]) if len(argv) > 1 else {}
    mi, size, n_train = float(opts.pop("mi", 3.0)), opts.pop("size", 16), opts.pop("n_train", 2500)
    make, latent_dim = GENERATORS[gen]
    train = make(0.0, n_train, random_state=1, size=size)
    test = make(mi, 2500, random_state=2, size=size)
    ae = ConvAutoencoder(latent_dim, random_state=0, progress=False, **opts)
    start = time.time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ae.fit(train.x)
        fit_seconds = time.time() - start
        coded = pymi.mutual_information(ae.transform(test.x), test.latent_y, random_state=0).value
        oracle = pymi.mutual_information(test.latent_x, test.latent_y, random_state=0).value
    record = {
        "gen": gen, "size": size, "mi": mi, "opts": opts, "n_train": n_train,
        "fit_s": round(fit_seconds, 1), "steps": ae.n_steps_, "est": round(coded, 3),
        "oracle": round(oracle, 3), "loss": round(oracle - coded, 3),
    }  # fmt: skip
    print(json.dumps(record), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
