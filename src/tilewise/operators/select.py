"""Comparing, selecting and rearranging ops in NumPy: they sit in detection heads after
the convolutions and move little data. Booleans are 0.0/1.0 and indices whole float32s."""

from __future__ import annotations

import numpy as np

from tilewise.operators.base import Operator
from tilewise.operators.tensor import Mixed

COMPARE = {"equal": np.equal, "greater": np.greater, "less": np.less,
           "greater_equal": np.greater_equal, "less_equal": np.less_equal}  # fmt: skip


class Compare(Mixed):
    def __init__(self, function: str, operands: list) -> None:
        super().__init__(operands)
        self.ufunc = COMPARE[function]

    def run(self, inputs, out, scratch):
        a, b = self.merged(inputs)
        self.ufunc(a, b, out=out)  # a bool result stored as 0.0 / 1.0


class Where(Mixed):
    def run(self, inputs, out, scratch):
        condition, yes, no = self.merged(inputs)
        out[...] = np.where(condition != 0, yes, no)


class BroadcastTo(Operator):
    def run(self, inputs, out, scratch):
        np.copyto(out, np.broadcast_to(inputs[0], out.shape))


class Tile(Operator):
    def __init__(self, reps: tuple) -> None:
        self.reps = reps

    def run(self, inputs, out, scratch):
        out[...] = np.tile(inputs[0], self.reps)


class DepthToSpace(Operator):
    """DCR: the channel index is (row offset, column offset, channel); CRD: (channel, row
    offset, column offset), as ONNX defines the two modes."""

    def __init__(self, block: int, mode: str, in_shape: tuple) -> None:
        n, c, h, w = in_shape
        b = block
        if mode == "DCR":
            self.split, self.order = (n, b, b, c // (b * b), h, w), (0, 3, 4, 1, 5, 2)
        else:
            self.split, self.order = (n, c // (b * b), b, b, h, w), (0, 1, 4, 2, 5, 3)

    def run(self, inputs, out, scratch):
        out[...] = inputs[0].reshape(self.split).transpose(self.order).reshape(out.shape)


class SpaceToDepth(Operator):
    """The inverse of DepthToSpace in the same mode."""

    def __init__(self, block: int, mode: str, in_shape: tuple) -> None:
        n, c, h, w = in_shape
        self.split = (n, c, h // block, block, w // block, block)
        self.order = (0, 3, 5, 1, 2, 4) if mode == "DCR" else (0, 1, 3, 5, 2, 4)

    def run(self, inputs, out, scratch):
        blocks = inputs[0].reshape(self.split).transpose(self.order)
        out[...] = blocks.reshape(out.shape)


class ArgReduce(Operator):
    def __init__(self, function: str, axis: int, keepdims: bool, last: bool) -> None:
        self.pick = np.argmax if function == "max" else np.argmin
        self.axis, self.keepdims, self.last = axis, keepdims, last

    def run(self, inputs, out, scratch):
        x = inputs[0]
        if self.last:  # the last of equal values: search the reversed axis
            size = x.shape[self.axis]
            index = size - 1 - self.pick(np.flip(x, self.axis), axis=self.axis)
        else:
            index = self.pick(x, axis=self.axis)
        out[...] = index.reshape(out.shape) if self.keepdims else index


class TopK(Operator):
    """A stable sort of the keys, so equal values keep their order (lower index first)."""

    def __init__(self, k: int, axis: int, largest: bool, indices: bool) -> None:
        self.k, self.axis, self.largest, self.indices = k, axis, largest, indices

    def run(self, inputs, out, scratch):
        x = inputs[0]
        keys = np.negative(x) if self.largest else x
        order = np.argsort(keys, axis=self.axis, kind="stable")
        chosen = np.take(order, np.arange(self.k), axis=self.axis)
        out[...] = chosen if self.indices else np.take_along_axis(x, chosen, axis=self.axis)
