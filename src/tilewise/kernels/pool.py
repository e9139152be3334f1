"""Max and average pooling with MXNet's padding and count-include-pad rules."""

import numpy as np
from numba import njit, prange


@njit(parallel=True, cache=True)
def max_pool(x, out, kh, kw, sh, sw, ph, pw):
    n_images, channels, height, width = x.shape
    oh, ow = out.shape[2], out.shape[3]
    for job in prange(n_images * channels):
        n = job // channels
        c = job - n * channels
        plane = x[n, c]
        for y in range(oh):
            y0 = max(y * sh - ph, 0)
            y1 = min(y * sh - ph + kh, height)
            for xo in range(ow):
                x0 = max(xo * sw - pw, 0)
                x1 = min(xo * sw - pw + kw, width)
                best = -np.inf
                for iy in range(y0, y1):
                    for ix in range(x0, x1):
                        v = plane[iy, ix]
                        if v > best:
                            best = v
                out[n, c, y, xo] = best


@njit(parallel=True, cache=True)
def avg_pool(x, out, kh, kw, sh, sw, ph, pw, count_include_pad):
    """count_include_pad: divide by the window clipped to the padded input (MXNet, Caffe)."""
    n_images, channels, height, width = x.shape
    oh, ow = out.shape[2], out.shape[3]
    for job in prange(n_images * channels):
        n = job // channels
        c = job - n * channels
        plane = x[n, c]
        for y in range(oh):
            ys = y * sh - ph
            ye = min(ys + kh, height + ph)
            y0, y1 = max(ys, 0), min(ye, height)
            for xo in range(ow):
                xs = xo * sw - pw
                xe = min(xs + kw, width + pw)
                x0, x1 = max(xs, 0), min(xe, width)
                total = 0.0
                for iy in range(y0, y1):
                    for ix in range(x0, x1):
                        total += plane[iy, ix]
                if count_include_pad:
                    count = (ye - ys) * (xe - xs)
                else:
                    count = (y1 - y0) * (x1 - x0)
                out[n, c, y, xo] = total / count if count > 0 else 0.0
