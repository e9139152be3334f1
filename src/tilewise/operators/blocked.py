"""Operators on channel-blocked (N, Cb, H, W, c) arrays, and the reorders at the edges of
a blocked region. Elementwise ops need no variant: they run on the flat data as it is."""

from __future__ import annotations

import numpy as np

from tilewise.ir.batchnorm import batchnorm_scale_shift
from tilewise.kernels.activation import CODES
from tilewise.kernels.blocked import (
    from_blocked,
    scale_shift_blocked,
    to_blocked,
)
from tilewise.kernels.chain import Call
from tilewise.kernels.launch import rows_per_job
from tilewise.kernels.pool_generated import KERNELS as POOL_KERNELS
from tilewise.operators.base import Operator
from tilewise.operators.pool import Pooling


class ToBlocked(Operator):
    algorithm = "reorder"
    reason = "NCHW -> NCHWc: a blocked op reads it"

    def run(self, inputs, out, scratch):
        to_blocked(inputs[0], out)


class FromBlocked(Operator):
    algorithm = "reorder"
    reason = "NCHWc -> NCHW: an NCHW op or the model output reads it"

    def run(self, inputs, out, scratch):
        from_blocked(inputs[0], out)


class SameAsBlocked(Operator):
    """NCHWc -> NCHW of one pixel per image and whole blocks: the same memory, so a view
    (a global pool before a classifier: 0.12 ms at batch 16 for a copy)."""

    alias = True
    algorithm = "view"
    reason = "one pixel in whole channel blocks: NCHWc is NCHW"


def same_memory(shape: tuple, block: int) -> bool:
    """(N, C, 1, 1) with C a multiple of the block: NCHWc holds it exactly as NCHW."""
    return len(shape) == 4 and shape[2] == shape[3] == 1 and shape[1] % block == 0


def _padded(vector: np.ndarray, size: int) -> np.ndarray:
    padded = np.zeros(size, np.float32)
    padded[: len(vector)] = vector
    return padded


class BlockedScaleShift(Operator):
    inplace = True
    algorithm = "nchwc"

    def __init__(self, attrs: dict, scale, shift, block: int, width: int) -> None:
        size = -(-len(scale) // block) * block

        def rows(vector):  # (Cb, W * c): block cb's lanes, once per pixel of a row
            return np.ascontiguousarray(np.tile(_padded(vector, size).reshape(-1, block), width))

        self.scale, self.shift = rows(scale), rows(shift)
        self.channel_scale, self.channel_shift = scale, shift  # for a producer's epilogue
        self.act = CODES[attrs.get("act")]

    def run(self, inputs, out, scratch):
        x = inputs[0]
        shape = (*x.shape[:3], x.shape[3] * x.shape[4])
        scale_shift_blocked(x.reshape(shape), self.scale, self.shift, out.reshape(shape),
                            self.act)  # fmt: skip


class WrittenByProducer(Operator):
    """A step whose output its producer's epilogue already wrote (`Step.also`)."""

    algorithm = "in epilogue"

    def __init__(self, producer: str) -> None:
        self.reason = f"written by {producer}'s epilogue"

    def run(self, inputs, out, scratch):
        pass

    def launches(self, inputs, out, scratch):
        return []


# vector operations per job, at least: a job is called by address (~15 ns); one output row
# of Inception-v3's 8x8 maps is 72
JOB_OPS = 1024


class BlockedPooling(Pooling):
    """The same windows as the NCHW operator (its geometry), over blocked arrays; a global
    pool too, as one window over the plane: measured 2 threads, 1280 x 7x7 at batch 16
    0.107 -> 0.051 ms against a scalar reduction kernel, 2048 x 7x7 max 0.359 -> 0.125."""

    algorithm = "nchwc"
    kernel_geometry: np.ndarray | None = None
    destination: tuple[int, int] | None = None  # (total, first) blocks: a Concat's buffer

    def write_into(self, total_blocks: int, first_block: int) -> bool:
        self.destination = (total_blocks, first_block)
        return True

    def run(self, inputs, out, scratch):
        x = inputs[0]
        POOL_KERNELS[x.shape[4]](x.reshape(-1), out.reshape(-1), self._geometry(x, out))

    def launches(self, inputs, out, scratch):
        x = inputs[0]
        if not (x.flags.c_contiguous and out.flags.c_contiguous):
            return None
        args = (x.reshape(-1), out.reshape(-1), self._geometry(x, out))
        return [Call((POOL_KERNELS[x.shape[4]],), (args,))]

    def _geometry(self, x: np.ndarray, out: np.ndarray) -> np.ndarray:
        if self.kernel_geometry is None:  # the kernel's GEOMETRY, from the first call's shapes
            out_h, out_w = out.shape[2:4]
            rows = rows_per_job(out_h, out_w * self.geometry[0] * self.geometry[1], JOB_OPS)
            fields = (*x.shape[1:4], out_h, out_w, *self.geometry, self.is_max,
                      self.count_include_pad, *(self.destination or (x.shape[1], 0)),
                      rows)  # fmt: skip
            self.kernel_geometry = np.array(fields, np.int64)
        return self.kernel_geometry


def blocked_scale_shift(attrs: dict, params: list, in_shape: tuple, block: int,
                        batchnorm: bool) -> Operator:  # fmt: skip
    scale, shift = batchnorm_scale_shift(attrs, *params) if batchnorm else params
    return BlockedScaleShift(attrs, scale, shift, block, in_shape[3])
