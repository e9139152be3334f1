"""Winograd F(m x m, 3 x 3) convolution: weights transformed once, products as one batched GEMM.

Images are processed in chunks so each of the alpha^2 products is a (K x C) @ (C x tiles)
GEMM wide enough to run near BLAS peak, while the transformed tiles stay bounded in size.
"""

from __future__ import annotations

import time

import numba
import numpy as np

from tilewise.ir.ops import asymmetric
from tilewise.kernels.activation import CODES
from tilewise.kernels.winograd_generated import INPUT, OUTPUT
from tilewise.kernels.winograd_matrices import winograd_matrices
from tilewise.runtime.gemm import matmul

TARGET_TILES = 2048  # GEMM width per chunk
TILE_BLOCK = 128  # tiles per transform job: vector length, and work rows that stay in L1/L2
WORKERS = numba.config.NUMBA_NUM_THREADS  # one work area per possible Numba thread


def winograd_why_not(attrs: dict, in_shape: tuple) -> str | None:
    if attrs["kernel"] != (3, 3):
        return f"kernel {attrs['kernel']} is not 3x3"
    if attrs["stride"] != (1, 1) or attrs["dilate"] != (1, 1):
        return f"stride {attrs['stride']} / dilate {attrs['dilate']} is not 1"
    if attrs["num_group"] != 1:
        return f"num_group {attrs['num_group']} is not 1"
    if asymmetric(attrs):
        return f"padding {attrs['pad']} / {attrs['pad_end']} is asymmetric"
    if max(attrs["pad"]) > 2:
        return f"pad {attrs['pad']} is over 2"
    return None


def tiles_per_chunk(m: int, batch: int, out_shape: tuple) -> int:
    """Tiles in one chunk of images: the width of each product GEMM."""
    per_image = -(-out_shape[2] // m) * -(-out_shape[3] // m)
    return max(1, min(batch, TARGET_TILES // per_image)) * per_image


class WinogradConvolution:
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
        self.sizes = {
            "v": positions * channels * tiles,
            "m": positions * filters * tiles,
        }
        # Its own array: inside the shared scratch, 4 KiB aliasing with V and M doubled the time.
        self.work = np.empty((WORKERS, 2, positions, TILE_BLOCK), np.float32)
        self.scratch = sum(self.sizes.values())
        self.flops = 2 * batch * filters * out_h * out_w * channels * 9
        self.phase_seconds = {"input transform": 0.0, "products": 0.0, "output transform": 0.0}

    def _views(self, scratch: np.ndarray, count: int, channels: int, filters: int):
        tiles = count * self.tiles_h * self.tiles_w
        positions, offset, views = self.alpha**2, 0, {}
        shapes = {
            "v": (positions, channels, tiles),
            "m": (positions, filters, tiles),
        }
        for name, shape in shapes.items():
            views[name] = scratch[offset : offset + int(np.prod(shape))].reshape(shape)
            offset += self.sizes[name]
        return views

    def run(self, x: np.ndarray, out: np.ndarray, scratch: np.ndarray, timed: bool = False):
        batch, channels = x.shape[:2]
        filters = out.shape[1]
        clock = time.perf_counter
        for start in range(0, batch, self.chunk):
            count = min(self.chunk, batch - start)
            views = self._views(scratch, count, channels, filters)
            t0 = clock() if timed else 0.0
            images = x[start : start + count]
            tiling = (self.tiles_h, self.tiles_w)
            INPUT[self.m](images, views["v"], *self.pad, *tiling, self.work)
            t1 = clock() if timed else 0.0
            matmul(self.u, views["v"], out=views["m"])
            t2 = clock() if timed else 0.0
            outputs = out[start : start + count]
            OUTPUT[self.m](views["m"], outputs, self.bias, self.act, *tiling, self.work)
            if timed:
                t3 = clock()
                self.phase_seconds["input transform"] += t1 - t0
                self.phase_seconds["products"] += t2 - t1
                self.phase_seconds["output transform"] += t3 - t2
