"""Matrix products split over Numba's own threads, each part a single-threaded BLAS call.

Numba's np.dot calls BLAS through SciPy (scipy.linalg.cython_blas). Splitting inside a
prange reuses the worker threads every other kernel already woke, so a 20-40 MFLOP
product (a 1x1 convolution on a 7x7 or 14x14 map) gains the second core instead of
paying a Python thread pool's wake-up (20-55 us here, as long as half the product).
Every operand must be C-contiguous float32; out rows are written in place.
"""

import numpy as np
from numba import njit, prange


@njit(parallel=True, cache=True)
def dot_rows(a, b, out, parts):
    """out = a @ b for 2-D a (M, K), b (K, N), out (M, N), M split `parts` ways."""
    rows = a.shape[0]
    step = ((rows + parts - 1) // parts + 15) // 16 * 16  # whole 16-row BLAS panels
    for p in prange(parts):
        lo = p * step
        hi = min(rows, lo + step)
        if lo < hi:
            np.dot(a[lo:hi], b, out[lo:hi])


@njit(parallel=True, cache=True)
def dot_stack(a, b, out, parts):
    """out[s] = a[s] @ b[s] (a 3-D) or a @ b[s] (a 2-D) for every s; rows split `parts` ways."""
    stack, rows = out.shape[0], out.shape[1]
    step = ((rows + parts - 1) // parts + 15) // 16 * 16
    for job in prange(stack * parts):
        s = job // parts
        lo = (job - s * parts) * step
        hi = min(rows, lo + step)
        if lo < hi:
            if a.ndim == 3:
                np.dot(a[s, lo:hi], b[s], out[s, lo:hi])
            else:
                np.dot(a[lo:hi], b[s], out[s, lo:hi])
