"""Kernels on channel-blocked (NCHWc) arrays, shape (N, Cb, H, W, c): the reorders to and
from NCHW and the per-channel scale/shift (pooling, global too, is in pool_generated.py).
The innermost loop runs over the c lanes of one pixel, contiguous, so plain Numba loops
vectorise; lanes past the real channel count hold finite junk that the
next convolution's zero weights ignore."""

from numba import njit, prange

from tilewise.kernels.activation import activate_row


@njit(parallel=True, cache=True)
def to_blocked(x, y):
    """x (N, C, H, W) -> y (N, Cb, H, W, c); lanes past C are zero."""
    n_images, channels, height, width = x.shape
    blocks, lanes = y.shape[1], y.shape[4]
    for job in prange(n_images * blocks):
        n = job // blocks
        cb = job - n * blocks
        real = min(lanes, channels - cb * lanes)
        for h in range(height):
            for w in range(width):
                pixel = y[n, cb, h, w]
                for lane in range(real):
                    pixel[lane] = x[n, cb * lanes + lane, h, w]
                for lane in range(real, lanes):
                    pixel[lane] = 0.0


@njit(parallel=True, cache=True)
def from_blocked(x, y):
    """x (N, Cb, H, W, c) -> y (N, C, H, W), dropping the padding lanes."""
    n_images, channels, height, width = y.shape
    lanes = x.shape[4]
    for job in prange(n_images * channels):
        n = job // channels
        ch = job - n * channels
        cb, lane = ch // lanes, ch % lanes
        plane = x[n, cb]
        out = y[n, ch]
        for h in range(height):
            for w in range(width):
                out[h, w] = plane[h, w, lane]


@njit(parallel=True, cache=True)
def scale_shift_blocked(x, scale_rows, shift_rows, out, act):
    """out = act(x * scale + shift) per channel on (N, Cb, H, W * c) views; the scale and
    shift of block cb are repeated along a row (Cb, W * c), so each row is one plain,
    vectorised loop."""
    n_images, blocks, height, size = x.shape
    for job in prange(n_images * blocks):
        n = job // blocks
        cb = job - n * blocks
        s, t = scale_rows[cb], shift_rows[cb]
        for h in range(height):
            src, dst = x[n, cb, h], out[n, cb, h]
            for p in range(size):
                dst[p] = src[p] * s[p] + t[p]
            activate_row(dst, act)
