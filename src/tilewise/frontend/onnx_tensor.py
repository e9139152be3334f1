"""ONNX elementwise, activation and shape ops as tilewise nodes.

Shapes are concrete at import (one import per batch size), so Reshape, Flatten, Squeeze
and Unsqueeze all become a Reshape to an explicit shape: a view, no copy.
"""

from __future__ import annotations

import math

import numpy as np

from tilewise.frontend.onnx_context import ImportContext

ACTIVATIONS = {
    "Relu": "relu",
    "Sigmoid": "sigmoid",
    "Tanh": "tanh",
    "Softplus": "softrelu",
    "HardSwish": "hard_swish",
}
UNARY = {"Sqrt": "sqrt", "Exp": "exp", "Log": "log", "Reciprocal": "reciprocal",
         "Neg": "neg", "Abs": "abs", "Erf": "erf"}  # fmt: skip
BINARY = {"Add": "broadcast_add", "Sub": "broadcast_sub", "Mul": "broadcast_mul",
          "Div": "broadcast_div", "Pow": "broadcast_pow"}  # fmt: skip


def unary(ctx: ImportContext, node, a: dict) -> None:
    ctx.emit("unary", [node.input[0]], node.output[0], function=UNARY[node.op_type])


def _optional(node, index: int) -> str:
    return node.input[index] if len(node.input) > index else ""


def _axes(ctx: ImportContext, node, a: dict, index: int = 1) -> list[int] | None:
    """Axes from the attribute (older opsets) or a constant input (newer)."""
    if "axes" in a:
        return list(a["axes"])
    return _ints(ctx, node, index, "axes")


def _reshape_to(ctx: ImportContext, node, shape) -> None:
    ctx.emit("Reshape", [node.input[0]], node.output[0], shape=tuple(int(d) for d in shape))


def activation(ctx: ImportContext, node, a: dict) -> None:
    x, out, op = node.input[0], node.output[0], node.op_type
    if op in ACTIVATIONS:
        ctx.emit("Activation", [x], out, act_type=ACTIVATIONS[op])
    elif op == "LeakyRelu":
        ctx.emit("LeakyReLU", [x], out, act_type="leaky", slope=a.get("alpha", 0.01))
    elif op == "HardSigmoid":
        ctx.emit("hard_sigmoid", [x], out, alpha=a.get("alpha", 0.2), beta=a.get("beta", 0.5))
    elif op == "PRelu":
        prelu(ctx, node)
    elif op == "Clip":
        clip(ctx, node, a)


def prelu(ctx: ImportContext, node) -> None:
    x, slope_name = node.input[0], node.input[1]
    shape, slope = ctx.shape(x), ctx.const(slope_name)
    if slope is not None and len(shape) >= 2 and slope.ndim <= len(shape):
        aligned = (1,) * (len(shape) - slope.ndim) + slope.shape
        if all(d == 1 for i, d in enumerate(aligned) if i != 1):  # one slope per channel
            channel = np.broadcast_to(slope.reshape(-1).astype(np.float32), (shape[1],))
            ctx.emit("LeakyReLU", [x, ctx.add_const(f"{slope_name}_c", channel)],
                     node.output[0], act_type="prelu")  # fmt: skip
            return
    ctx.emit("broadcast_prelu", [x, slope_name], node.output[0])


def clip(ctx: ImportContext, node, a: dict) -> None:
    bounds = []
    for index, key, default in ((1, "min", -np.inf), (2, "max", np.inf)):
        name = _optional(node, index)
        if key in a:
            bounds.append(float(a[key]))
        elif name:
            if ctx.const(name) is None:
                raise ctx.fail(f"'{key}' (input {index}) must be a constant")
            bounds.append(float(ctx.const(name)))
        else:
            bounds.append(default)
    if bounds == [0.0, 6.0]:  # ReLU6: fuses into the producer like any activation
        ctx.emit("Activation", [node.input[0]], node.output[0], act_type="relu6")
    else:
        ctx.emit("clip", [node.input[0]], node.output[0], a_min=bounds[0], a_max=bounds[1])


def binary(ctx: ImportContext, node, a: dict) -> None:
    left, right = node.input[0], node.input[1]
    both_values = ctx.const(left) is None and ctx.const(right) is None
    if node.op_type == "Add" and both_values and ctx.shape(left) == ctx.shape(right):
        ctx.emit("elemwise_add", [left, right], node.output[0])  # the residual add
    else:
        ctx.emit(BINARY[node.op_type], [left, right], node.output[0])


def add_all(ctx: ImportContext, node, a: dict) -> None:
    """Sum of any number of inputs: a chain of adds."""
    inputs = [n for n in node.input if n]
    if len(inputs) == 1:
        ctx.emit("_copy", inputs, node.output[0])
        return
    total = inputs[0]
    for i, name in enumerate(inputs[1:], start=2):
        out = node.output[0] if i == len(inputs) else None
        values = ctx.const(total) is None and ctx.const(name) is None
        same = values and ctx.shape(total) == ctx.shape(name)
        total = ctx.emit("elemwise_add" if same else "broadcast_add", [total, name], out)


def concat(ctx: ImportContext, node, a: dict) -> None:
    inputs = [n for n in node.input if n]
    ctx.emit("Concat", inputs, node.output[0], num_args=len(inputs), dim=a["axis"])


def flatten(ctx: ImportContext, node, a: dict) -> None:
    shape = ctx.shape(node.input[0])
    axis = a.get("axis", 1)
    axis = axis + len(shape) if axis < 0 else axis
    _reshape_to(ctx, node, (math.prod(shape[:axis]), math.prod(shape[axis:])))


def reshape(ctx: ImportContext, node, a: dict) -> None:
    spec = ctx.const(node.input[1])
    if spec is None:
        raise ctx.fail("the target shape (input 1) must be a constant or fold to one")
    shape = ctx.shape(node.input[0])
    target = [int(d) for d in spec.reshape(-1)]
    if not a.get("allowzero", 0):
        target = [shape[i] if d == 0 else d for i, d in enumerate(target)]
    if target.count(-1) == 1:
        known = math.prod(d for d in target if d != -1)
        target[target.index(-1)] = math.prod(shape) // known if known else 0
    if math.prod(target) != math.prod(shape) or min(target, default=0) < 0:
        raise ctx.fail(f"cannot reshape {shape} to {[int(d) for d in spec.reshape(-1)]}")
    _reshape_to(ctx, node, target)


def squeeze(ctx: ImportContext, node, a: dict) -> None:
    shape = ctx.shape(node.input[0])
    axes = _axes(ctx, node, a)
    if axes is None:
        axes = [i for i, d in enumerate(shape) if d == 1]
    axes = [i % len(shape) for i in axes]
    if any(shape[i] != 1 for i in axes):
        raise ctx.fail(f"axes {axes} of shape {shape} are not all 1")
    _reshape_to(ctx, node, [d for i, d in enumerate(shape) if i not in axes])


def unsqueeze(ctx: ImportContext, node, a: dict) -> None:
    shape = list(ctx.shape(node.input[0]))
    axes = _axes(ctx, node, a)
    rank = len(shape) + len(axes)
    for axis in sorted(i % rank for i in axes):
        shape.insert(axis, 1)
    _reshape_to(ctx, node, shape)


def transpose(ctx: ImportContext, node, a: dict) -> None:
    rank = len(ctx.shape(node.input[0]))
    axes = tuple(a.get("perm", reversed(range(rank))))
    ctx.emit("transpose", [node.input[0]], node.output[0], axes=axes)


def pad(ctx: ImportContext, node, a: dict) -> None:
    rank = len(ctx.shape(node.input[0]))
    if ctx.opset < 11:
        pads, value = list(a["pads"]), a.get("value", 0.0)
    else:
        if ctx.const(node.input[1]) is None:
            raise ctx.fail("pads (input 1) must be a constant or fold to one")
        pads = [int(p) for p in ctx.const(node.input[1]).reshape(-1)]
        given = ctx.const(_optional(node, 2))
        value = 0.0 if given is None or given.size == 0 else float(given.reshape(-1)[0])
        axes = _axes(ctx, node, {}, 3)
        if axes is not None:  # opset 18: pads for the listed axes only
            full = [0] * 2 * rank
            for j, axis in enumerate(axes):
                full[axis % rank], full[axis % rank + rank] = pads[j], pads[j + len(axes)]
            pads = full
    mode = a.get("mode", b"constant")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    if not any(pads):
        ctx.emit("_copy", [node.input[0]], node.output[0])
    else:
        ctx.emit("Pad", [node.input[0]], node.output[0], pad_width=tuple(pads),
                 constant_value=value, mode=mode)  # fmt: skip


def softmax(ctx: ImportContext, node, a: dict) -> None:
    """Opset 13 works on one axis; older opsets on the input coerced to 2-D at `axis`."""
    op = "softmax" if node.op_type == "Softmax" else "log_softmax"
    shape = ctx.shape(node.input[0])
    axis = a.get("axis", -1 if ctx.opset >= 13 else 1) % len(shape)
    if ctx.opset >= 13 or axis == len(shape) - 1:
        ctx.emit(op, [node.input[0]], node.output[0], axis=axis)
        return
    rows = ctx.emit("Reshape", [node.input[0]],
                    shape=(math.prod(shape[:axis]), math.prod(shape[axis:])))  # fmt: skip
    value = ctx.emit(op, [rows], axis=1)
    ctx.emit("Reshape", [value], node.output[0], shape=shape)


REDUCTIONS = {"ReduceMean": "mean", "ReduceMax": "max", "ReduceSum": "sum"}


def reduce(ctx: ImportContext, node, a: dict) -> None:
    """Axes from the attribute, or (ReduceSum 13+, all others 18+) a constant input."""
    axes = _axes(ctx, node, a)
    if not axes and a.get("noop_with_empty_axes", 0):
        ctx.emit("_copy", [node.input[0]], node.output[0])
        return
    ctx.emit(REDUCTIONS[node.op_type], [node.input[0]], node.output[0], axis=tuple(axes or ()),
             keepdims=bool(a.get("keepdims", 1)))  # fmt: skip


def _ints(ctx: ImportContext, node, index: int, what: str) -> list[int] | None:
    value = ctx.constant_input(node, index, what)
    return None if value is None else [int(v) for v in value.reshape(-1)]


def _emit_slice(ctx: ImportContext, x: str, out: str, bounds: dict[int, tuple]) -> None:
    """`bounds`: axis -> (start, end, step) as ONNX gives them (clamped like Python's)."""
    shape = ctx.shape(x)
    begin, end, step = [0] * len(shape), list(shape), [1] * len(shape)
    for axis, (b, e, s) in bounds.items():
        begin[axis], end[axis], step[axis] = slice(b, e, s).indices(shape[axis])
    if (begin, end, step) == ([0] * len(shape), list(shape), [1] * len(shape)):
        ctx.emit("_copy", [x], out)
    else:
        ctx.emit("slice", [x], out, begin=tuple(begin), end=tuple(end), step=tuple(step))


def slice_(ctx: ImportContext, node, a: dict) -> None:
    rank = len(ctx.shape(node.input[0]))
    if ctx.opset < 10:
        starts, ends, axes, steps = list(a["starts"]), list(a["ends"]), a.get("axes"), None
    else:
        starts, ends = _ints(ctx, node, 1, "starts"), _ints(ctx, node, 2, "ends")
        axes, steps = _ints(ctx, node, 3, "axes"), _ints(ctx, node, 4, "steps")
    axes = list(range(len(starts))) if axes is None else list(axes)
    steps = steps or [1] * len(starts)
    if not len(starts) == len(ends) == len(axes) == len(steps):
        raise ctx.fail(f"starts {starts}, ends {ends}, axes {axes} and steps {steps} "
                       "differ in length")  # fmt: skip
    bounds = {}
    for axis, b, e, s in zip(axes, starts, ends, steps, strict=True):
        if not -rank <= axis < rank or s == 0:
            raise ctx.fail(f"axis {axis} (rank {rank}) or step {s} is invalid")
        bounds[axis % rank] = (b, e, s)
    _emit_slice(ctx, node.input[0], node.output[0], bounds)


def split(ctx: ImportContext, node, a: dict) -> None:
    """Each output is a slice of the input."""
    shape = ctx.shape(node.input[0])
    axis = a.get("axis", 0)
    if not -len(shape) <= axis < len(shape):
        raise ctx.fail(f"axis {axis} is out of range for rank {len(shape)}")
    axis %= len(shape)
    parts, size = len(node.output), shape[axis]
    sizes = list(a["split"]) if "split" in a else _ints(ctx, node, 1, "split")
    if sizes is None:  # equal parts; opset 18's num_outputs makes the last one smaller
        chunk = -(-size // parts)
        sizes = [min(chunk, size - i * chunk) for i in range(parts)]
    if len(sizes) != parts or sum(sizes) != size or min(sizes) < 1:
        raise ctx.fail(f"split {sizes} does not cut axis {axis} of size {size} into "
                       f"{parts} non-empty parts")  # fmt: skip
    start = 0
    for out, length in zip(node.output, sizes, strict=True):
        if out:
            _emit_slice(ctx, node.input[0], out, {axis: (start, start + length, 1)})
        start += length


def gather(ctx: ImportContext, node, a: dict) -> None:
    shape = ctx.shape(node.input[0])
    indices = ctx.const(node.input[1])
    if indices is None:
        raise ctx.fail("indices (input 1) must be a constant or fold to one")
    axis = a.get("axis", 0)
    if not -len(shape) <= axis < len(shape):
        raise ctx.fail(f"axis {axis} is out of range for rank {len(shape)}")
    axis %= len(shape)
    flat = [int(i) for i in indices.reshape(-1)]
    if any(not -shape[axis] <= i < shape[axis] for i in flat):
        raise ctx.fail(f"indices {flat} are out of range for axis {axis} of size {shape[axis]}")
    ctx.emit("gather", [node.input[0]], node.output[0], axis=axis,
             indices=tuple(i % shape[axis] for i in flat),
             indices_shape=tuple(int(d) for d in indices.shape))  # fmt: skip


def copy(ctx: ImportContext, node, a: dict) -> None:
    ctx.emit("_copy", [node.input[0]], node.output[0])


HANDLERS = {
    **dict.fromkeys((*ACTIVATIONS, "LeakyRelu", "HardSigmoid", "PRelu", "Clip"), activation),
    **dict.fromkeys(BINARY, binary),
    **dict.fromkeys(UNARY, unary),
    "Sum": add_all,
    "Concat": concat,
    "Flatten": flatten,
    "Reshape": reshape,
    "Squeeze": squeeze,
    "Unsqueeze": unsqueeze,
    "Transpose": transpose,
    "Pad": pad,
    "Slice": slice_,
    "Split": split,
    "Gather": gather,
    "Softmax": softmax,
    "LogSoftmax": softmax,
    **dict.fromkeys(REDUCTIONS, reduce),
    **dict.fromkeys(("Dropout", "Identity", "Cast"), copy),
}
