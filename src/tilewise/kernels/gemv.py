"""Matrix-vector products for a classifier at small batch: bound by the weights' bytes.

BLAS's one-thread GEMV streamed ResNet-50's 8 MB classifier in 0.52 ms inside the network
(onnxruntime: 0.17 ms); here every core streams its share of the weight rows, on Numba's
threads, which are awake between layers anyway: 0.30 ms.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

MAX_ROWS = 4  # input rows (images) up to which each weight row is reused from L1


@njit(parallel=True, fastmath=True, cache=True)
def gemv(weight: np.ndarray, x: np.ndarray, out: np.ndarray) -> None:
    """out[m, i] = dot(weight[i], x[m]) for weight (N, K) row-major and a few rows m; four
    weight rows at a time, so each core has four streams from memory in flight (one row at
    a time was 15-20% slower on the classifiers)."""
    rows, depth = weight.shape
    groups = rows // 4
    for group in prange(groups):
        i = group * 4
        for m in range(x.shape[0]):
            t0 = np.float32(0.0)
            t1 = np.float32(0.0)
            t2 = np.float32(0.0)
            t3 = np.float32(0.0)
            for k in range(depth):
                v = x[m, k]
                t0 += weight[i, k] * v
                t1 += weight[i + 1, k] * v
                t2 += weight[i + 2, k] * v
                t3 += weight[i + 3, k] * v
            out[m, i] = t0
            out[m, i + 1] = t1
            out[m, i + 2] = t2
            out[m, i + 3] = t3
    for i in range(groups * 4, rows):
        for m in range(x.shape[0]):
            total = np.float32(0.0)
            for k in range(depth):
                total += weight[i, k] * x[m, k]
            out[m, i] = total
