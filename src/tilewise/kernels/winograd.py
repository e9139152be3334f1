"""Winograd input and output transforms, vectorised across tiles.

A job is one channel (or filter) and a block of up to `block` tiles. Tiles of a block
sit side by side in the innermost axis, so both 1-D transform steps are vector loops
over tiles with the matrix entries as scalars; only the gather and the final scatter
touch pixels one by one. Tiles are numbered image-major, then tile row, then column.
V[(a, b), c, t] = (B^T d B)[a, b];  out = act(A^T M A + bias) with M = U @ V per (a, b).
`work` holds two (alpha^2, block) rows per Numba thread; keep it out of the arrays
it is used with (4 KiB aliasing against V or M measured 2x slower).
"""

import numba
from numba import njit, prange

from tilewise.kernels.activation import apply_act


@njit(parallel=True, cache=True)
def winograd_input(x, v, b_t, m, pad_h, pad_w, tiles_h, tiles_w, work):
    """x: (B, C, H, W) -> v: (alpha^2, C, B*tiles); work: (threads, 2, alpha^2, block)."""
    n_images, channels, height, width = x.shape
    alpha = b_t.shape[0]
    block = work.shape[3]
    per_image = tiles_h * tiles_w
    total = n_images * per_image
    n_blocks = (total + block - 1) // block
    for job in prange(channels * n_blocks):
        c = job // n_blocks
        t0 = (job - c * n_blocks) * block
        count = min(block, total - t0)
        d = work[numba.get_thread_id(), 0]
        tmp = work[numba.get_thread_id(), 1]
        for q in range(count):  # gather alpha x alpha patches, zero outside the input
            t = t0 + q
            n = t // per_image
            r = t - n * per_image
            ty = r // tiles_w
            y0 = ty * m - pad_h
            x0 = (r - ty * tiles_w) * m - pad_w
            inside = y0 >= 0 and x0 >= 0 and y0 + alpha <= height and x0 + alpha <= width
            for i in range(alpha):
                iy = y0 + i
                for j in range(alpha):
                    ix = x0 + j
                    if inside or (0 <= iy < height and 0 <= ix < width):
                        d[i * alpha + j, q] = x[n, c, iy, ix]
                    else:
                        d[i * alpha + j, q] = 0.0
        for a in range(alpha):  # B^T over rows
            for j in range(alpha):
                row = tmp[a * alpha + j]
                row[:count] = 0.0
                for i in range(alpha):
                    coef = b_t[a, i]
                    if coef != 0.0:
                        src = d[i * alpha + j]
                        for q in range(count):
                            row[q] += coef * src[q]
        for a in range(alpha):  # B over columns, straight into V
            for b in range(alpha):
                dst = v[a * alpha + b, c, t0 : t0 + count]
                dst[:] = 0.0
                for j in range(alpha):
                    coef = b_t[b, j]
                    if coef != 0.0:
                        src = tmp[a * alpha + j]
                        for q in range(count):
                            dst[q] += coef * src[q]


@njit(parallel=True, cache=True)
def winograd_output(mm, out, a_t, bias, act, tiles_h, tiles_w, work):
    """mm: (alpha^2, K, B*tiles) -> out: (B, K, OH, OW); work: (threads, 2, alpha^2, block)."""
    n_images, filters, out_h, out_w = out.shape
    m, alpha = a_t.shape
    block = work.shape[3]
    per_image = tiles_h * tiles_w
    total = n_images * per_image
    n_blocks = (total + block - 1) // block
    for job in prange(filters * n_blocks):
        k = job // n_blocks
        t0 = (job - k * n_blocks) * block
        count = min(block, total - t0)
        s = work[numba.get_thread_id(), 0]
        y = work[numba.get_thread_id(), 1]
        for i in range(m):  # A^T over rows
            for b in range(alpha):
                row = s[i * alpha + b]
                row[:count] = 0.0
                for a in range(alpha):
                    coef = a_t[i, a]
                    if coef != 0.0:
                        src = mm[a * alpha + b, k, t0 : t0 + count]
                        for q in range(count):
                            row[q] += coef * src[q]
        for i in range(m):  # A over columns, starting from the bias
            for j in range(m):
                row = y[i * m + j]
                row[:count] = bias[k]
                for b in range(alpha):
                    coef = a_t[j, b]
                    if coef != 0.0:
                        src = s[i * alpha + b]
                        for q in range(count):
                            row[q] += coef * src[q]
        for q in range(count):  # scatter, clipped at the right and bottom edges
            t = t0 + q
            n = t // per_image
            r = t - n * per_image
            ty = r // tiles_w
            oy0 = ty * m
            ox0 = (r - ty * tiles_w) * m
            for i in range(min(m, out_h - oy0)):
                dst = out[n, k, oy0 + i]
                for j in range(min(m, out_w - ox0)):
                    dst[ox0 + j] = apply_act(y[i * m + j, q], act)
