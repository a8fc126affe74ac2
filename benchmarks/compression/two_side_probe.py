"""Two separately trained image encoders: what each loses, and what the estimate on both codes loses.

Autoencoders are fitted on independent images (true MI 0; 2500 per side, or one shared
autoencoder on all 5000 with ``"shared": true``); 2500 fresh pairs at true MI ``mi`` are
encoded, and the default method estimates I on (code X, latent Y), (latent X, code Y) and
(code X, code Y), next to the estimate on both latents ("oracle"). One JSON line per call
(nats).

    nice python benchmarks/compression/two_side_probe.py GEN [OPTIONS]
    # e.g. rectangles '{"mi": 3, "seed": 1}'

GEN is ``rectangles`` (4 latents) or ``gaussian_bump`` (2); OPTIONS keys other than
``mi``, ``size``, ``seed`` and ``shared`` go to the autoencoders.
"""

import json
import sys
import time
import warnings

import numpy as np

import pymi
from pymi.compression import ConvAutoencoder
from pymi.datasets.images import gaussian_bump, rectangles

GENERATORS = {"rectangles": (rectangles, 4), "gaussian_bump": (gaussian_bump, 2)}


def main(argv: list[str]) -> None:
    gen = argv[0]
    opts = json.loads(argv[1]) if len(argv) > 1 else {}
    mi, size = float(opts.pop("mi", 3.0)), opts.pop("size", 16)
    shared, seed = opts.pop("shared", False), opts.pop("seed", 0)
    make, latent_dim = GENERATORS[gen]
    train = make(0.0, 2500, random_state=100 + seed, size=size)
    test = make(mi, 2500, random_state=200 + seed, size=size)
    warnings.simplefilter("ignore")
    start = time.time()
    if shared:
        ae_x = ConvAutoencoder(latent_dim, random_state=seed, progress=False, **opts)
        ae_x.fit(np.concatenate([train.x, train.y]))
        ae_y = ae_x
    else:
        ae_x = ConvAutoencoder(latent_dim, random_state=seed, progress=False, **opts).fit(train.x)
        ae_y = ConvAutoencoder(latent_dim, random_state=seed + 50, progress=False, **opts).fit(train.y)
    fit_seconds = time.time() - start
    cx, cy = ae_x.transform(test.x), ae_y.transform(test.y)

    def est(u: np.ndarray, v: np.ndarray) -> float:
        return round(pymi.mutual_information(u, v, random_state=0).value, 3)

    record = {
        "gen": gen, "size": size, "mi": mi, "seed": seed, "shared": shared, "opts": opts,
        "fit_s": round(fit_seconds, 1), "steps": [ae_x.n_steps_, ae_y.n_steps_],
        "oracle": est(test.latent_x, test.latent_y), "cx_ly": est(cx, test.latent_y),
        "lx_cy": est(test.latent_x, cy), "cx_cy": est(cx, cy),
    }  # fmt: skip
    print(json.dumps(record), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
