"""Compression of high-dimensional variables before mutual-information estimation.

Following Butakov et al., "Information Bottleneck Analysis of Deep Neural
Networks via Lossy Compression" (ICLR 2024): compress each variable to a few
dimensions with an autoencoder (or PCA), then run a classical estimator on the
codes. By the data-processing inequality I(E(X); E(Y)) <= I(X; Y), with equality
when the encoder is injective on the support of the data.
"""

from .autoencoder import ConvAutoencoder, MLPAutoencoder
from .base import Compressor, NotFittedError
from .pca import PCA

__all__ = ["Compressor", "ConvAutoencoder", "MLPAutoencoder", "NotFittedError", "PCA"]
