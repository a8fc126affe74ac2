"""Compression of high-dimensional variables before mutual-information estimation.

Following Butakov et al., "Information Bottleneck Analysis of Deep Neural
Networks via Lossy Compression" (ICLR 2024): compress each variable to a few
dimensions with an autoencoder (or PCA), then run a classical estimator on the
codes. By the data-processing inequality I(E(X); E(Y)) <= I(X; Y), with equality
when the encoder is injective on the support of the data.

PCA needs only NumPy; the autoencoders need PyTorch (``pip install "pymi[torch]"``),
imported only when they are fitted.
"""

from .autoencoder import ConvAutoencoder, MLPAutoencoder
from .base import Compressor, NotFittedError
from .compressed import (
    Compressed,
    CompressedPair,
    combine_cross_fit,
    compress_cross_fit,
    compress_pair,
    make_compressor,
)
from .pca import PCA

__all__ = [
    "PCA",
    "Compressed",
    "CompressedPair",
    "Compressor",
    "ConvAutoencoder",
    "MLPAutoencoder",
    "NotFittedError",
    "combine_cross_fit",
    "compress_cross_fit",
    "compress_pair",
    "make_compressor",
]
