"""Tiled-FFT convolution (NNPACK's fft8x8 / fft16x16): each size x size input tile is taken
to the frequency domain once, the kernels' spectra are computed once at compile time, and
the products are complex GEMMs (K x C) @ (C x tiles), one per frequency bin.

Real input, so only size * (size/2 + 1) bins are kept. A tile owns the
(size - kh + 1) x (size - kw + 1) outputs whose windows fit inside it.
"""

from __future__ import annotations

import numba
import numpy as np

from tilewise.conv.algorithm import ConvAlgorithm
from tilewise.conv.cost import gemm_seconds, weight_seconds
from tilewise.conv.transform import TransformConvolution, tiled_why_not
from tilewise.kernels.activation import CODES
from tilewise.kernels.fft_generated import INPUT, OUTPUT

TARGET_TILES = 1024  # GEMM width per chunk of images
TILE_BLOCK = 64  # tiles per transform job
WORKERS = numba.config.NUMBA_NUM_THREADS
TRANSFORM_SECONDS = 2.5e-9  # per real spectrum value per thread, 8x8 tiles (re-measured 2026-11-30)


def why_not_for(size: int):
    def why_not(attrs: dict, in_shape: tuple) -> str | None:
        kernel = attrs["kernel"]
        if problem := tiled_why_not(attrs):
            return problem
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


def tiles_per_chunk(size: int, kernel: tuple, batch: int, out_shape: tuple) -> int:
    _, _, tiles_h, tiles_w = fft_tiling(size, kernel, out_shape)
    per_image = tiles_h * tiles_w
    return max(1, min(batch, TARGET_TILES // per_image)) * per_image


def estimate(size: int, kernel: tuple, in_shape: tuple, out_shape: tuple, threads: int) -> float:
    """Complex products count 4 real multiply-adds; the DFT transforms are dense."""
    batch, channels = in_shape[:2]
    filters, out_h, out_w = out_shape[1:]
    bins = size * (size // 2 + 1)
    tiles = batch * -(-out_h // (size - kernel[0] + 1)) * -(-out_w // (size - kernel[1] + 1))
    chunk = tiles_per_chunk(size, kernel, batch, out_shape)
    seconds = gemm_seconds(8 * filters * channels * bins * tiles, chunk, threads)
    seconds += weight_seconds(bins * filters * channels, bytes_per_element=8)
    per_element = TRANSFORM_SECONDS / threads * size / 8
    return seconds + per_element * (channels + filters) * 2 * bins * tiles


class FFTConvolution(TransformConvolution):
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
        tiles = tiles_per_chunk(size, (kh, kw), batch, out_shape)
        self.chunk = tiles // per_image
        self.v_size = 2 * self.bins * channels * tiles
        self.scratch = self.v_size + 2 * self.bins * filters * tiles
        self.work = np.empty((WORKERS, 2, size * (size + 2), TILE_BLOCK), np.float32)
        self.flops = 2 * batch * filters * out_shape[2] * out_shape[3] * channels * kh * kw

    def _complex(self, scratch, offset: int, rows: int, tiles: int) -> np.ndarray:
        flat = scratch[offset : offset + 2 * self.bins * rows * tiles]
        return flat.view(np.complex64).reshape(self.bins, rows, tiles)

    def views(self, scratch: np.ndarray, count: int, channels: int, filters: int):
        tiles = count * self.tiles_h * self.tiles_w
        return (self._complex(scratch, 0, channels, tiles),
                self._complex(scratch, self.v_size, filters, tiles))  # fmt: skip

    def input_transform(self, images: np.ndarray, v: np.ndarray) -> None:
        pairs = v.view(np.float32).reshape(*v.shape, 2)
        INPUT[self.size](images, pairs, self.step_h, self.step_w, *self.pad, self.tiles_h,
                         self.tiles_w, self.work)  # fmt: skip

    def output_transform(self, m: np.ndarray, outputs: np.ndarray) -> None:
        pairs = m.view(np.float32).reshape(*m.shape, 2)
        OUTPUT[self.size](pairs, outputs, self.bias, self.act, self.step_h, self.step_w,
                          self.tiles_h, self.tiles_w, self.work)  # fmt: skip


def fft(size: int, error_limit: float) -> ConvAlgorithm:
    return ConvAlgorithm(
        name=f"fft{size}",
        summary=f"FFT on {size}x{size} tiles, products per frequency bin",
        priority=1,
        plain=False,
        why_not=why_not_for(size),
        estimate=lambda attrs, i, o, threads: estimate(size, attrs["kernel"], i, o, threads),
        create=lambda *args: FFTConvolution(size, *args),
        error_limit=error_limit,
    )


# max |y - ref| / max |ref| on zero-mean data over tests/test_conv_accuracy.py's layers:
# measured worst 2.4e-7 (fft8) and 3.0e-7 (fft16), limits with a 2.5x margin
FFT8 = fft(8, error_limit=6e-7)
FFT16 = fft(16, error_limit=8e-7)
