"""Winograd F(m x m, 3 x 3) on channel-blocked activations: the transforms are vector
arithmetic over a channel block (kernels/nchwc_winograd_generated.py), the products one
matrix product per transform position, V[p] (tiles x C) @ U[p] (C x K).

Blocked, the transforms need no gather or scatter: a tile's pixels are c-lane vectors, and
V's rows (a tile's channels) are exactly the blocked layout's lanes, block after block. The
output transform applies bias, the residual sum and the activation before its one store.
"""

from __future__ import annotations

import numpy as np

from tilewise.conv.algorithm import ConvAlgorithm
from tilewise.conv.cost import gemm_seconds, weight_seconds
from tilewise.conv.nchwc import EPILOGUE_ACTS, BlockedIO, blocks
from tilewise.conv.profile import PhaseProfile
from tilewise.conv.winograd import why_not
from tilewise.host import simd_width
from tilewise.kernels.activation import CODES, NONE
from tilewise.kernels.matmul import matmul_padded_stack
from tilewise.kernels.nchwc_winograd_generated import KERNELS, OUTPUT_GEOMETRY
from tilewise.kernels.winograd_matrices import winograd_matrices

LINE = 16  # floats: each position's row of V and M padded by a cache line (no L1 set aliasing)
TARGET_TILES = 256  # tiles per chunk: V and M stay near the caches (512-4096 measured slower)
# Fitted 2026-12-01 on 14 3x3 layers of ResNet-50 and Inception-BN at batch 1 and 16, 2
# threads: the products ran 1.6x faster than gemm_seconds' model (V's rows are whole
# blocked pixels, C wide), the transforms at 0.5 ns per element per thread.
PRODUCT_SPEEDUP = 1.6
TRANSFORM_SECONDS = 0.5e-9


def tiles_per_chunk(m: int, batch: int, out_shape: tuple) -> int:
    per_image = -(-out_shape[2] // m) * -(-out_shape[3] // m)
    return max(1, min(batch, TARGET_TILES // per_image)) * per_image


def estimate(m: int, in_shape: tuple, out_shape: tuple, threads: int) -> float:
    c = simd_width()
    batch = in_shape[0]
    channels, filters = blocks(in_shape[1], c) * c, blocks(out_shape[1], c) * c
    positions = (m + 2) ** 2
    tiles = batch * -(-out_shape[2] // m) * -(-out_shape[3] // m)
    chunk = tiles_per_chunk(m, batch, out_shape)
    seconds = gemm_seconds(2 * filters * channels * positions * tiles, chunk, threads)
    seconds /= PRODUCT_SPEEDUP
    seconds += weight_seconds(positions * filters * channels) * -(-tiles // chunk)
    per_element = TRANSFORM_SECONDS / threads * (m + 2) / 6
    return seconds + per_element * (channels + filters) * positions * tiles


class BlockedWinograd(BlockedIO):
    def __init__(self, m: int, attrs: dict, weight: np.ndarray, bias, in_shape, out_shape,
                 input_blocked: bool = False, output_blocked: bool = False,
                 block: int | None = None) -> None:  # fmt: skip
        c = block or simd_width()
        batch, channels, height, width = in_shape
        _, filters, out_h, out_w = out_shape
        _, g, _ = winograd_matrices(m)
        self.m, self.block = m, c
        self.input_kernel, self.output_kernel = KERNELS[(m, c)]
        self.reorder_input = not input_blocked
        self.output_blocked = output_blocked
        in_blocks, out_blocks = blocks(channels, c), blocks(filters, c)
        self.channels, self.filters = in_blocks * c, out_blocks * c
        # U[p, c, k] = (G w G^T)[p] over padded channels and filters, computed in float64
        u = np.einsum("ai,kcij,bj->abck", g, weight.astype(np.float64), g)
        padded = np.zeros((m + 2, m + 2, self.channels, self.filters))
        padded[:, :, :channels, :filters] = u
        self.u = np.ascontiguousarray(padded.reshape(-1, self.channels, self.filters), np.float32)
        self.bias = np.zeros(self.filters, np.float32)
        if bias is not None:
            self.bias[:filters] = bias
        act = CODES[attrs.get("act")]
        self.act = act if act in EPILOGUE_ACTS else NONE
        self.post_act = NONE if act in EPILOGUE_ACTS else act
        self.tiles_h, self.tiles_w = -(-out_h // m), -(-out_w // m)
        per_image = self.tiles_h * self.tiles_w
        self.chunk = tiles_per_chunk(m, batch, out_shape) // per_image
        self.batch = batch
        self.plan_io(in_shape, out_shape, c)
        positions = (m + 2) ** 2
        tiles = self.chunk * per_image
        self.v_stride = tiles * self.channels + LINE
        self.m_stride = tiles * self.filters + LINE
        # the kernels' geometry per chunk of images, built once (nothing allocated per call)
        self.chunks = []
        for n0 in range(0, batch, self.chunk):
            count = min(self.chunk, batch - n0) * per_image
            into = (in_blocks, height, width, self.tiles_h, self.tiles_w, *attrs["pad"][:2],
                    n0, count, self.v_stride)  # fmt: skip
            back = (out_blocks, out_h, out_w, self.tiles_h, self.tiles_w, n0, count, 0,
                    self.act, self.m_stride)  # fmt: skip
            self.chunks.append((count, np.array(into, np.int64), np.array(back, np.int64)))
        self.v_offset = self.scratch
        self.m_offset = self.v_offset + positions * self.v_stride
        self.scratch = self.m_offset + positions * self.m_stride
        self.flops = 2 * batch * filters * out_h * out_w * channels * 9
        self.phase_work = self._phase_work(in_shape, out_shape, positions * batch * per_image)
        self.out_bytes = 4 * batch * self.filters * out_h * out_w

    def _phase_work(self, in_shape: tuple, out_shape: tuple, elements: int) -> dict:
        """(flops, bytes) per phase; `elements`: positions x tiles of the whole batch."""
        v, mm = 4 * elements * self.channels, 4 * elements * self.filters
        x = 4 * in_shape[0] * self.channels * in_shape[2] * in_shape[3]
        y = 4 * out_shape[0] * self.filters * out_shape[2] * out_shape[3]
        products = 2 * elements * self.channels * self.filters
        return {"input transform": (0.0, x + v),
                "products": (products, v + mm + 4 * self.u.size * len(self.chunks)),
                "output transform": (0.0, mm + y)}  # fmt: skip

    def add_residual(self) -> None:
        """The output is accumulated onto a same-shaped blocked residual (`run(residual=)`)."""
        for _, _, back in self.chunks:
            back[OUTPUT_GEOMETRY.index("has_res")] = 1
        work = self.phase_work["output transform"]
        self.phase_work["output transform"] = (work[0], work[1] + self.out_bytes)

    def compute(self, x: np.ndarray, out: np.ndarray, residual: np.ndarray,
                scratch: np.ndarray, profile: PhaseProfile | None) -> None:  # fmt: skip
        v, mm = scratch[self.v_offset : self.m_offset], scratch[self.m_offset : self.scratch]
        for tiles, into, back in self.chunks:
            self.input_kernel(x, v, into)
            if profile:
                profile.lap("input transform")
            matmul_padded_stack(v, self.v_stride, self.u, mm, self.m_stride, tiles)
            if profile:
                profile.lap("products")
            self.output_kernel(mm, out, self.bias, residual, back)
            if profile:
                profile.lap("output transform")


def blocked_winograd(m: int, error_limit: float) -> ConvAlgorithm:
    return ConvAlgorithm(
        name=f"nchwc-winograd-f{m}",
        summary=f"channel-blocked Winograd F({m}x{m},3x3), vector transforms, "
        f"{(m + 2) ** 2 / m**2:.2f} multiplies per output instead of 9",
        priority=20 + m,
        plain=False,
        why_not=why_not,
        estimate=lambda attrs, i, o, threads: estimate(m, i, o, threads),
        create=lambda *args, **kwargs: BlockedWinograd(m, *args, **kwargs),
        error_limit=error_limit,
        blocked=True,
    )


# the NCHW Winograd's limits (the same arithmetic in float32); tests/test_conv_accuracy.py.
# No F6: its transforms took 21 s to compile per vector width (the whole first run has a
# 20 s budget); its speed was not measured.
NCHWC_WINOGRAD_F2 = blocked_winograd(2, error_limit=1e-6)
NCHWC_WINOGRAD_F4 = blocked_winograd(4, error_limit=2e-5)
