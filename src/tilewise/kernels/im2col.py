"""im2col: unfold input patches into GEMM columns, several images side by side."""

from numba import njit, prange

from tilewise.kernels.windows import tap_ranges


@njit(parallel=True, cache=True)
def im2col(x, col, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow):
    """x: (B, C, H, W) -> col: (C*kh*kw, B*oh*ow); zero where the window leaves the input."""
    n_images, channels, height, width = x.shape
    plane = oh * ow
    ranges = tap_ranges(kw, sw, pw, dw, width, ow)
    for job in prange(n_images * channels):
        i = job // channels
        c = job - i * channels
        for r in range(kh):
            for s in range(kw):
                row = col[(c * kh + r) * kw + s]
                dx = s * dw - pw
                lo, hi = ranges[s, 0], ranges[s, 1]
                for y in range(oh):
                    iy = y * sh - ph + r * dh
                    base = i * plane + y * ow
                    if iy < 0 or iy >= height:
                        for xo in range(ow):
                            row[base + xo] = 0.0
                        continue
                    for xo in range(lo):
                        row[base + xo] = 0.0
                    for xo in range(hi, ow):
                        row[base + xo] = 0.0
                    # zero-based loops over slices: no negative-index checks, so it vectorises
                    inside = row[base + lo : base + hi]
                    seg = x[i, c, iy, lo * sw + dx :]
                    if sw == 1:
                        for j in range(hi - lo):
                            inside[j] = seg[j]
                    else:
                        for j in range(hi - lo):
                            inside[j] = seg[j * sw]
