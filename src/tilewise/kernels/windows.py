"""Which output columns a kernel tap reads inside the input row: shared by the kernels
that clip windows to the input instead of padding it (im2col, pooling, depthwise)."""

import numpy as np
from numba import njit


@njit(cache=True, inline="always")
def tap_ranges(kw, sw, pw, dw, width, out_w):
    """ranges[kx] = (lo, hi): output columns ox in [lo, hi) read input column
    ox * sw + kx * dw - pw, which lies inside [0, width)."""
    ranges = np.empty((kw, 2), np.int64)
    for kx in range(kw):
        offset = kx * dw - pw
        lo = 0
        while lo < out_w and lo * sw + offset < 0:
            lo += 1
        hi = out_w
        while hi > lo and (hi - 1) * sw + offset >= width:
            hi -= 1
        ranges[kx, 0], ranges[kx, 1] = lo, hi
    return ranges
