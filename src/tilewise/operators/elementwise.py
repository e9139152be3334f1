"""Per-element ops: BatchNorm (as scale/shift), activations, residual add, softmax."""

from __future__ import annotations

import numpy as np

from tilewise.kernels.activation import CODES, act_only, add_act, scale_shift_act, softmax_rows
from tilewise.operators.base import Operator, as_rows


def batchnorm_scale_shift(attrs: dict, gamma, beta, mean, var) -> tuple[np.ndarray, np.ndarray]:
    """Inference BatchNorm as y = x * scale + shift (gamma is 1 under fix_gamma)."""
    gamma = np.ones_like(gamma) if attrs["fix_gamma"] else gamma
    scale = gamma.astype(np.float64) / np.sqrt(var.astype(np.float64) + attrs["eps"])
    shift = beta.astype(np.float64) - mean.astype(np.float64) * scale
    return scale.astype(np.float32), shift.astype(np.float32)


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


class Concat(Operator):
    def run(self, inputs, out, scratch):
        start = 0
        for part in inputs:
            stop = start + part.shape[1]
            out[:, start:stop] = part
            start = stop
