"""Direct depthwise convolution (one filter per channel, MobileNet/EfficientNet blocks).

A depthwise layer does kh*kw multiply-adds per output: far too little work for GEMM,
whose per-group setup and im2col copies dominate. Three loop orders, by map width:
- wide maps, stride 1: each (image, channel) plane is copied once into a zero-padded
  plane; on its flattened rows every tap is then one long contiguous multiply-add
  (output columns past the map's edge are computed and dropped);
- wide maps, strided: every output row accumulates taps along the row;
- narrow maps (28 and below): rows that short do not vectorise, so the planes are
  turned channels-last and the inner loop runs along the channels instead.
Bias and activation are applied in the same pass.
"""

import numpy as np
from numba import njit, prange

from tilewise.kernels.activation import activate_row
from tilewise.kernels.windows import tap_ranges


@njit(parallel=True, cache=True)
def depthwise_conv(x, weight, bias, out, sh, sw, ph, pw, dh, dw, act):
    """out[n, k] = act(bias[k] + sum_taps weight[k] * x[n, k // multiplier]) for
    x (N, C, H, W), weight (K, kh, kw) with K = C * multiplier, out (N, K, OH, OW).

    Inner loops count from 0 over slices: Numba then drops its negative-index checks
    and the loop vectorises. With a column stride, the plane is first split into `sw`
    phases (columns p, p + sw, ...) so every tap still reads contiguously.
    """
    n_images, channels, height, width = x.shape
    filters, kh, kw = weight.shape
    out_h, out_w = out.shape[2], out.shape[3]
    multiplier = filters // channels
    ranges = tap_ranges(kw, sw, pw, dw, width, out_w)
    phase_width = (width + sw - 1) // sw
    for job in prange(n_images * filters):
        n = job // filters
        k = job - n * filters
        plane = x[n, k // multiplier]
        acc = np.empty(out_w, np.float32)
        phases = np.empty((sw, height if sw > 1 else 0, phase_width), np.float32)
        for p in range(sw if sw > 1 else 0):
            for iy in range(height):
                src = plane[iy, p:]
                dst = phases[p, iy]
                for j in range((width - p + sw - 1) // sw):
                    dst[j] = src[j * sw]
        for oy in range(out_h):
            acc[:] = bias[k]
            for ky in range(kh):
                iy = oy * sh - ph + ky * dh
                if iy < 0 or iy >= height:
                    continue
                src = plane[iy]
                for kx in range(kw):
                    tap = weight[k, ky, kx]
                    offset = kx * dw - pw
                    lo, hi = ranges[kx, 0], ranges[kx, 1]
                    dst = acc[lo:hi]
                    if sw == 1:
                        seg = src[lo + offset :]
                    else:
                        seg = phases[offset % sw, iy, lo + offset // sw :]
                    for i in range(hi - lo):
                        dst[i] += tap * seg[i]
            row = out[n, k, oy]
            for i in range(out_w):
                row[i] = acc[i]
            activate_row(row, act)


@njit(parallel=True, cache=True)
def depthwise_conv_padded(x, weight, bias, out, ph, pw, dh, dw, act):
    """Stride-1 depthwise convolution on zero-padded, flattened planes; arguments as in
    depthwise_conv."""
    n_images, channels, height, width = x.shape
    filters, kh, kw = weight.shape
    out_h, out_w = out.shape[2], out.shape[3]
    multiplier = filters // channels
    padded_w = out_w + (kw - 1) * dw  # a padded row: every tap of every output column
    padded_h = out_h + (kh - 1) * dh + 1  # one spare row: the last taps overrun the map
    count = out_h * padded_w
    for job in prange(n_images * filters):
        n = job // filters
        k = job - n * filters
        plane = x[n, k // multiplier]
        padded = np.zeros(padded_h * padded_w, np.float32)
        for iy in range(height):
            y = iy + ph
            if y < padded_h - 1:
                row = padded[y * padded_w :]
                src = plane[iy]
                for ix in range(max(0, -pw), min(width, padded_w - pw)):
                    row[ix + pw] = src[ix]
        acc = np.empty(count, np.float32)
        acc[:] = bias[k]
        for ky in range(kh):
            for kx in range(kw):
                seg = padded[ky * dh * padded_w + kx * dw :]
                tap = weight[k, ky, kx]
                for i in range(count):
                    acc[i] += tap * seg[i]
        for oy in range(out_h):
            row = out[n, k, oy]
            src = acc[oy * padded_w :]
            for ox in range(out_w):
                row[ox] = src[ox]
            activate_row(row, act)


@njit(parallel=True, cache=True)
def to_channels_last(x, out):
    """(N, C, H, W) -> (N, H, W, C)."""
    n_images, channels, height, width = x.shape
    for job in prange(n_images * height):
        n = job // height
        y = job - n * height
        for c in range(channels):
            for i in range(width):
                out[n, y, i, c] = x[n, c, y, i]


@njit(parallel=True, cache=True)
def depthwise_conv_channels_last(xt, weight_t, bias, acc, out, sh, sw, ph, pw, dh, dw, act):
    """xt (N, H, W, C) channels-last input, weight_t (kh, kw, C), acc (N, OH, OW, C)
    workspace; writes act(acc + bias) to out (N, C, OH, OW)."""
    n_images, height, width, channels = xt.shape
    kh, kw = weight_t.shape[0], weight_t.shape[1]
    out_h, out_w = out.shape[2], out.shape[3]
    for job in prange(n_images * out_h):
        n = job // out_h
        oy = job - n * out_h
        for ox in range(out_w):
            cell = acc[n, oy, ox]
            cell[:] = bias
            for ky in range(kh):
                iy = oy * sh - ph + ky * dh
                if iy < 0 or iy >= height:
                    continue
                for kx in range(kw):
                    ix = ox * sw - pw + kx * dw
                    if ix < 0 or ix >= width:
                        continue
                    src = xt[n, iy, ix]
                    tap = weight_t[ky, kx]
                    for c in range(channels):
                        cell[c] += tap[c] * src[c]
        for c in range(channels):
            row = out[n, c, oy]
            for ox in range(out_w):
                row[ox] = acc[n, oy, ox, c]
            activate_row(row, act)
