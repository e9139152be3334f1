"""Local response normalisation across channels (MXNet: alpha is divided by nsize)."""

import math

from numba import njit, prange


@njit(parallel=True, cache=True)
def lrn(x, out, nsize, alpha, beta, knorm):
    """x, out: (N, C, P). out = x / (knorm + alpha/nsize * sum of x^2 over nsize channels)^beta.

    One job per (image, channel); the inner loops run along the pixels and vectorise.
    beta = 0.75 (AlexNet, Caffe) uses two square roots instead of pow.
    """
    n_images, channels, size = x.shape
    half = nsize // 2
    ratio = alpha / nsize
    three_quarters = beta == 0.75
    for job in prange(n_images * channels):
        n = job // channels
        c = job - n * channels
        row = out[n, c]
        row[:] = 0.0
        for j in range(max(0, c - half), min(channels, c + half + 1)):
            src = x[n, j]
            for p in range(size):
                row[p] += src[p] * src[p]
        src = x[n, c]
        if three_quarters:
            for p in range(size):
                z = knorm + ratio * row[p]
                row[p] = src[p] / (math.sqrt(z) * math.sqrt(math.sqrt(z)))
        else:
            for p in range(size):
                row[p] = src[p] * (knorm + ratio * row[p]) ** -beta
