"""Independent float64 reference: every op written naively here, executed node by node.

Nothing from tilewise's kernels or passes is used; only the graph structure is read.
"""

from __future__ import annotations

import ast
import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def attr(node, name, default=None):
    value = node.attrs.get(name, default)
    if isinstance(value, str):
        try:
            return ast.literal_eval(value)
        except (ValueError, SyntaxError):
            return value
    return value


def conv2d(x, w, b=None, stride=(1, 1), pad=(0, 0), dilate=(1, 1), groups=1, pad_end=None):
    n, c, h, wd = x.shape
    k, cg, kh, kw = w.shape
    end = pad_end or pad
    xp = np.pad(x, ((0, 0), (0, 0), (pad[0], end[0]), (pad[1], end[1])))
    span_h, span_w = dilate[0] * (kh - 1) + 1, dilate[1] * (kw - 1) + 1
    win = sliding_window_view(xp, (span_h, span_w), axis=(2, 3))
    win = win[:, :, :: stride[0], :: stride[1], :: dilate[0], :: dilate[1]]
    kg = k // groups
    outs = []
    for g in range(groups):
        part = win[:, g * cg : (g + 1) * cg]
        outs.append(np.einsum("nchwij,kcij->nkhw", part, w[g * kg : (g + 1) * kg], optimize=True))
    y = np.concatenate(outs, axis=1)
    return y if b is None else y + b.reshape(1, -1, 1, 1)


def pool2d(x, kind, kernel, stride, pad, full, count_include_pad=True):
    n, c, h, w = x.shape
    out_hw = []
    for size, k, s, p in zip((h, w), kernel, stride, pad, strict=True):
        span = size + 2 * p - k
        out_hw.append((math.ceil(span / s) if full else span // s) + 1)
    y = np.empty((n, c, *out_hw))
    for i in range(out_hw[0]):
        for j in range(out_hw[1]):
            hs, ws = i * stride[0] - pad[0], j * stride[1] - pad[1]
            he, we = min(hs + kernel[0], h + pad[0]), min(ws + kernel[1], w + pad[1])
            area = (he - hs) * (we - ws)
            hs0, ws0, he0, we0 = max(hs, 0), max(ws, 0), min(he, h), min(we, w)
            window = x[:, :, hs0:he0, ws0:we0]
            if kind == "max":
                y[:, :, i, j] = window.max(axis=(2, 3))
            else:
                count = area if count_include_pad else (he0 - hs0) * (we0 - ws0)
                y[:, :, i, j] = window.sum(axis=(2, 3)) / count
    return y


def activation(x, kind):
    if kind == "relu":
        return np.maximum(x, 0)
    if kind == "sigmoid":
        return 1 / (1 + np.exp(-x))
    if kind == "tanh":
        return np.tanh(x)
    if kind == "softrelu":
        return np.log1p(np.exp(x))
    if kind == "relu6":
        return np.clip(x, 0, 6)
    if kind == "hard_swish":
        return x * np.clip(x / 6 + 0.5, 0, 1)
    raise ValueError(kind)


def lrn(x, nsize, alpha, beta, knorm):
    sq = x**2
    c = x.shape[1]
    total = np.zeros_like(x)
    for i in range(c):
        lo, hi = max(0, i - nsize // 2), min(c, i + nsize // 2 + 1)
        total[:, i] = sq[:, lo:hi].sum(axis=1)
    return x / (knorm + alpha / nsize * total) ** beta


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def run_node(node, values, consts):
    ins = [values[i] if i in values else consts[i].astype(np.float64) for i in node.inputs]
    op = node.op
    if op == "Convolution":
        nb = attr(node, "no_bias", False)
        y = conv2d(
            ins[0], ins[1], None if nb else ins[2],
            attr(node, "stride", (1, 1)), attr(node, "pad", (0, 0)),
            attr(node, "dilate", (1, 1)), attr(node, "num_group", 1), attr(node, "pad_end", ()),
        )  # fmt: skip
    elif op == "FullyConnected":
        x = ins[0].reshape(ins[0].shape[0], -1) if attr(node, "flatten", True) else ins[0]
        y = x @ ins[1].T + (0 if attr(node, "no_bias", False) else ins[2])
    elif op == "Pooling":
        x = ins[0]
        if attr(node, "global_pool", False):
            kernel, stride, pad = x.shape[2:], (1, 1), (0, 0)
        else:
            kernel = attr(node, "kernel")
            stride, pad = attr(node, "stride", (1, 1)), attr(node, "pad", (0, 0))
        y = pool2d(
            x, attr(node, "pool_type", "max"), kernel, stride, pad,
            attr(node, "pooling_convention", "valid") == "full",
            attr(node, "count_include_pad", True),
        )  # fmt: skip
    elif op == "Activation":
        y = activation(ins[0], attr(node, "act_type"))
    elif op == "BatchNorm":
        x, gamma, beta, mean, var = ins
        if attr(node, "fix_gamma", True):
            gamma = np.ones_like(gamma)
        eps = attr(node, "eps", 1e-3)
        shape = (1, -1) + (1,) * (x.ndim - 2)
        y = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps)
        y = y * gamma.reshape(shape) + beta.reshape(shape)
    elif op == "LRN":
        y = lrn(ins[0], attr(node, "nsize"), attr(node, "alpha", 1e-4),
                attr(node, "beta", 0.75), attr(node, "knorm", 2.0))  # fmt: skip
    elif op == "Concat":
        y = np.concatenate(ins, axis=1)
    elif op == "elemwise_add":
        y = ins[0] + ins[1]
    elif op == "Flatten":
        y = ins[0].reshape(ins[0].shape[0], -1)
    elif op == "Pad":
        width = attr(node, "pad_width")
        rank = ins[0].ndim
        pairs = [(width[i], width[i + rank]) for i in range(rank)]
        y = np.pad(ins[0], pairs, constant_values=attr(node, "constant_value", 0.0))
    elif op in ("Dropout", "_copy"):
        y = ins[0]
    elif op in ("SoftmaxOutput", "softmax"):
        y = softmax(ins[0])
    else:
        raise NotImplementedError(op)
    return y


def execute(graph, x, upto: str | None = None):
    """Run `graph` in float64 on `x`; returns the value named `upto` (default: the output)."""
    values = {graph.input_name: np.asarray(x, np.float64)}
    for node in graph.nodes:
        values[node.output] = run_node(node, values, graph.constants)
        if node.output == upto:
            break
    return values[upto or graph.output_name]


def relative_error(actual, expected) -> float:
    """max |actual - expected| / max |expected|."""
    return float(np.max(np.abs(actual - expected)) / np.max(np.abs(expected)))
