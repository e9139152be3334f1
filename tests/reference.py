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
    if kind == "silu":
        return x / (1 + np.exp(-x))
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


def _conv_ref(node, ins):
    return conv2d(
        ins[0], ins[1], None if attr(node, "no_bias", False) else ins[2],
        attr(node, "stride", (1, 1)), attr(node, "pad", (0, 0)),
        attr(node, "dilate", (1, 1)), attr(node, "num_group", 1), attr(node, "pad_end", ()),
    )  # fmt: skip


def _fc_ref(node, ins):
    x = ins[0].reshape(ins[0].shape[0], -1) if attr(node, "flatten", True) else ins[0]
    return x @ ins[1].T + (0 if attr(node, "no_bias", False) else ins[2])


def _pool_ref(node, ins):
    x = ins[0]
    if attr(node, "global_pool", False):
        kernel, stride, pad = x.shape[2:], (1, 1), (0, 0)
    else:
        kernel = attr(node, "kernel")
        stride, pad = attr(node, "stride", (1, 1)), attr(node, "pad", (0, 0))
    return pool2d(
        x, attr(node, "pool_type", "max"), kernel, stride, pad,
        attr(node, "pooling_convention", "valid") == "full",
        attr(node, "count_include_pad", True),
    )  # fmt: skip


def _channel(vector, x):
    return vector.reshape((1, -1) + (1,) * (x.ndim - 2))


def _batchnorm_ref(node, ins):
    x, gamma, beta, mean, var = ins
    if attr(node, "fix_gamma", True):
        gamma = np.ones_like(gamma)
    y = (x - _channel(mean, x)) / np.sqrt(_channel(var, x) + attr(node, "eps", 1e-3))
    return y * _channel(gamma, x) + _channel(beta, x)


def _fused(node, y):
    """The activation a fusion pass put into `act`, if any."""
    kind = attr(node, "act")
    return y if kind is None else activation(y, kind)


def _softmax_axis(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _softmax_activation_ref(node, ins):
    x = ins[0]
    if attr(node, "mode", "instance") == "channel":
        return _softmax_axis(x, 1)
    return softmax(x.reshape(x.shape[0], -1)).reshape(x.shape)


def _leaky_ref(node, ins):
    x, kind = ins[0], attr(node, "act_type", "leaky")
    if kind == "prelu":
        return np.where(x >= 0, x, _channel(ins[1], x) * x)
    slope = attr(node, "slope", 0.25)
    if kind == "elu":
        return np.where(x >= 0, x, slope * np.expm1(x))
    return np.where(x >= 0, x, slope * x)


def _reshape_ref(node, ins):
    x, spec, out, i = ins[0], attr(node, "shape"), [], 0
    for code in spec:  # MXNet's codes, written out again independently
        if code == -2:
            out.extend(x.shape[i:])
            i = x.ndim
        elif code == -3:
            out.append(x.shape[i] * x.shape[i + 1])
            i += 2
        else:
            out.append(x.shape[i] if code == 0 else code)
            i += 1
    return x.reshape(out)


def _pad_ref(node, ins):
    width = attr(node, "pad_width")
    rank = ins[0].ndim
    pairs = [(width[i], width[i + rank]) for i in range(rank)]
    mode = attr(node, "mode", "constant")
    if mode != "constant":  # written out by index, not with np.pad: independent of the code
        index = [_pad_index(n, before, after, mode) for n, (before, after) in
                 zip(ins[0].shape, pairs, strict=True)]  # fmt: skip
        return ins[0][np.ix_(*index)]
    return np.pad(ins[0], pairs, constant_values=attr(node, "constant_value", 0.0))


def _pad_index(size: int, before: int, after: int, mode: str) -> np.ndarray:
    """Source index of every padded position along one axis."""
    positions = np.arange(-before, size + after)
    if mode == "edge":
        return np.clip(positions, 0, size - 1)
    if mode == "wrap":
        return positions % size
    period = 2 * (size - 1)  # reflect: ... 2 1 [0 1 2 ... n-1] n-2 ...
    folded = np.abs(positions) % period if period else np.zeros_like(positions)
    return np.where(folded >= size, period - folded, folded)


def _reduce_ref(function):
    def run(node, ins):
        axes = tuple(attr(node, "axis", ())) or None
        return function(ins[0], axis=axes, keepdims=bool(attr(node, "keepdims", False)))

    return run


def _log_softmax_ref(node, ins):
    x, axis = ins[0], attr(node, "axis", -1)
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _transpose_ref(node, ins):
    axes = attr(node, "axes", ()) or None
    return np.transpose(ins[0], axes)


def _slice_ref(node, ins):
    bounds = zip(attr(node, "begin"), attr(node, "end"), attr(node, "step"), strict=True)
    index = tuple(slice(b, e if e >= 0 else None, s) for b, e, s in bounds)
    return ins[0][index]


def _gather_ref(node, ins):
    indices = np.array(attr(node, "indices")).reshape(attr(node, "indices_shape"))
    return np.take(ins[0], indices, axis=attr(node, "axis"))


def _resize_ref(node, ins):
    """ONNX's own reference evaluator, in float64 (written apart from tilewise's matrices)."""
    from onnx.reference.ops import op_resize

    get = {"nearest": lambda r, s: op_resize._nearest_coeffs(r, attr(node, "nearest_mode",
                                                                      "round_prefer_floor")),
           "linear": op_resize._linear_coeffs_antialias if attr(node, "antialias", False)
           else op_resize._linear_coeffs,
           "cubic": lambda r, s: (op_resize._cubic_coeffs_antialias if attr(node, "antialias",
                                                                            False)
                                  else op_resize._cubic_coeffs)(r, s, A=attr(node, "cubic_coeff_a",
                                                                             -0.75))}  # fmt: skip
    roi = attr(node, "roi", ())
    return op_resize._interpolate_nd(
        ins[0], get[attr(node, "mode", "nearest")], output_size=list(attr(node, "sizes")),
        scale_factors=list(attr(node, "scales")), roi=np.array(roi) if roi else None,
        exclude_outside=attr(node, "exclude_outside", False),
        coordinate_transformation_mode=attr(node, "coordinate_mode", "half_pixel"),
        extrapolation_value=attr(node, "extrapolation_value", 0.0),
    )  # fmt: skip


def _deconv_ref(node, ins):
    """Scatter form: every input pixel adds weight x value into the full output, then the
    pads are cropped; one loop per kernel tap and group, in float64."""
    x, weight = ins[0], ins[1]
    (kh, kw), (sh, sw) = attr(node, "kernel"), attr(node, "stride", (1, 1))
    (dh, dw), (ph, pw) = attr(node, "dilate", (1, 1)), attr(node, "pad", (0, 0))
    (qh, qw), (ah, aw) = attr(node, "pad_end", (0, 0)), attr(node, "adj", (0, 0))
    groups = attr(node, "num_group", 1)
    n, c, h, w = x.shape
    per_in, per_out = c // groups, weight.shape[1]
    full = np.zeros((n, per_out * groups, sh * (h - 1) + dh * (kh - 1) + 1 + ah,
                     sw * (w - 1) + dw * (kw - 1) + 1 + aw))  # fmt: skip
    for g in range(groups):
        xs = x[:, g * per_in : (g + 1) * per_in]
        ws = weight[g * per_in : (g + 1) * per_in]
        for i in range(kh):
            for j in range(kw):
                contribution = np.einsum("nchw,co->nohw", xs, ws[:, :, i, j])
                full[:, g * per_out : (g + 1) * per_out,
                     i * dh : i * dh + sh * (h - 1) + 1 : sh,
                     j * dw : j * dw + sw * (w - 1) + 1 : sw] += contribution  # fmt: skip
    out = full[:, :, ph : full.shape[2] - qh, pw : full.shape[3] - qw]
    return out + ins[2].reshape(1, -1, 1, 1) if len(ins) > 2 else out


def _depth_to_space_ref(node, ins):
    """By the index formulas of ONNX's definition, one output position at a time."""
    x, b = ins[0], attr(node, "block")
    n, c, h, w = x.shape
    out_c = c // (b * b)
    ch, y, xx = np.meshgrid(np.arange(out_c), np.arange(h * b), np.arange(w * b), indexing="ij")
    offset = (y % b) * b + xx % b
    source = offset * out_c + ch if attr(node, "mode", "DCR") == "DCR" else ch * b * b + offset
    return x[:, source, y // b, xx // b]


def _space_to_depth_ref(node, ins):
    x, b = ins[0], attr(node, "block")
    n, c, h, w = x.shape
    out = np.empty((n, c * b * b, h // b, w // b))
    for i in range(b):
        for j in range(b):
            if attr(node, "mode", "DCR") == "DCR":
                out[:, (i * b + j) * c : (i * b + j + 1) * c] = x[:, :, i::b, j::b]
            else:
                out[:, i * b + j :: b * b] = x[:, :, i::b, j::b]
    return out


def _tile_ref(node, ins):
    x, reps = ins[0], attr(node, "reps")
    index = [np.arange(d * r) % d for d, r in zip(x.shape, reps, strict=True)]
    return x[np.ix_(*index)]


def _arg_reduce_ref(node, ins):
    """The first (or last) position holding the extreme value."""
    x, axis = ins[0], attr(node, "axis", 0)
    extreme = (x.max if attr(node, "function") == "max" else x.min)(axis=axis, keepdims=True)
    shape = [1] * x.ndim
    shape[axis] = -1
    positions = np.arange(x.shape[axis]).reshape(shape) * np.ones_like(x)
    hits = np.where(x == extreme, positions, np.nan)
    index = np.nanmax(hits, axis=axis, keepdims=True) if attr(node, "select_last_index", False) \
        else np.nanmin(hits, axis=axis, keepdims=True)  # fmt: skip
    return index if attr(node, "keepdims", True) else np.squeeze(index, axis)


def _topk_ref(node, ins):
    """Python's sort of (value, index) pairs, one row at a time."""
    x, k, largest = ins[0], attr(node, "k"), attr(node, "largest", True)
    moved = np.moveaxis(x, attr(node, "axis", -1), -1)
    rows = moved.reshape(-1, moved.shape[-1])
    picked = []
    for row in rows:
        order = sorted(range(len(row)), key=lambda i: (-row[i] if largest else row[i], i))[:k]
        picked.append(order if attr(node, "part", "values") == "indices" else row[order])
    out = np.array(picked, np.float64).reshape(*moved.shape[:-1], k)
    return np.moveaxis(out, -1, attr(node, "axis", -1))


def _normalized(x, axes, eps):
    mean = x.mean(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(((x - mean) ** 2).mean(axis=axes, keepdims=True) + eps)


def _layer_norm_ref(node, ins):
    x = ins[0]
    axes = tuple(range(attr(node, "axis", -1) % x.ndim, x.ndim))
    y = _normalized(x, axes, attr(node, "eps", 1e-5)) * ins[1]
    return y + ins[2] if len(ins) > 2 else y


def _instance_norm_ref(node, ins):
    x = ins[0]
    shape = (1, -1) + (1,) * (x.ndim - 2)
    y = _normalized(x, tuple(range(2, x.ndim)), attr(node, "eps", 1e-5))
    return y * ins[1].reshape(shape) + ins[2].reshape(shape)


COMPARE_REFERENCE = {"equal": np.equal, "greater": np.greater, "less": np.less,
                     "greater_equal": np.greater_equal, "less_equal": np.less_equal}  # fmt: skip


# op name -> float64 reference (node, inputs) -> output; tests/test_op_table.py checks that
# every op tilewise knows is here.
REFERENCE = {
    "Convolution": lambda n, i: _fused(n, _conv_ref(n, i)),
    "FullyConnected": lambda n, i: _fused(n, _fc_ref(n, i)),
    "Pooling": _pool_ref,
    "Activation": lambda n, i: activation(i[0], attr(n, "act_type")),
    "BatchNorm": _batchnorm_ref,
    "ScaleShift": lambda n, i: _fused(n, i[0] * _channel(i[1], i[0]) + _channel(i[2], i[0])),
    "LRN": lambda n, i: lrn(
        i[0], attr(n, "nsize"), attr(n, "alpha", 1e-4), attr(n, "beta", 0.75), attr(n, "knorm", 2.0)
    ),  # fmt: skip
    "Concat": lambda n, i: np.concatenate(i, axis=attr(n, "dim", 1)),
    "elemwise_add": lambda n, i: _fused(n, i[0] + i[1]),
    "Flatten": lambda n, i: i[0].reshape(i[0].shape[0], -1),
    "Dropout": lambda n, i: i[0],
    "_copy": lambda n, i: i[0],
    "SoftmaxOutput": lambda n, i: softmax(i[0]),
    "softmax": lambda n, i: _softmax_axis(i[0], attr(n, "axis", -1)),
    "SoftmaxActivation": _softmax_activation_ref,
    "LeakyReLU": _leaky_ref,
    "clip": lambda n, i: np.clip(i[0], attr(n, "a_min"), attr(n, "a_max")),
    "Reshape": _reshape_ref,
    "broadcast_add": lambda n, i: i[0] + i[1],
    "broadcast_sub": lambda n, i: i[0] - i[1],
    "broadcast_mul": lambda n, i: i[0] * i[1],
    "broadcast_div": lambda n, i: i[0] / i[1],
    "broadcast_pow": lambda n, i: i[0] ** i[1],
    "slice": _slice_ref,
    "gather": _gather_ref,
    "resize": _resize_ref,
    "Deconvolution": _deconv_ref,
    "compare": lambda n, i: COMPARE_REFERENCE[attr(n, "function")](i[0], i[1]).astype(float),
    "where": lambda n, i: np.where(i[0] != 0, i[1], i[2]),
    "broadcast_maximum": lambda n, i: np.maximum(i[0], i[1]),
    "broadcast_minimum": lambda n, i: np.minimum(i[0], i[1]),
    "broadcast_to": lambda n, i: np.broadcast_to(i[0], attr(n, "shape")),
    "tile": _tile_ref,
    "depth_to_space": _depth_to_space_ref,
    "space_to_depth": _space_to_depth_ref,
    "arg_reduce": _arg_reduce_ref,
    "topk": _topk_ref,
    "layer_norm": _layer_norm_ref,
    "instance_norm": _instance_norm_ref,
    "broadcast_prelu": lambda n, i: np.where(i[0] >= 0, i[0], i[1] * i[0]),
    "matmul": lambda n, i: np.matmul(i[0], i[1]),
    "transpose": _transpose_ref,
    "Pad": _pad_ref,
    "mean": _reduce_ref(np.mean),
    "max": _reduce_ref(np.max),
    "sum": _reduce_ref(np.sum),
    "log_softmax": _log_softmax_ref,
    "unary": lambda n, i: UNARY_REFERENCE[attr(n, "function")](i[0]),
    "hard_sigmoid": lambda n, i: np.clip(
        attr(n, "alpha", 0.2) * i[0] + attr(n, "beta", 0.5), 0, 1
    ),  # fmt: skip
}


UNARY_REFERENCE = {
    "sqrt": np.sqrt, "exp": np.exp, "log": np.log, "reciprocal": lambda x: 1.0 / x,
    "neg": lambda x: -x, "abs": np.abs,
    "erf": np.vectorize(math.erf, otypes=[np.float64]),  # the standard library's, in float64
    "not": lambda x: (x == 0).astype(float),
    "gelu": np.vectorize(lambda v: 0.5 * v * (1 + math.erf(v / math.sqrt(2))), otypes=[float]),
    "gelu_tanh": lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi)
                                                  * (x + 0.044715 * x**3))),
}  # fmt: skip


def run_node(node, values, consts):
    ins = [values[i] if i in values else consts[i].astype(np.float64) for i in node.inputs]
    return REFERENCE[node.op](node, ins)


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
