"""Winograd F(m x m, 3 x 3) convolution: weights transformed once, products as one batched GEMM.

Images are processed in chunks so each of the alpha^2 products is a (K x C) @ (C x tiles)
GEMM wide enough to run near BLAS peak, while the transformed tiles stay bounded in size.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from tilewise.conv.algorithm import ConvAlgorithm
from tilewise.conv.cost import gemm_seconds, weight_seconds
from tilewise.conv.transform import TransformConvolution, tiled_why_not
from tilewise.kernels.activation import CODES
from tilewise.kernels.winograd_generated import INPUT, OUTPUT
from tilewise.kernels.winograd_matrices import winograd_matrices

TARGET_TILES = 2048  # GEMM width per chunk
TILE_BLOCK = 128  # tiles per transform job: vector length, and work rows that stay in L1/L2
WORKERS = numba.config.NUMBA_NUM_THREADS  # one work area per possible Numba thread
TRANSFORM_SECONDS = 2.5e-9  # per transformed element per thread, 6x6 tiles (re-measured 2026-11-30)


def why_not(attrs: dict, in_shape: tuple) -> str | None:
    if attrs["kernel"] != (3, 3):
        return f"kernel {attrs['kernel']} is not 3x3"
    if problem := tiled_why_not(attrs):
        return problem
    if max(attrs["pad"]) > 2:
        return f"pad {attrs['pad']} is over 2"
    return None


def tiles_per_chunk(m: int, batch: int, out_shape: tuple) -> int:
    """Tiles in one chunk of images: the width of each product GEMM."""
    per_image = -(-out_shape[2] // m) * -(-out_shape[3] // m)
    return max(1, min(batch, TARGET_TILES // per_image)) * per_image


def estimate(m: int, in_shape: tuple, out_shape: tuple, threads: int) -> float:
    batch, channels = in_shape[:2]
    filters, out_h, out_w = out_shape[1:]
    alpha = m + 2
    positions = alpha * alpha
    tiles = batch * math.ceil(out_h / m) * math.ceil(out_w / m)
    chunk = tiles_per_chunk(m, batch, out_shape)
    seconds = gemm_seconds(2 * filters * channels * positions * tiles, chunk, threads)
    seconds += weight_seconds(positions * filters * channels)
    per_element = TRANSFORM_SECONDS / threads * alpha / 6
    return seconds + per_element * (channels + filters) * positions * tiles


class WinogradConvolution(TransformConvolution):
    def __init__(self, m: int, attrs: dict, weight, bias, in_shape, out_shape) -> None:
        batch, channels, _, width = in_shape
        _, filters, out_h, out_w = out_shape
        _, g, _ = winograd_matrices(m)
        self.m, self.alpha = m, m + 2
        self.pad = attrs["pad"]
        # U[(a, b), k, c] = (G w G^T)[a, b]: computed once, in float64
        u = np.einsum("ai,kcij,bj->abkc", g, weight.astype(np.float64), g)
        self.u = np.ascontiguousarray(u.reshape(self.alpha**2, filters, channels), np.float32)
        self.bias = np.zeros(filters, np.float32) if bias is None else bias.astype(np.float32)
        self.act = CODES[attrs.get("act")]
        self.tiles_h, self.tiles_w = -(-out_h // m), -(-out_w // m)
        per_image = self.tiles_h * self.tiles_w
        tiles = tiles_per_chunk(m, batch, out_shape)
        self.chunk = tiles // per_image
        positions = self.alpha**2
        self.v_size = positions * channels * tiles
        self.scratch = self.v_size + positions * filters * tiles
        # Its own array: inside the shared scratch, 4 KiB aliasing with V and M doubled the time.
        self.work = np.empty((WORKERS, 2, positions, TILE_BLOCK), np.float32)
        self.flops = 2 * batch * filters * out_h * out_w * channels * 9

    def views(self, scratch: np.ndarray, count: int, channels: int, filters: int):
        tiles = count * self.tiles_h * self.tiles_w
        positions = self.alpha**2
        v = scratch[: positions * channels * tiles].reshape(positions, channels, tiles)
        m_end = self.v_size + positions * filters * tiles
        return v, scratch[self.v_size : m_end].reshape(positions, filters, tiles)

    def input_transform(self, images: np.ndarray, v: np.ndarray) -> None:
        INPUT[self.m](images, v, *self.pad, self.tiles_h, self.tiles_w, self.work)

    def output_transform(self, m: np.ndarray, outputs: np.ndarray) -> None:
        OUTPUT[self.m](m, outputs, self.bias, self.act, self.tiles_h, self.tiles_w, self.work)


def winograd(m: int, error_limit: float) -> ConvAlgorithm:
    return ConvAlgorithm(
        name=f"winograd-f{m}",
        summary=f"Winograd F({m}x{m},3x3), {(m + 2) ** 2 / m**2:.2f} multiplies per output "
        "instead of 9",
        priority=m,
        plain=False,
        why_not=why_not,
        estimate=lambda attrs, i, o, threads: estimate(m, i, o, threads),
        create=lambda *args: WinogradConvolution(m, *args),
        error_limit=error_limit,
    )


# max |y - ref| / max |ref| on zero-mean data over tests/test_conv_accuracy.py's layers:
# measured worst 4.2e-7 (F2), 7.6e-6 (F4, vgg conv1_2), 1.4e-5 (F6, vgg conv2_1); 2.5x margin
WINOGRAD_F2 = winograd(2, error_limit=1e-6)
WINOGRAD_F4 = winograd(4, error_limit=2e-5)
WINOGRAD_F6 = winograd(6, error_limit=3.5e-5)
