"""Pooling and LRN operators."""

from __future__ import annotations

from tilewise.ir.ops import pool_geometry
from tilewise.kernels.lrn import lrn
from tilewise.kernels.pool import avg_pool, global_pool, max_pool
from tilewise.operators.base import Operator, as_rows


class Pooling(Operator):
    def __init__(self, attrs: dict, in_shape: tuple[int, ...]) -> None:
        kernel, stride, pad, out_hw = pool_geometry(attrs, in_shape)
        self.geometry = (*kernel, *stride, *pad)
        self.is_max = attrs["pool_type"] == "max"
        self.count_include_pad = attrs["count_include_pad"]
        # one window over the whole unpadded plane: a plain reduction
        unpadded = pad == (0, 0) and tuple(attrs["pad_end"] or (0, 0)) == (0, 0)
        self.whole_plane = out_hw == (1, 1) and kernel == tuple(in_shape[2:]) and unpadded

    def run(self, inputs, out, scratch):
        if self.whole_plane:
            x = inputs[0]
            global_pool(x.reshape(x.shape[0], x.shape[1], -1), out.reshape(out.shape[:2]),
                        self.is_max)  # fmt: skip
        elif self.is_max:
            max_pool(inputs[0], out, *self.geometry)
        else:
            avg_pool(inputs[0], out, *self.geometry, self.count_include_pad)


class LRN(Operator):
    def __init__(self, attrs: dict) -> None:
        self.args = (attrs["nsize"], attrs["alpha"], attrs["beta"], attrs["knorm"])

    def run(self, inputs, out, scratch):
        lrn(as_rows(inputs[0]), as_rows(out), *self.args)
