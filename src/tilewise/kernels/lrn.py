"""Local response normalisation across channels (MXNet: alpha is divided by nsize)."""

from numba import njit, prange


@njit(parallel=True, cache=True)
def lrn(x, out, nsize, alpha, beta, knorm):
    """x, out: (N, C, P). out = x / (knorm + alpha/nsize * sum of x^2 over nsize channels)^beta."""
    n_images, channels, size = x.shape
    half = nsize // 2
    ratio = alpha / nsize
    for job in prange(n_images * size):
        n = job // size
        p = job - n * size
        for c in range(channels):
            total = 0.0
            for j in range(max(0, c - half), min(channels, c + half + 1)):
                v = x[n, j, p]
                total += v * v
            out[n, c, p] = x[n, c, p] / (knorm + ratio * total) ** beta
