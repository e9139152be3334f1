"""ONNX comparison, selection, rearranging, ranking and normalisation ops as tilewise
nodes (what detection and segmentation heads use after their convolutions)."""

from __future__ import annotations

import numpy as np

from tilewise.frontend.onnx_context import ImportContext

COMPARISONS = {"Equal": "equal", "Greater": "greater", "Less": "less",
               "GreaterOrEqual": "greater_equal", "LessOrEqual": "less_equal"}  # fmt: skip
VARIADIC = {"Max": "broadcast_maximum", "Min": "broadcast_minimum", "Mean": "broadcast_add"}


def _text(value, default: str) -> str:
    value = default if value is None else value
    return value.decode() if isinstance(value, bytes) else str(value)


def _constant_ints(ctx: ImportContext, node, index: int, what: str) -> list[int]:
    value = ctx.constant_input(node, index, what)
    if value is None:
        raise ctx.fail(f"{what} (input {index}) is missing")
    return [int(v) for v in value.reshape(-1)]


def compare(ctx: ImportContext, node, a: dict) -> None:
    ctx.emit("compare", list(node.input[:2]), node.output[0],
             function=COMPARISONS[node.op_type])  # fmt: skip


def logical_not(ctx: ImportContext, node, a: dict) -> None:
    ctx.emit("unary", [node.input[0]], node.output[0], function="not")


def where(ctx: ImportContext, node, a: dict) -> None:
    ctx.emit("where", list(node.input[:3]), node.output[0])


def variadic(ctx: ImportContext, node, a: dict) -> None:
    """Max, Min and Mean of any number of inputs: a chain of pairs (Mean then scaled)."""
    inputs = [n for n in node.input if n]
    mean = node.op_type == "Mean" and len(inputs) > 1
    if len(inputs) == 1:
        ctx.emit("_copy", inputs, node.output[0])
        return
    total = inputs[0]
    for i, name in enumerate(inputs[1:], start=2):
        last = i == len(inputs) and not mean
        total = ctx.emit(VARIADIC[node.op_type], [total, name], node.output[0] if last else None)
    if mean:
        share = ctx.add_const("mean_share", np.array(1.0 / len(inputs), np.float32))
        ctx.emit("broadcast_mul", [total, share], node.output[0])


def expand(ctx: ImportContext, node, a: dict) -> None:
    shape = ctx.shape(node.input[0])
    given = tuple(_constant_ints(ctx, node, 1, "shape"))
    rank = max(len(shape), len(given))
    left = (1,) * (rank - len(shape)) + tuple(shape)
    right = (1,) * (rank - len(given)) + given
    if any(x != y and 1 not in (x, y) for x, y in zip(left, right, strict=True)):
        raise ctx.fail(f"shape {list(given)} does not broadcast with the input {shape}")
    target = tuple(max(x, y) for x, y in zip(left, right, strict=True))
    if target == tuple(shape):
        ctx.emit("_copy", [node.input[0]], node.output[0])
    else:
        ctx.emit("broadcast_to", [node.input[0]], node.output[0], shape=target)


def tile(ctx: ImportContext, node, a: dict) -> None:
    reps = _constant_ints(ctx, node, 1, "repeats")
    ctx.emit("tile", [node.input[0]], node.output[0], reps=tuple(reps))


def gelu(ctx: ImportContext, node, a: dict) -> None:
    exact = _text(a.get("approximate"), "none") == "none"
    ctx.emit("unary", [node.input[0]], node.output[0], function="gelu" if exact else "gelu_tanh")


def depth_to_space(ctx: ImportContext, node, a: dict) -> None:
    op = "space_to_depth" if node.op_type == "SpaceToDepth" else "depth_to_space"
    ctx.emit(op, [node.input[0]], node.output[0], block=a["blocksize"],
             mode=_text(a.get("mode"), "DCR"))  # fmt: skip


def arg_reduce(ctx: ImportContext, node, a: dict) -> None:
    ctx.emit("arg_reduce", [node.input[0]], node.output[0],
             function="max" if node.op_type == "ArgMax" else "min", axis=a.get("axis", 0),
             keepdims=bool(a.get("keepdims", 1)),
             select_last_index=bool(a.get("select_last_index", 0)))  # fmt: skip


def topk(ctx: ImportContext, node, a: dict) -> None:
    """Each used output is its own node (values, indices), both from the same stable sort."""
    k = a["k"] if "k" in a else _constant_ints(ctx, node, 1, "K")[0]
    for output, kind in zip(node.output, ("values", "indices"), strict=False):
        if output:
            ctx.emit("topk", [node.input[0]], output, k=int(k), axis=a.get("axis", -1),
                     largest=bool(a.get("largest", 1)), part=kind)  # fmt: skip


def layer_norm(ctx: ImportContext, node, a: dict) -> None:
    operands = [n for n in node.input[:3] if n]
    ctx.emit("layer_norm", operands, node.output[0], axis=a.get("axis", -1),
             eps=a.get("epsilon", 1e-5))  # fmt: skip


def instance_norm(ctx: ImportContext, node, a: dict) -> None:
    missing = [n for n in node.input[1:3] if ctx.const(n) is None]
    if missing:
        raise ctx.fail(f"scale and bias must be constants; {missing} are not")
    ctx.emit("instance_norm", list(node.input[:3]), node.output[0], eps=a.get("epsilon", 1e-5))


HANDLERS = {
    **dict.fromkeys(COMPARISONS, compare),
    "Not": logical_not,
    "Where": where,
    **dict.fromkeys(VARIADIC, variadic),
    "Expand": expand,
    "Tile": tile,
    "Gelu": gelu,
    "DepthToSpace": depth_to_space,
    "SpaceToDepth": depth_to_space,
    "ArgMax": arg_reduce,
    "ArgMin": arg_reduce,
    "TopK": topk,
    "LayerNormalization": layer_norm,
    "InstanceNormalization": instance_norm,
}
