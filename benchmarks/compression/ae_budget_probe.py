"""Effect of the autoencoder training budget on AE+WKL accuracy (the probes in README.md).

Trains one ConvAutoencoder on ``n_train`` fresh images of the marginal (MI-0 pairs, X and Y
stacked; seed 123), then estimates MI with WKL (k = 5) on the codes, and on PCA codes of the
same size, at true MI 0, 2, ..., 10 nats with 5000 fresh pairs each.

    PYTHONPATH=. nice -n 10 python benchmarks/compression/ae_budget_probe.py \
        rectangles 16 4 8,16,16 256 2400 20000
    # arguments: generator size latent_dim channels batch_size max_steps n_train [lr]
"""

import sys
import time
import warnings

import numpy as np
import torch

import pymi
from pymi.compression import PCA, ConvAutoencoder
from pymi.datasets import images

warnings.simplefilter("ignore")
gen, size, latent = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
channels = tuple(map(int, sys.argv[4].split(",")))
batch, steps, n_train = int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
lr = float(sys.argv[8]) if len(sys.argv) > 8 else 1e-3
torch.set_num_threads(1)
make = getattr(images, gen)
s = make(0.0, n_train // 2, size=size, random_state=123)
train = np.concatenate([s.x, s.y])
ae = ConvAutoencoder(
    latent, channels=channels, batch_size=batch, max_steps=steps, max_epochs=10**6, lr=lr,
    patience=10**6, random_state=0, device="cpu", n_jobs=1, progress=False,
)  # fmt: skip
t = time.time()
ae.fit(train)
fit_s = time.time() - t
pca = PCA(latent).fit(train)
print(
    f"{sys.argv[1:]} train {fit_s:.0f}s steps {ae.n_steps_} "
    f"val {ae.history_['val_loss'][-1]:.4f} best_epoch {ae.best_epoch_}/{ae.n_epochs_}",
    flush=True,
)
res = []
for mi in [0, 2, 4, 6, 8, 10]:
    d = make(float(mi), 5000, size=size, random_state=1000 + mi)
    w = pymi.mutual_information(ae.transform(d.x), ae.transform(d.y), "wkl", k=5, n_jobs=1)
    p = pymi.mutual_information(pca.transform(d.x), pca.transform(d.y), "wkl", k=5, n_jobs=1)
    res.append((mi, round(float(w), 2), round(float(p), 2)))
print("(true MI, AE+WKL, PCA+WKL):", res, flush=True)
