"""General tensor ops (any rank) in NumPy: they move data or are rare, so no kernels of
their own. Operands that are constants are held by the operator; values arrive at run."""

from __future__ import annotations

import numpy as np

from tilewise.kernels.special import erf_kernel
from tilewise.operators.base import Operator


class Mixed(Operator):
    """`operands` holds each input in order: a constant array, or None for a value."""

    def __init__(self, operands: list) -> None:
        self.operands = [None if o is None else np.asarray(o, np.float32) for o in operands]

    def merged(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        values = iter(inputs)
        return [next(values) if o is None else o for o in self.operands]


class Concat(Mixed):
    """On blocked arrays the producers of some parts may write straight into the output
    (`in_place`, set by the planner): those parts are skipped; `first` is where the
    output itself starts when it is a part of an enclosing Concat's buffer."""

    def __init__(self, operands: list, axis: int) -> None:
        super().__init__(operands)
        self.axis = axis
        self.in_place: set[int] = set()
        self.widths: list[int] | None = None  # each part's size along the axis
        self.first = 0

    def write_into(self, total_blocks: int, first_block: int) -> bool:
        if self.axis != 1 or any(o is not None for o in self.operands):
            return False
        self.first = first_block
        return True

    def launches(self, inputs, out, scratch):
        """No work (a chain runs through it) when every producer wrote its part in place."""
        return [] if len(self.in_place) == len(self.merged(inputs)) else None

    def run(self, inputs, out, scratch):
        start = self.first
        index = [slice(None)] * out.ndim
        for i, part in enumerate(self.merged(inputs)):
            stop = start + (self.widths[i] if self.widths else part.shape[self.axis])
            if i not in self.in_place:
                index[self.axis] = slice(start, stop)
                out[tuple(index)] = part
            start = stop


class Binary(Mixed):
    """broadcast_add/sub/mul/div, matmul and prelu with NumPy broadcasting."""

    UFUNCS = {
        "broadcast_add": np.add,
        "broadcast_sub": np.subtract,
        "broadcast_mul": np.multiply,
        "broadcast_div": np.divide,
        "broadcast_pow": np.power,
        "broadcast_maximum": np.maximum,
        "broadcast_minimum": np.minimum,
        "matmul": np.matmul,
    }

    def __init__(self, op: str, operands: list) -> None:
        super().__init__(operands)
        self.op = op
        self.ufunc = self.UFUNCS.get(op)

    def run(self, inputs, out, scratch):
        a, b = self.merged(inputs)
        if self.ufunc is not None:
            self.ufunc(a, b, out=out)
        else:  # broadcast_prelu
            np.multiply(a, b, out=out)
            np.copyto(out, a, where=a >= 0)


class Transpose(Operator):
    def __init__(self, axes: tuple) -> None:
        self.axes = axes or None

    def run(self, inputs, out, scratch):
        np.copyto(out, inputs[0].transpose(self.axes))


class Slice(Operator):
    def __init__(self, begin: tuple, end: tuple, step: tuple) -> None:
        # end -1 with a negative step means "through index 0", which numpy spells None
        self.index = tuple(slice(b, None if e < 0 else e, s)
                           for b, e, s in zip(begin, end, step, strict=True))  # fmt: skip

    def run(self, inputs, out, scratch):
        out[...] = inputs[0][self.index]


class Gather(Operator):
    def __init__(self, axis: int, indices: tuple, indices_shape: tuple) -> None:
        self.axis = axis
        self.indices = np.array(indices, np.intp).reshape(indices_shape)

    def run(self, inputs, out, scratch):
        out[...] = np.take(inputs[0], self.indices, axis=self.axis)


class Pad(Operator):
    def __init__(self, pad_width: tuple, value: float, in_shape: tuple,
                 mode: str = "constant") -> None:  # fmt: skip
        rank = len(in_shape)
        self.value = np.float32(value)
        self.mode = mode
        self.pairs = [(pad_width[i], pad_width[i + rank]) for i in range(rank)]
        self.inner = tuple(
            slice(pad_width[i], pad_width[i] + d) for i, d in enumerate(in_shape[:rank])
        )

    def run(self, inputs, out, scratch):
        if self.mode == "constant":
            out.fill(self.value)
            out[self.inner] = inputs[0]
        else:  # edge / reflect / wrap: numpy's, which ONNX's modes were defined after
            out[...] = np.pad(inputs[0], self.pairs, mode=self.mode)


class Reduce(Operator):
    FUNCTIONS = {"mean": np.mean, "max": np.max, "sum": np.sum}

    def __init__(self, kind: str, axes: tuple, keepdims: bool) -> None:
        self.function = self.FUNCTIONS[kind]
        self.axes = axes
        self.keepdims = keepdims

    def run(self, inputs, out, scratch):
        self.function(inputs[0], axis=self.axes, keepdims=self.keepdims, out=out)


class LogSoftmax(Operator):
    inplace = True

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def run(self, inputs, out, scratch):
        x = inputs[0]
        shifted = x - x.max(axis=self.axis, keepdims=True)
        total = np.log(np.exp(shifted).sum(axis=self.axis, keepdims=True))
        np.subtract(shifted, total, out=out)


class Unary(Operator):
    """One elementwise function in float32: numpy's ufuncs, and tilewise's own vectorised
    kernel for erf and GELU (SciPy's erf is a scalar call per value, 16x slower)."""

    inplace = True

    def __init__(self, function: str) -> None:
        self.ufunc = {"sqrt": np.sqrt, "exp": np.exp, "log": np.log,
                      "reciprocal": np.reciprocal, "neg": np.negative, "abs": np.abs,
                      "erf": _erf, "not": _logical_not, "gelu": _gelu,
                      "gelu_tanh": _gelu_tanh}[function]  # fmt: skip

    def run(self, inputs, out, scratch):
        with np.errstate(all="ignore"):  # NaN and Inf are IEEE's answer (sqrt(-1), log(0))
            self.ufunc(inputs[0], out=out)


def _logical_not(x: np.ndarray, out: np.ndarray) -> None:
    np.equal(x, 0, out=out)


def _erf(x: np.ndarray, out: np.ndarray) -> None:
    erf_kernel(x.reshape(-1), out.reshape(-1), False)


def _gelu(x: np.ndarray, out: np.ndarray) -> None:
    erf_kernel(x.reshape(-1), out.reshape(-1), True)


def _gelu_tanh(x: np.ndarray, out: np.ndarray) -> None:
    inner = x * x
    inner *= np.float32(0.044715)
    inner += 1
    inner *= x
    inner *= np.float32(np.sqrt(2 / np.pi))
    half = x * np.float32(0.5)
    np.tanh(inner, out=out)
    out += 1
    out *= half


class HardSigmoid(Operator):
    inplace = True

    def __init__(self, alpha: float, beta: float) -> None:
        self.alpha, self.beta = np.float32(alpha), np.float32(beta)

    def run(self, inputs, out, scratch):
        np.multiply(inputs[0], self.alpha, out=out)
        out += self.beta
        np.clip(out, 0.0, 1.0, out=out)
