"""Tiled-FFT convolution (NNPACK's fft8x8 / fft16x16): each size x size input tile is taken
to the frequency domain once, the kernels' spectra are computed once at compile time, and
the products are complex GEMMs (K x C) @ (C x tiles), one per frequency bin.

Real input, so only size * (size/2 + 1) bins are kept. A tile owns the
(size - kh + 1) x (size - kw + 1) outputs whose windows fit inside it.
"""

from __future__ import annotations

import time

import numba
import numpy as np

from tilewise.ir.ops import asymmetric
from tilewise.kernels.activation import CODES
from tilewise.kernels.fft_generated import INPUT, OUTPUT
from tilewise.runtime.gemm import matmul

TARGET_TILES = 1024  # GEMM width per chunk of images
TILE_BLOCK = 64  # tiles per transform job
WORKERS = numba.config.NUMBA_NUM_THREADS


def fft_why_not(size: int):
    def why_not(attrs: dict, in_shape: tuple) -> str | None:
        kernel = attrs["kernel"]
        if attrs["stride"] != (1, 1) or attrs["dilate"] != (1, 1):
            return f"stride {attrs['stride']} / dilate {attrs['dilate']} is not 1"
        if attrs["num_group"] != 1:
            return f"num_group {attrs['num_group']} is not 1"
        if asymmetric(attrs):
            return f"padding {attrs['pad']} / {attrs['pad_end']} is asymmetric"
        if kernel == (1, 1) or max(kernel) > size:
            return f"kernel {kernel} is 1x1 or larger than the {size}x{size} tile"
        if max(attrs["pad"]) >= size:
            return f"pad {attrs['pad']} is not below the tile size {size}"
        return None

    return why_not


def fft_tiling(size: int, kernel: tuple, out_shape: tuple) -> tuple[int, int, int, int]:
    """(step_h, step_w, tiles_h, tiles_w): outputs per tile and tiles per image."""
    step_h, step_w = size - kernel[0] + 1, size - kernel[1] + 1
    return step_h, step_w, -(-out_shape[2] // step_h), -(-out_shape[3] // step_w)


def fft_tiles_per_chunk(size: int, kernel: tuple, batch: int, out_shape: tuple) -> int:
    _, _, tiles_h, tiles_w = fft_tiling(size, kernel, out_shape)
    per_image = tiles_h * tiles_w
    return max(1, min(batch, TARGET_TILES // per_image)) * per_image


class FFTConvolution:
    def __init__(self, size: int, attrs: dict, weight, bias, in_shape, out_shape) -> None:
        batch, channels = in_shape[:2]
        filters = out_shape[1]
        kh, kw = attrs["kernel"]
        self.size, self.pad = size, attrs["pad"]
        self.step_h, self.step_w, self.tiles_h, self.tiles_w = fft_tiling(size, (kh, kw), out_shape)
        half = size // 2 + 1
        self.bins = size * half
        padded = np.zeros((filters, channels, size, size))
        padded[:, :, :kh, :kw] = weight
        # correlation = conj(spectrum of the kernel) times the spectrum of the tile
        spectrum = np.conj(np.fft.rfft2(padded)).transpose(2, 3, 0, 1)
        self.u = np.ascontiguousarray(spectrum.reshape(self.bins, filters, channels), np.complex64)
        self.bias = np.zeros(filters, np.float32) if bias is None else bias.astype(np.float32)
        self.act = CODES[attrs.get("act")]
        per_image = self.tiles_h * self.tiles_w
        tiles = fft_tiles_per_chunk(size, (kh, kw), batch, out_shape)
        self.chunk = tiles // per_image
        self.sizes = {"v": 2 * self.bins * channels * tiles, "m": 2 * self.bins * filters * tiles}
        self.scratch = sum(self.sizes.values())
        self.work = np.empty((WORKERS, 2, size * (size + 2), TILE_BLOCK), np.float32)
        self.flops = 2 * batch * filters * out_shape[2] * out_shape[3] * channels * kh * kw
        self.phase_seconds = {"input transform": 0.0, "products": 0.0, "output transform": 0.0}

    def _complex(self, scratch, offset: int, rows: int, tiles: int) -> np.ndarray:
        flat = scratch[offset : offset + 2 * self.bins * rows * tiles]
        return flat.view(np.complex64).reshape(self.bins, rows, tiles)

    def run(self, x: np.ndarray, out: np.ndarray, scratch: np.ndarray, timed: bool = False):
        batch, channels = x.shape[:2]
        filters = out.shape[1]
        clock = time.perf_counter
        tiling = (self.tiles_h, self.tiles_w)
        steps = (self.step_h, self.step_w)
        for start in range(0, batch, self.chunk):
            count = min(self.chunk, batch - start)
            tiles = count * self.tiles_h * self.tiles_w
            v = self._complex(scratch, 0, channels, tiles)
            m = self._complex(scratch, self.sizes["v"], filters, tiles)
            t0 = clock() if timed else 0.0
            v_pairs = v.view(np.float32).reshape(self.bins, channels, tiles, 2)
            INPUT[self.size](x[start : start + count], v_pairs, *steps, *self.pad, *tiling,
                             self.work)  # fmt: skip
            t1 = clock() if timed else 0.0
            matmul(self.u, v, out=m)
            t2 = clock() if timed else 0.0
            m_pairs = m.view(np.float32).reshape(self.bins, filters, tiles, 2)
            OUTPUT[self.size](m_pairs, out[start : start + count], self.bias, self.act, *steps,
                              *tiling, self.work)  # fmt: skip
            if timed:
                t3 = clock()
                self.phase_seconds["input transform"] += t1 - t0
                self.phase_seconds["products"] += t2 - t1
                self.phase_seconds["output transform"] += t3 - t2
