"""Pooling and LRN operators."""

from __future__ import annotations

from tilewise.ir.ops import pool_geometry
from tilewise.kernels.lrn import lrn
from tilewise.kernels.pool import avg_pool, max_pool
from tilewise.operators.base import Operator, as_rows


class Pooling(Operator):
    def __init__(self, attrs: dict, in_shape: tuple[int, ...]) -> None:
        kernel, stride, pad, _ = pool_geometry(attrs, in_shape)
        self.geometry = (*kernel, *stride, *pad)
        self.is_max = attrs["pool_type"] == "max"
        self.count_include_pad = attrs["count_include_pad"]

    def run(self, inputs, out, scratch):
        if self.is_max:
            max_pool(inputs[0], out, *self.geometry)
        else:
            avg_pool(inputs[0], out, *self.geometry, self.count_include_pad)


class LRN(Operator):
    def __init__(self, attrs: dict) -> None:
        self.args = (attrs["nsize"], attrs["alpha"], attrs["beta"], attrs["knorm"])

    def run(self, inputs, out, scratch):
        lrn(as_rows(inputs[0]), as_rows(out), *self.args)
