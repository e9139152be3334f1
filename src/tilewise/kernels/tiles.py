"""Tile gather and scatter shared by the transform-domain convolutions (Winograd, FFT).

A transform job is one channel (or filter) and a block of up to `block` tiles that sit
side by side in the innermost axis of its work area, so the generated transform steps
(kernels/*_generated.py) are vector loops over tiles. Tiles are numbered image-major,
then tile row, then column; tile (ty, tx) reads the size x size window at
(ty * step_h - pad_h, tx * step_w - pad_w) and owns the step_h x step_w outputs at
(ty * step_h, tx * step_w). Keep work areas out of the arrays they are used with:
4 KiB aliasing against the transformed tiles measured 2x slower.
"""

import numpy as np
from numba import njit

from tilewise.kernels.activation import RELU, apply_act


@njit(cache=True, inline="always")
def tile_origin(t, tiles_h, tiles_w, step_h, step_w):
    """(image, first row, first column) of the outputs that tile t owns."""
    per_image = tiles_h * tiles_w
    n = t // per_image
    r = t - n * per_image
    ty = r // tiles_w
    return n, ty * step_h, (r - ty * tiles_w) * step_w


@njit(cache=True, inline="always")
def gather_tiles(x, d, c, t0, count, size, step_h, step_w, pad_h, pad_w, tiles_h, tiles_w):
    """d[(i, j), q] = x[n, c, y0 + i, x0 + j] of tile t0 + q, zero outside the input."""
    height, width = x.shape[2], x.shape[3]
    for q in range(count):
        n, oy0, ox0 = tile_origin(t0 + q, tiles_h, tiles_w, step_h, step_w)
        y0, x0 = oy0 - pad_h, ox0 - pad_w
        if y0 >= 0 and x0 >= 0 and y0 + size <= height and x0 + size <= width:
            plane = x[n, c]
            for i in range(size):
                row = plane[y0 + i, x0 : x0 + size]
                for j in range(size):
                    d[i * size + j, q] = row[j]
            continue
        for i in range(size):
            iy = y0 + i
            for j in range(size):
                ix = x0 + j
                inside = 0 <= iy < height and 0 <= ix < width
                d[i * size + j, q] = x[n, c, iy, ix] if inside else 0.0


@njit(cache=True, inline="always")
def scatter_tiles(y, out, k, t0, count, size, step_h, step_w, tiles_h, tiles_w, act):
    """out[n, k, oy0 + i, ox0 + j] = act(y[i * size + j, q]) for the outputs tile q owns."""
    out_h, out_w = out.shape[2], out.shape[3]
    for q in range(count):
        n, oy0, ox0 = tile_origin(t0 + q, tiles_h, tiles_w, step_h, step_w)
        rows, cols = min(step_h, out_h - oy0), min(step_w, out_w - ox0)
        plane = out[n, k]
        for i in range(rows):
            dst = plane[oy0 + i, ox0 : ox0 + cols]
            if act == RELU:
                for j in range(cols):
                    v = y[i * size + j, q]
                    dst[j] = np.float32(0.0) if v < 0.0 else v  # NaN passes
            else:
                for j in range(cols):
                    dst[j] = apply_act(y[i * size + j, q], act)
