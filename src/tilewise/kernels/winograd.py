"""Winograd tile gather and scatter; the transforms themselves are generated per tile size
(kernels/winograd_generated.py) with the matrix entries written out as constants.

A transform job is one channel (or filter) and a block of up to `block` tiles that sit side
by side in the innermost axis of `work`, so the transform steps are vector loops over
tiles. Tiles are numbered image-major, then tile row, then column.
V[(a, b), c, t] = (B^T d B)[a, b];  out = act(A^T M A + bias) with M = U @ V per (a, b).
`work` holds two (alpha^2, block) areas per Numba thread; keep it out of the arrays it is
used with (4 KiB aliasing against V or M measured 2x slower).
"""

from numba import njit

from tilewise.kernels.activation import apply_act


@njit(cache=True, inline="always")
def gather_tiles(x, d, c, t0, count, m, pad_h, pad_w, tiles_h, tiles_w):
    """d[(i, j), q] = x[n, c, y0 + i, x0 + j] of tile t0 + q, zero outside the input."""
    height, width = x.shape[2], x.shape[3]
    alpha = m + 2
    per_image = tiles_h * tiles_w
    for q in range(count):
        t = t0 + q
        n = t // per_image
        r = t - n * per_image
        ty = r // tiles_w
        y0 = ty * m - pad_h
        x0 = (r - ty * tiles_w) * m - pad_w
        if y0 >= 0 and x0 >= 0 and y0 + alpha <= height and x0 + alpha <= width:
            for i in range(alpha):
                for j in range(alpha):
                    d[i * alpha + j, q] = x[n, c, y0 + i, x0 + j]
            continue
        for i in range(alpha):
            iy = y0 + i
            for j in range(alpha):
                ix = x0 + j
                inside = 0 <= iy < height and 0 <= ix < width
                d[i * alpha + j, q] = x[n, c, iy, ix] if inside else 0.0


@njit(cache=True, inline="always")
def scatter_tiles(y, out, k, t0, count, m, tiles_h, tiles_w, act):
    """out[n, k, oy0 + i, ox0 + j] = act(y[(i, j), q]), clipped at the right and bottom."""
    out_h, out_w = out.shape[2], out.shape[3]
    per_image = tiles_h * tiles_w
    for q in range(count):
        t = t0 + q
        n = t // per_image
        r = t - n * per_image
        ty = r // tiles_w
        oy0 = ty * m
        ox0 = (r - ty * tiles_w) * m
        for i in range(min(m, out_h - oy0)):
            for j in range(min(m, out_w - ox0)):
                out[n, k, oy0 + i, ox0 + j] = apply_act(y[i * m + j, q], act)
