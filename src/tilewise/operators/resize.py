"""Resize as one small matrix per resized axis, built once: row i holds the weights that
output position i takes from the input positions (ONNX's coordinate and neighbour rules,
edge clamping and exclude_outside folded in). Nearest runs as a gather, the others as a
matrix product along the axis; axes go in order, as ONNX's reference does."""

from __future__ import annotations

import math

import numpy as np

from tilewise.operators.base import Operator


def source_coordinates(mode: str, out_size: int, in_size: int, scale: float,
                       roi: tuple[float, float] | None) -> np.ndarray:  # fmt: skip
    """Where each output position falls in the input, by coordinate_transformation_mode.
    The output length is the integer one, as onnxruntime and PyTorch take it (ONNX's
    reference takes scale x input, which differs when that is not whole)."""
    y = np.arange(out_size, dtype=np.float64)
    length = out_size
    if mode == "align_corners":
        return np.zeros(out_size) if length == 1 else y * (in_size - 1) / (length - 1)
    if mode == "asymmetric":
        return y / scale
    if mode == "tf_crop_and_resize":
        start, end = roi
        if length == 1:
            x = np.full(out_size, (end - start) * (in_size - 1) / 2)
        else:
            x = y * (end - start) * (in_size - 1) / (length - 1)
        return x + start * (in_size - 1)
    if mode == "pytorch_half_pixel" and length == 1:
        return np.full(out_size, -0.5)
    offset = 0.0
    if mode == "half_pixel_symmetric":
        offset = in_size / 2 * (1 - out_size / (scale * in_size))
    return offset + (y + 0.5) / scale - 0.5


def _taps(attrs: dict, ratio: float, scale: float) -> np.ndarray:
    """Weights of the neighbours, the first at floor(x) - (count / 2 - 1)."""
    mode = attrs["mode"]
    if mode == "nearest":
        if ratio == 1.0:  # an exact position takes its own pixel
            return np.array([0.0, 1.0])
        upper = {"round_prefer_floor": ratio > 0.5, "round_prefer_ceil": ratio >= 0.5,
                 "floor": False, "ceil": True}[attrs["nearest_mode"]]  # fmt: skip
        return np.array([0.0, 1.0]) if upper else np.array([1.0, 0.0])
    shrink = min(scale, 1.0) if attrs["antialias"] else 1.0
    if mode == "linear":
        first = int(math.floor(-1 / shrink) + 1)
        offsets = np.arange(first, 2 - first) - ratio
        weights = np.clip(1 - np.abs(offsets * shrink), 0, 1)
    else:
        a = attrs["cubic_coeff_a"]
        first = int(math.floor(-2 / shrink) + 1)
        t = np.abs((np.arange(first, 2 - first) - ratio) * shrink)
        near = ((a + 2) * t - (a + 3)) * t * t + 1
        far = ((a * t - 5 * a) * t + 8 * a) * t - 4 * a
        weights = np.where(t <= 1, near, np.where(t < 2, far, 0.0))
    return weights / weights.sum() if attrs["antialias"] else weights


def axis_weights(attrs: dict, axis: int, in_size: int) -> tuple[np.ndarray, np.ndarray]:
    """(out x in weights, rows outside the crop) for one axis."""
    out_size, scale = attrs["sizes"][axis], attrs["scales"][axis]
    rank = len(attrs["sizes"])
    roi = (attrs["roi"][axis], attrs["roi"][axis + rank]) if attrs["roi"] else None
    x = source_coordinates(attrs["coordinate_mode"], out_size, in_size, scale, roi)
    weights = np.zeros((out_size, in_size))
    for i, position in enumerate(x):
        base = math.floor(position)
        ratio = 1.0 if position == base else position - base
        taps = _taps(attrs, ratio, scale)
        count = len(taps)
        # the `count` positions nearest x, ties to the lower side
        if count % 2:
            first = base - count // 2 + (1 if position - base > 0.5 else 0)
        else:
            first = base - count // 2 + (0 if position == base else 1)
        sources = np.arange(first, first + count)
        if attrs["exclude_outside"]:
            taps = np.where((sources < 0) | (sources >= in_size), 0.0, taps)
            taps = taps / (taps.sum() or 1.0)
        np.add.at(weights[i], np.clip(sources, 0, in_size - 1), taps)
    outside = (x < 0) | (x > in_size - 1) if roi is not None else np.zeros(out_size, bool)
    return weights, outside


class Resize(Operator):
    def __init__(self, attrs: dict, in_shape: tuple) -> None:
        self.fill = np.float32(attrs["extrapolation_value"])
        self.nearest = attrs["mode"] == "nearest"
        self.passes = []  # (axis, gather index or weight matrix, rows to fill or None)
        self.repeats = None  # nearest by whole factors: (factor per axis), a broadcast copy
        for axis, size in enumerate(in_shape):
            same = attrs["sizes"][axis] == size and math.isclose(attrs["scales"][axis], 1.0)
            if same and not attrs["roi"]:
                continue
            weights, outside = axis_weights(attrs, axis, size)
            step = weights.argmax(axis=1) if self.nearest else weights.astype(np.float32)
            self.passes.append((axis, step, outside if outside.any() else None))
        if self.nearest and self.passes and all(
            outside is None and len(index) % in_shape[axis] == 0
            and np.array_equal(index, np.arange(len(index)) // (len(index) // in_shape[axis]))
            for axis, index, outside in self.passes
        ):  # fmt: skip
            factors = [1] * len(in_shape)
            for axis, index, _ in self.passes:
                factors[axis] = len(index) // in_shape[axis]
            self.repeats = tuple(factors)

    def run(self, inputs, out, scratch):
        x = inputs[0]
        if self.repeats is not None:  # out viewed as (d0, f0, d1, f1, ...) gets x broadcast
            split = [v for d, f in zip(x.shape, self.repeats, strict=True) for v in (d, f)]
            spread = x.reshape([v for d in x.shape for v in (d, 1)])
            out.reshape(split)[...] = spread
            return
        for axis, step, outside in self.passes:
            if self.nearest:
                x = np.take(x, step, axis=axis)
            elif axis == x.ndim - 1:
                x = x @ step.T
            else:  # (before, size, after): the matrix broadcasts over `before`
                before = math.prod(x.shape[:axis])
                moved = step @ x.reshape(before, x.shape[axis], -1)
                x = moved.reshape(*x.shape[:axis], step.shape[0], *x.shape[axis + 1 :])
            if outside is not None:
                shape = [1] * x.ndim
                shape[axis] = -1
                x = np.where(outside.reshape(shape), self.fill, x)
        out[...] = x
