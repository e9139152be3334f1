"""Normalisations computed from the data at run time (unlike BatchNorm, which folds into
constants): layer norm over the last axes and instance norm over each plane."""

from __future__ import annotations

import numpy as np

from tilewise.operators.base import Operator
from tilewise.operators.tensor import Mixed


def _normalize(x: np.ndarray, axes: tuple, eps: float, out: np.ndarray) -> None:
    mean = x.mean(axis=axes, keepdims=True, dtype=np.float32)
    np.subtract(x, mean, out=out)
    variance = np.mean(np.square(out), axis=axes, keepdims=True, dtype=np.float32)
    out /= np.sqrt(variance + np.float32(eps))


class LayerNorm(Mixed):
    def __init__(self, operands: list, axis: int, eps: float) -> None:
        super().__init__(operands)
        self.axis, self.eps = axis, eps

    def run(self, inputs, out, scratch):
        x, scale, *bias = self.merged(inputs)
        _normalize(x, tuple(range(self.axis, x.ndim)), self.eps, out)
        out *= scale
        if bias:
            out += bias[0]


class InstanceNorm(Operator):
    def __init__(self, eps: float, scale: np.ndarray, bias: np.ndarray, rank: int) -> None:
        shape = (1, -1) + (1,) * (rank - 2)
        self.eps = eps
        self.scale = scale.astype(np.float32).reshape(shape)
        self.bias = bias.astype(np.float32).reshape(shape)
        self.axes = tuple(range(2, rank))

    def run(self, inputs, out, scratch):
        _normalize(inputs[0], self.axes, self.eps, out)
        out *= self.scale
        out += self.bias
