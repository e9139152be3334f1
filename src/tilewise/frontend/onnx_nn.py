"""ONNX layer ops (Conv, pooling, Gemm, MatMul, BatchNormalization, LRN) as tilewise nodes.

Padding that tilewise's kernels cannot express (asymmetric, or SAME with a stride) becomes
an explicit Pad in front; 1-D convolution and pooling run as 2-D on a height of 1.
"""

from __future__ import annotations

import math

import numpy as np

from tilewise.frontend.onnx_context import ImportContext


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def spatial_pads(ctx: ImportContext, a: dict, spatial: tuple, kernel, strides, dilations) -> list:
    """ONNX pads (starts, then ends) for the spatial axes, auto_pad resolved."""
    mode = _text(a.get("auto_pad", "NOTSET"))
    rank = len(kernel)
    if mode in ("NOTSET", ""):
        return list(a.get("pads", [0] * 2 * rank))
    if mode == "VALID":
        return [0] * 2 * rank
    starts, ends = [], []
    for size, k, s, d in zip(spatial, kernel, strides, dilations, strict=True):
        total = max((math.ceil(size / s) - 1) * s + d * (k - 1) + 1 - size, 0)
        low = total // 2 if mode == "SAME_UPPER" else total - total // 2
        starts.append(low)
        ends.append(total - low)
    return starts + ends


def _padded_input(ctx: ImportContext, x: str, pads: list, value: float) -> tuple[str, tuple]:
    """(input, symmetric pad) for a 2-D kernel: a Pad node unless the padding is symmetric."""
    if pads[0] == pads[2] and pads[1] == pads[3]:
        return x, (pads[0], pads[1])
    width = [0, 0, pads[0], pads[1], 0, 0, pads[2], pads[3]]
    return ctx.emit("Pad", [x], pad_width=tuple(width), constant_value=value), (0, 0)


def _as_2d(ctx: ImportContext, x: str, a: dict, kernel: list) -> tuple[str, dict, list, bool]:
    """1-D ops run as 2-D with height 1: (input, attrs, kernel, reshaped back afterwards)."""
    if len(kernel) != 1:
        return x, a, kernel, False
    n, c, length = ctx.shape(x)
    x = ctx.emit("Reshape", [x], shape=(n, c, 1, length))
    a = dict(a)
    for key in ("strides", "dilations"):
        if key in a:
            a[key] = [1, *a[key]]
    if "pads" in a:
        a["pads"] = [0, a["pads"][0], 0, a["pads"][1]]
    return x, a, [1, *kernel], True


def _back_to_1d(ctx: ImportContext, value: str, output: str) -> str:
    n, c, _, length = ctx.shape(value)
    return ctx.emit("Reshape", [value], output, shape=(n, c, length))


def conv(ctx: ImportContext, node, a: dict) -> None:
    weight = ctx.const(node.input[1])
    if weight is None:
        raise ctx.fail("the weight (input 1) must be a constant")
    kernel = list(a.get("kernel_shape", weight.shape[2:]))
    x, a, kernel, one_d = _as_2d(ctx, node.input[0], a, kernel)
    if one_d:
        weight_name = ctx.add_const(f"{node.input[1]}_2d", weight[:, :, None, :])
    else:
        weight_name = node.input[1]
    strides, dilations = list(a.get("strides", [1, 1])), list(a.get("dilations", [1, 1]))
    pads = spatial_pads(ctx, a, ctx.shape(x)[2:], kernel, strides, dilations)
    x, pad = _padded_input(ctx, x, pads, 0.0)
    inputs = [x, weight_name] + ([node.input[2]] if len(node.input) > 2 and node.input[2] else [])
    out = None if one_d else node.output[0]
    value = ctx.emit("Convolution", inputs, out, kernel=tuple(kernel), stride=tuple(strides),
                     dilate=tuple(dilations), pad=pad, num_filter=int(weight.shape[0]),
                     num_group=int(a.get("group", 1)), no_bias=len(inputs) < 3)  # fmt: skip
    if one_d:
        _back_to_1d(ctx, value, node.output[0])


def pool(ctx: ImportContext, node, a: dict) -> None:
    kind = "max" if node.op_type.endswith("MaxPool") else "avg"
    x = node.input[0]
    if node.op_type.startswith("Global"):
        rank = len(ctx.shape(x))
        if rank == 4:
            ctx.emit("Pooling", [x], node.output[0], pool_type=kind, global_pool=True)
        elif kind == "avg":
            ctx.emit("mean", [x], node.output[0], axis=tuple(range(2, rank)), keepdims=True)
        else:
            raise ctx.fail(f"GlobalMaxPool on a {rank}-D input is not supported")
        return
    kernel = list(a["kernel_shape"])
    x, a, kernel, one_d = _as_2d(ctx, x, a, kernel)
    strides = list(a.get("strides", [1, 1]))
    pads = spatial_pads(ctx, a, ctx.shape(x)[2:], kernel, strides, [1, 1])
    include_pad = bool(a.get("count_include_pad", 0))
    pad_end = (pads[2], pads[3])
    if kind == "avg" and include_pad and pads[:2] != pads[2:]:
        x, _ = _padded_input(ctx, x, pads, 0.0)  # padded cells count: make them real zeros
        pads, pad_end = [0, 0, 0, 0], (0, 0)
    out = None if one_d else node.output[0]
    value = ctx.emit("Pooling", [x], out, pool_type=kind, kernel=tuple(kernel),
                     stride=tuple(strides), pad=(pads[0], pads[1]), pad_end=pad_end,
                     count_include_pad=include_pad,
                     pooling_convention="full" if a.get("ceil_mode", 0) else "valid")  # fmt: skip
    if one_d:
        _back_to_1d(ctx, value, node.output[0])


def _scaled(ctx: ImportContext, name: str, factor: float, out: str | None = None) -> str:
    if factor == 1.0:
        return name
    if ctx.const(name) is None:
        return ctx.emit("broadcast_mul", [name, ctx.add_const("factor", np.array(factor))], out)
    return ctx.add_const(f"{name}_scaled", ctx.const(name).astype(np.float32) * factor)


def gemm(ctx: ImportContext, node, a: dict) -> None:
    """Y = alpha * A' B' + beta * C: a FullyConnected when B is a constant."""
    left, right = node.input[0], node.input[1]
    alpha, beta = a.get("alpha", 1.0), a.get("beta", 1.0)
    bias = node.input[2] if len(node.input) > 2 and node.input[2] else None
    if a.get("transA", 0):
        left = (
            ctx.add_const(f"{left}_t", ctx.const(left).T)
            if ctx.const(left) is not None
            else ctx.emit("transpose", [left], axes=(1, 0))
        )
    b = ctx.const(right)
    out = node.output[0] if bias is None else None
    if b is not None:
        weight = (b if a.get("transB", 0) else b.T).astype(np.float32) * alpha
        columns = weight.shape[0]
        c = None if bias is None else ctx.const(bias)
        per_column = c is not None and c.shape in ((), (1,), (columns,), (1, columns))
        inputs = [left, ctx.add_const(f"{right}_weight", weight)]
        if per_column:
            bias_value = np.broadcast_to(c.astype(np.float32).reshape(-1) * beta, (columns,))
            inputs.append(ctx.add_const(f"{bias}_bias", bias_value))
            out = node.output[0]
        value = ctx.emit("FullyConnected", inputs, out, num_hidden=columns,
                         no_bias=len(inputs) < 3)  # fmt: skip
        if per_column or bias is None:
            return
    else:
        if a.get("transB", 0):
            right = ctx.emit("transpose", [right], axes=(1, 0))
        value = ctx.emit("matmul", [left, right], out if alpha == 1.0 else None)
        value = _scaled(ctx, value, alpha, out)
        if bias is None:
            return
    ctx.emit("broadcast_add", [value, _scaled(ctx, bias, beta)], node.output[0])


def matmul(ctx: ImportContext, node, a: dict) -> None:
    b = ctx.const(node.input[1])
    if b is not None and b.ndim == 2 and len(ctx.shape(node.input[0])) >= 2:
        weight = ctx.add_const(f"{node.input[1]}_weight", b.T)
        ctx.emit("FullyConnected", [node.input[0], weight], node.output[0],
                 num_hidden=b.shape[1], no_bias=True, flatten=False)  # fmt: skip
        return
    ctx.emit("matmul", list(node.input[:2]), node.output[0])


def batch_norm(ctx: ImportContext, node, a: dict) -> None:
    missing = [n for n in node.input[1:5] if ctx.const(n) is None]
    if missing:
        raise ctx.fail(f"scale, bias, mean and variance must be constants; {missing} are not")
    ctx.emit("BatchNorm", list(node.input[:5]), node.output[0], fix_gamma=False,
             eps=a.get("epsilon", 1e-5))  # fmt: skip


def lrn(ctx: ImportContext, node, a: dict) -> None:
    ctx.emit("LRN", [node.input[0]], node.output[0], nsize=a["size"], alpha=a.get("alpha", 1e-4),
             beta=a.get("beta", 0.75), knorm=a.get("bias", 1.0))  # fmt: skip


HANDLERS = {
    "Conv": conv,
    **dict.fromkeys(("MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool"), pool),
    "Gemm": gemm,
    "MatMul": matmul,
    "BatchNormalization": batch_norm,
    "LRN": lrn,
}
