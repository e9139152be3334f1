"""Per-element ops: BatchNorm (as scale/shift), activations, residual add, softmax."""

from __future__ import annotations

import numpy as np

from tilewise.kernels.activation import (
    CODES,
    act_only,
    add_act,
    leaky_relu,
    scale_shift_act,
    softmax_middle,
    softmax_rows,
)
from tilewise.operators.base import Operator, as_rows


class ScaleShift(Operator):
    inplace = True

    def __init__(self, attrs: dict, scale: np.ndarray, shift: np.ndarray) -> None:
        self.scale = np.ascontiguousarray(scale, np.float32)
        self.shift = np.ascontiguousarray(shift, np.float32)
        self.act = CODES[attrs.get("act")]

    def run(self, inputs, out, scratch):
        scale_shift_act(as_rows(inputs[0]), self.scale, self.shift, as_rows(out), self.act)


class Activation(Operator):
    inplace = True

    def __init__(self, act_type: str) -> None:
        self.act = CODES[act_type]

    def run(self, inputs, out, scratch):
        act_only(as_rows(inputs[0]), as_rows(out), self.act)


class Add(Operator):
    inplace = True

    def __init__(self, attrs: dict) -> None:
        self.act = CODES[attrs.get("act")]

    def run(self, inputs, out, scratch):
        add_act(as_rows(inputs[0]), as_rows(inputs[1]), as_rows(out), self.act)


class Softmax(Operator):
    inplace = True

    def run(self, inputs, out, scratch):
        softmax_rows(inputs[0], out)


class Flatten(Operator):
    alias = True

    def run(self, inputs, out, scratch):
        pass


class Clip(Operator):
    inplace = True

    def __init__(self, attrs: dict) -> None:
        self.bounds = (np.float32(attrs["a_min"]), np.float32(attrs["a_max"]))

    def run(self, inputs, out, scratch):
        np.clip(inputs[0], *self.bounds, out=out)


class LeakyReLU(Operator):
    """leaky: slope * x below 0; elu: slope * (e^x - 1); prelu: gamma[c] * x."""

    inplace = True

    def __init__(self, attrs: dict, gamma: np.ndarray | None, channels: int) -> None:
        self.kind = {"leaky": 0, "prelu": 1, "elu": 2}[attrs["act_type"]]
        if gamma is None:
            gamma = np.full(channels, attrs["slope"], np.float32)
        self.slope = np.ascontiguousarray(gamma, np.float32)

    def run(self, inputs, out, scratch):
        leaky_relu(as_rows(inputs[0]), as_rows(out), self.slope, self.kind)


class SoftmaxAxis(Operator):
    """Softmax along any axis: the array is viewed as (outer, axis, inner)."""

    inplace = True

    def __init__(self, shape: tuple, axis: int) -> None:
        axis %= len(shape)
        outer = int(np.prod(shape[:axis], dtype=np.int64))
        self.view = (outer, shape[axis], int(np.prod(shape[axis + 1 :], dtype=np.int64)))

    def run(self, inputs, out, scratch):
        softmax_middle(inputs[0].reshape(self.view), out.reshape(self.view))
