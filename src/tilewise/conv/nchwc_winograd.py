"""Winograd F(m x m, 3 x 3) on channel-blocked activations: the transforms are vector
arithmetic over a channel block (kernels/nchwc_winograd_generated.py), the products one
matrix product per transform position, V[p] (tiles x C) @ U[p] (C x K).

Blocked, the transforms need no gather or scatter: a tile's pixels are c-lane vectors, and
V and M are blocked like the activations, (positions, Cb, tiles, c). The products are
NNPACK's tuple GEMM: the blocked direct kernel run as a 1x1 convolution whose
"images" are the transform positions, each with its own packed U[p], so all positions go in
one parallel call, register-blocked (BLAS on these 16-200 row products ran at 45-230
GFLOP/s on 2 threads). The output transform applies bias, the residual sum and the
activation before its one store.
"""

from __future__ import annotations

import math

import numpy as np

from tilewise.conv.algorithm import ConvAlgorithm
from tilewise.conv.cost import gemm_flops_per_thread, weight_seconds
from tilewise.conv.nchwc import (
    EFFICIENCY,
    EPILOGUE_ACTS,
    LINE_MIN_PIXELS,
    BlockedIO,
    blocks,
    output_parts,
    pack_weights,
    padded_filters,
)
from tilewise.conv.profile import PhaseProfile
from tilewise.conv.winograd import why_not
from tilewise.host import simd_width
from tilewise.kernels.activation import CODES, NONE
from tilewise.kernels.chain import Call
from tilewise.kernels.nchwc_generated import (
    BLOCKING,
    GEOMETRY,
    LINE_KERNELS,
    LINE_NARROW_KERNELS,
    NARROW_BLOCKING,
    NARROW_KERNELS,
)
from tilewise.kernels.nchwc_generated import KERNELS as DIRECT_KERNELS
from tilewise.kernels.nchwc_winograd_generated import KERNELS, OUTPUT_GEOMETRY
from tilewise.kernels.winograd_matrices import winograd_matrices

LINE = 16  # floats: each position's row of V and M padded by a cache line (no L1 set aliasing)
TARGET_TILES = 256  # tiles per chunk: V and M stay near the caches (512-4096 measured slower)
# the transforms' cost, fitted 2026-12-01 on 14 3x3 layers of ResNet-50 and Inception-BN at
# batch 1 and 16, 2 threads: 0.5 ns per element per thread
TRANSFORM_SECONDS = 0.5e-9
# measured / modelled time per tile size, fitted after the tuple products on 130 stride-1
# 3x3 layers of ResNet-50, Inception-BN/v3 and VGG-16 at batch 1 and 16, each algorithm
# forced and timed inside the whole network (benchmarks/selection_fit.py: U streams from
# memory or L3 as in a real run; timed alone, with U hot in cache, F4 looked 1.5x faster
# than it is). The estimate's choices then cost 0.0-1.2% over the best measured ones.
MODEL_ERROR = {2: 1.6, 4: 1.65}


def tiles_per_chunk(tile: tuple[int, int], batch: int, out_shape: tuple) -> int:
    per_image = -(-out_shape[2] // tile[0]) * -(-out_shape[3] // tile[1])
    return max(1, min(batch, TARGET_TILES // per_image)) * per_image


def estimate(m: int, in_shape: tuple, out_shape: tuple, threads: int) -> float:
    """Products at the direct kernel's rate, U streamed once per chunk, and the transforms."""
    seconds = tiled_seconds((m, m), (m + 2) ** 2, in_shape, out_shape, threads)
    return MODEL_ERROR[m] * seconds


def tiled_seconds(tile: tuple[int, int], positions: int, in_shape: tuple, out_shape: tuple,
                  threads: int) -> float:  # fmt: skip
    c = simd_width()
    batch = in_shape[0]
    channels = blocks(in_shape[1], c) * c
    filters = padded_filters(blocks(out_shape[1], c), c)
    tiles = batch * -(-out_shape[2] // tile[0]) * -(-out_shape[3] // tile[1])
    chunk = tiles_per_chunk(tile, batch, out_shape)
    flops = 2 * filters * channels * positions * tiles
    seconds = flops / (gemm_flops_per_thread() * EFFICIENCY * threads)
    seconds += weight_seconds(positions * filters * channels) * -(-tiles // chunk)
    alpha = math.isqrt(positions) if tile[0] == tile[1] else positions  # per axis
    per_element = TRANSFORM_SECONDS / threads * alpha / 6
    return seconds + per_element * (channels + filters) * positions * tiles


class BlockedWinograd(BlockedIO):
    axis: tuple = ()  # the 1-D kernels' extra geometry (AXIS)

    def setup(self, m: int, attrs: dict, weight: np.ndarray, c: int) -> np.ndarray:
        """Tile, positions and kernels; returns U (positions, filters, channels)."""
        _, g, _ = winograd_matrices(m)
        self.tile, self.positions = (m, m), (m + 2) ** 2
        self.input_kernel, self.output_kernel = KERNELS[(m, c)]
        # U[p, k, c] = (G w G^T)[p], computed in float64
        u = np.einsum("ai,kcij,bj->abkc", g, weight.astype(np.float64), g)
        return u.reshape(self.positions, *weight.shape[:2])

    def __init__(self, m: int, attrs: dict, weight: np.ndarray, bias, in_shape, out_shape,
                 input_blocked: bool = False, output_blocked: bool = False,
                 block: int | None = None) -> None:  # fmt: skip
        c = block or simd_width()
        batch, channels, height, width = in_shape
        _, filters, out_h, out_w = out_shape
        self.m, self.block = m, c
        u = self.setup(m, attrs, weight, c)
        u = u.reshape(-1, filters, channels, 1, 1).astype(np.float32)
        self.reorder_input = not input_blocked
        self.output_blocked = output_blocked
        in_blocks, out_blocks = blocks(channels, c), blocks(filters, c)
        self.channels, self.filters = in_blocks * c, out_blocks * c
        self.bias = np.zeros(self.filters, np.float32)
        if bias is not None:
            self.bias[:filters] = bias
        act = CODES[attrs.get("act")]
        self.act = act if act in EPILOGUE_ACTS else NONE
        self.post_act = NONE if act in EPILOGUE_ACTS else act
        self.tiles_h, self.tiles_w = -(-out_h // self.tile[0]), -(-out_w // self.tile[1])
        per_image = self.tiles_h * self.tiles_w
        self.chunk = tiles_per_chunk(self.tile, batch, out_shape) // per_image
        self.batch = batch
        self.plan_io(in_shape, out_shape, c)
        positions = self.positions
        tiles = self.chunk * per_image
        self.v_stride = tiles * self.channels + LINE
        self.m_stride = tiles * self.filters + LINE
        self.products = self._pack_products(u, out_blocks)
        # the kernels' geometry per chunk of images, built once (nothing allocated per call)
        self.chunks = []
        for n0 in range(0, batch, self.chunk):
            count = min(self.chunk, batch - n0) * per_image
            into = (in_blocks, height, width, self.tiles_h, self.tiles_w, *attrs["pad"][:2],
                    n0, count, self.v_stride, *self.axis)  # fmt: skip
            back = (out_blocks, out_h, out_w, self.tiles_h, self.tiles_w, n0, count, 0,
                    self.act, self.m_stride, out_blocks, 0, *self.axis)  # fmt: skip
            self.chunks.append((np.array(into, np.int64), self._product_geometry(count),
                                np.array(back, np.int64)))  # fmt: skip
        self.u_size = sum(part[1].size for part in self.products)
        self.v_offset = self.scratch
        self.m_offset = self.v_offset + positions * self.v_stride
        self.scratch = self.m_offset + positions * self.m_stride
        self.flops = 2 * batch * filters * out_h * out_w * channels * weight[0, 0].size
        self.phase_work = self._phase_work(in_shape, out_shape, positions * batch * per_image)
        self.out_bytes = 4 * batch * self.filters * out_h * out_w

    def _pack_products(self, u: np.ndarray, out_blocks: int) -> list[tuple]:
        """(narrow, U packed per position for the direct kernel, zero bias, rk, rw, kb0,
        kb1) per output part, as BlockedConvolution splits its filters."""
        c, positions = self.block, u.shape[0]
        parts = []
        for kb0, kb1, variant in output_parts(out_blocks, c):
            narrow = variant == "narrow"
            rk, rw = (NARROW_BLOCKING if narrow else BLOCKING)[c]
            hi = min(kb1 * c, u.shape[1])
            packed = [pack_weights(u[p], kb0 * c, hi, rk, c, self.channels // c, c)
                      for p in range(positions)]  # fmt: skip
            bias = np.zeros(blocks(kb1 - kb0, rk) * rk * c, np.float32)
            parts.append((narrow, np.concatenate(packed), bias, rk, rw, kb0, kb1))
        return parts

    def _product_geometry(self, tiles: int) -> list[tuple]:
        """(kernel, its GEOMETRY) per part: V (positions, Cb, tiles, c) as a batch of
        blocked 1 x tiles images, M (positions, Kb, tiles, c) as its output; the line
        kernels where a position's tiles hold one of their blocks."""
        c, positions = self.block, self.positions
        line = tiles >= LINE_MIN_PIXELS
        fields = []
        for narrow, packed, _, rk, rw, kb0, kb1 in self.products:
            kgroups = blocks(kb1 - kb0, rk)
            geometry = {
                "N": positions, "Cb": self.channels // c, "H": 1, "W": tiles, "cin": c,
                "xs0": self.v_stride, "xs1": tiles * c, "xs2": 0, "xs3": c, "xs4": 1,
                "xb": 0, "Kb": kb1 - kb0, "OH": 1, "OW": tiles, "KH": 1, "KW": 1, "sh": 1,
                "sw": 1, "ph": 0, "pw": 0, "dh": 1, "dw": 1, "ys0": self.m_stride,
                "ys1": tiles * c, "yb": kb0 * tiles * c, "rs0": 0, "rs1": 0, "rb": 0,
                "has_res": 0, "act": NONE, "KG": kgroups, "wsn": packed.size // positions,
                "yq": c, "has_y2": 0, "act2": NONE, "shift": 0,
                "bpj": blocks(tiles, rw),  # a job: one position's kgroup
            }  # fmt: skip
            kernels = {
                (False, False): DIRECT_KERNELS,
                (False, True): NARROW_KERNELS,
                (True, False): LINE_KERNELS,
                (True, True): LINE_NARROW_KERNELS,
            }
            fields.append(
                (
                    kernels[line, narrow][c],
                    np.array([geometry[name] for name in GEOMETRY], np.int64),
                )
            )
        return fields

    def _phase_work(self, in_shape: tuple, out_shape: tuple, elements: int) -> dict:
        """(flops, bytes) per phase; `elements`: positions x tiles of the whole batch."""
        v, mm = 4 * elements * self.channels, 4 * elements * self.filters
        x = 4 * in_shape[0] * self.channels * in_shape[2] * in_shape[3]
        y = 4 * out_shape[0] * self.filters * out_shape[2] * out_shape[3]
        products = 2 * elements * self.channels * self.filters
        return {"input transform": (0.0, x + v),
                "products": (products, v + mm + 4 * self.u_size * len(self.chunks)),
                "output transform": (0.0, mm + y)}  # fmt: skip

    def add_residual(self) -> None:
        """The output is accumulated onto a same-shaped blocked residual (`run(residual=)`)."""
        for _, _, back in self.chunks:
            back[OUTPUT_GEOMETRY.index("has_res")] = 1
        work = self.phase_work["output transform"]
        self.phase_work["output transform"] = (work[0], work[1] + self.out_bytes)

    def write_into(self, total_blocks: int, first_block: int) -> bool:
        """Write the output as blocks first.. of an array of total_blocks (a Concat's)."""
        if not self.output_blocked or self.post_act != NONE:
            return False
        if any(back[OUTPUT_GEOMETRY.index("has_res")] for _, _, back in self.chunks):
            return False
        for _, _, back in self.chunks:
            back[OUTPUT_GEOMETRY.index("Kt")] = total_blocks
            back[OUTPUT_GEOMETRY.index("k0")] = first_block
        return True

    def _phases(self, x: np.ndarray, out: np.ndarray, residual: np.ndarray,
                scratch: np.ndarray) -> list[tuple[str, Call]]:  # fmt: skip
        """(phase, kernel call) in order: per chunk of tiles, its three phases."""
        v, mm = scratch[self.v_offset : self.m_offset], scratch[self.m_offset : self.scratch]
        phases = []
        for into, products, back in self.chunks:
            phases.append(("input transform", Call((self.input_kernel,), ((x, v, into),))))
            for (_, u, zero, *_), (kernel, geometry) in zip(self.products, products,
                                                             strict=True):  # fmt: skip
                phases.append(("products", Call((kernel,), ((v, u, zero, mm, mm, mm, zero,
                                                             geometry),))))  # fmt: skip
            phases.append(
                (
                    "output transform",
                    Call((self.output_kernel,), ((mm, out, self.bias, residual, back),)),
                )
            )
        return phases

    def calls(self, x: np.ndarray, out: np.ndarray, residual: np.ndarray,
              scratch: np.ndarray) -> list[Call]:  # fmt: skip
        return [call for _, call in self._phases(x, out, residual, scratch)]

    def compute(self, x: np.ndarray, out: np.ndarray, residual: np.ndarray,
                scratch: np.ndarray, profile: PhaseProfile | None) -> None:  # fmt: skip
        for phase, call in self._phases(x, out, residual, scratch):
            call.kernels[0](*call.args[0])
            if profile:
                profile.lap(phase)


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
