"""Max and average pooling with MXNet's padding and count-include-pad rules.

Each output row is accumulated in place, one (input row, kernel column) pair at a time,
so the inner loop runs along the output row and vectorises.
"""

import numpy as np
from numba import njit, prange


@njit(cache=True, inline="always")
def _columns(kx, sw, pw, width, out_w):
    """Output columns whose input column ox*sw - pw + kx lies inside [0, width)."""
    lo = max(0, -((kx - pw) // sw)) if kx < pw else 0
    hi = min(out_w, (width - 1 + pw - kx) // sw + 1)
    return lo, hi


@njit(parallel=True, cache=True)
def max_pool(x, out, kh, kw, sh, sw, ph, pw):
    n_images, channels, height, width = x.shape
    out_h, out_w = out.shape[2], out.shape[3]
    for job in prange(n_images * channels):
        n = job // channels
        c = job - n * channels
        for oy in range(out_h):
            row = out[n, c, oy]
            row[:] = -np.inf
            for iy in range(max(oy * sh - ph, 0), min(oy * sh - ph + kh, height)):
                src = x[n, c, iy]
                for kx in range(kw):
                    lo, hi = _columns(kx, sw, pw, width, out_w)
                    offset = kx - pw
                    for ox in range(lo, hi):
                        row[ox] = max(row[ox], src[ox * sw + offset])


@njit(parallel=True, cache=True)
def avg_pool(x, out, kh, kw, sh, sw, ph, pw, count_include_pad):
    """count_include_pad: divide by the window clipped to the padded input (MXNet, Caffe)."""
    n_images, channels, height, width = x.shape
    out_h, out_w = out.shape[2], out.shape[3]
    for job in prange(n_images * channels):
        n = job // channels
        c = job - n * channels
        for oy in range(out_h):
            row = out[n, c, oy]
            row[:] = 0.0
            ys = oy * sh - ph
            y0, y1 = max(ys, 0), min(ys + kh, height)
            for iy in range(y0, y1):
                src = x[n, c, iy]
                for kx in range(kw):
                    lo, hi = _columns(kx, sw, pw, width, out_w)
                    offset = kx - pw
                    for ox in range(lo, hi):
                        row[ox] += src[ox * sw + offset]
            for ox in range(out_w):
                xs = ox * sw - pw
                if count_include_pad:
                    area = (min(ys + kh, height + ph) - ys) * (min(xs + kw, width + pw) - xs)
                else:
                    area = (y1 - y0) * (min(xs + kw, width) - max(xs, 0))
                row[ox] = row[ox] / area if area > 0 else 0.0
