"""ONNX file to a tilewise graph (first slice of ONNX loading: the CNN operators).

Each ONNX op has a small handler that emits tilewise nodes; constants (initializers and
Constant nodes) become graph constants. Every unsupported (op, node) is listed at once.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tilewise.errors import GraphError, TilewiseError, UnsupportedOpError
from tilewise.ir.graph import Graph, Node

ACTIVATIONS = {"Relu": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh", "Softplus": "softrelu"}


class _Context:
    def __init__(self, graph: Graph, source: str) -> None:
        self.graph = graph
        self.source = source

    def const(self, name: str) -> np.ndarray | None:
        return self.graph.constants.get(name)

    def add_const(self, name: str, value: np.ndarray) -> str:
        self.graph.constants[name] = np.ascontiguousarray(value, np.float32)
        return name

    def emit(self, name: str, op: str, inputs: list[str], output: str, **attrs) -> None:
        self.graph.nodes.append(Node(name, op, inputs, attrs, output))

    def fail(self, node, message: str) -> GraphError:
        return GraphError(node.name or node.output[0], node.op_type, [], message)


def _symmetric(ctx: _Context, node, pads: list[int]) -> tuple[int, int]:
    if len(pads) != 4 or pads[0] != pads[2] or pads[1] != pads[3]:
        raise ctx.fail(node, f"attribute 'pads' = {pads}: only symmetric 2-D padding is supported")
    return pads[0], pads[1]


def _auto_pad(ctx, node, attrs, kernel, strides, dilations) -> list[int]:
    mode = attrs.get("auto_pad", b"NOTSET")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    if mode in ("NOTSET", ""):
        return list(attrs.get("pads", [0, 0, 0, 0]))
    if mode == "VALID":
        return [0, 0, 0, 0]
    # SAME_UPPER / SAME_LOWER: total padding k_eff - s when the input divides; the input
    # size is unknown here, so this is exact only for stride 1
    if any(s != 1 for s in strides):
        raise ctx.fail(node, f"auto_pad {mode} with strides {strides} is not supported")
    total = [d * (k - 1) for k, d in zip(kernel, dilations, strict=True)]
    first = [t // 2 if mode == "SAME_UPPER" else t - t // 2 for t in total]
    return [first[0], first[1], total[0] - first[0], total[1] - first[1]]


def _conv(ctx, node, a):
    weight = ctx.const(node.input[1])
    if weight is None:
        raise ctx.fail(node, "the weight must be a constant")
    kernel = list(a.get("kernel_shape", weight.shape[2:]))
    strides, dilations = list(a.get("strides", [1, 1])), list(a.get("dilations", [1, 1]))
    pads = _symmetric(ctx, node, _auto_pad(ctx, node, a, kernel, strides, dilations))
    inputs = list(node.input[:3])
    ctx.emit(node.name, "Convolution", inputs, node.output[0], kernel=tuple(kernel),
             stride=tuple(strides), dilate=tuple(dilations), pad=pads,
             num_filter=int(weight.shape[0]), num_group=int(a.get("group", 1)),
             no_bias=len(inputs) < 3)  # fmt: skip


def _pool(ctx, node, a):
    kind = "max" if node.op_type.endswith("MaxPool") else "avg"
    if node.op_type.startswith("Global"):
        ctx.emit(node.name, "Pooling", [node.input[0]], node.output[0], pool_type=kind,
                 global_pool=True)  # fmt: skip
        return
    kernel = list(a["kernel_shape"])
    strides = list(a.get("strides", [1, 1]))
    if list(a.get("dilations", [1, 1])) != [1, 1]:
        raise ctx.fail(node, f"attribute 'dilations' = {a['dilations']} is not supported")
    pads = _symmetric(ctx, node, _auto_pad(ctx, node, a, kernel, strides, [1, 1]))
    ctx.emit(node.name, "Pooling", [node.input[0]], node.output[0], pool_type=kind,
             kernel=tuple(kernel), stride=tuple(strides), pad=pads,
             pooling_convention="full" if a.get("ceil_mode", 0) else "valid",
             count_include_pad=bool(a.get("count_include_pad", 0)))  # fmt: skip


def _gemm(ctx, node, a):
    b = ctx.const(node.input[1])
    if b is None or a.get("transA", 0):
        raise ctx.fail(node, "B must be a constant and transA 0")
    weight = b if a.get("transB", 0) else b.T
    weight = weight * a.get("alpha", 1.0)
    inputs = [node.input[0], ctx.add_const(f"{node.name}_weight", weight)]
    if len(node.input) > 2 and node.input[2]:
        bias = np.broadcast_to(ctx.const(node.input[2]) * a.get("beta", 1.0), (weight.shape[0],))
        inputs.append(ctx.add_const(f"{node.name}_bias", bias))
    ctx.emit(node.name, "FullyConnected", inputs, node.output[0], num_hidden=weight.shape[0],
             no_bias=len(inputs) < 3)  # fmt: skip


def _matmul(ctx, node, a):
    b = ctx.const(node.input[1])
    if b is None or b.ndim != 2:
        raise ctx.fail(node, "only a value times a 2-D constant is supported")
    weight = ctx.add_const(f"{node.name}_weight", b.T)
    ctx.emit(node.name, "FullyConnected", [node.input[0], weight], node.output[0],
             num_hidden=b.shape[1], no_bias=True, flatten=False)  # fmt: skip


def _binary(ctx, node, a):
    left, right = node.input[0], node.input[1]
    op = node.op_type
    if op in ("Sub", "Div"):
        constant = ctx.const(right)
        if constant is None:
            raise ctx.fail(node, f"{op} needs a constant second input")
        right = ctx.add_const(f"{node.name}_operand", -constant if op == "Sub" else 1 / constant)
        op = "Add" if op == "Sub" else "Mul"
    name = "broadcast_add" if op == "Add" else "broadcast_mul"
    if op == "Add" and ctx.const(left) is None and ctx.const(right) is None:
        name = "elemwise_add"  # both values: the residual add (shapes checked later)
    ctx.emit(node.name, name, [left, right], node.output[0])


def _simple(ctx, node, a):
    op, out = node.op_type, node.output[0]
    if op in ACTIVATIONS:
        ctx.emit(node.name, "Activation", [node.input[0]], out, act_type=ACTIVATIONS[op])
    elif op == "LeakyRelu":
        ctx.emit(node.name, "LeakyReLU", [node.input[0]], out, act_type="leaky",
                 slope=a.get("alpha", 0.01))  # fmt: skip
    elif op == "PRelu":
        slope = ctx.add_const(f"{node.name}_slope", ctx.const(node.input[1]).reshape(-1))
        ctx.emit(node.name, "LeakyReLU", [node.input[0], slope], out, act_type="prelu")
    elif op == "Clip":
        low = a.get("min", ctx.const(node.input[1]) if len(node.input) > 1 and node.input[1]
                    else -np.inf)  # fmt: skip
        high = a.get("max", ctx.const(node.input[2]) if len(node.input) > 2 and node.input[2]
                     else np.inf)  # fmt: skip
        ctx.emit(node.name, "clip", [node.input[0]], out, a_min=float(low), a_max=float(high))
    elif op == "BatchNormalization":
        ctx.emit(node.name, "BatchNorm", list(node.input[:5]), out, fix_gamma=False,
                 eps=a.get("epsilon", 1e-5))  # fmt: skip
    elif op == "LRN":
        lrn = {"alpha": a.get("alpha", 1e-4), "beta": a.get("beta", 0.75)}
        ctx.emit(node.name, "LRN", [node.input[0]], out, nsize=a["size"],
                 knorm=a.get("bias", 1.0), **lrn)  # fmt: skip
    elif op == "Concat":
        if a.get("axis") != 1:
            raise ctx.fail(node, f"attribute 'axis' = {a.get('axis')}: only 1 is supported")
        ctx.emit(node.name, "Concat", list(node.input), out, num_args=len(node.input))
    elif op == "Flatten":
        if a.get("axis", 1) != 1:
            raise ctx.fail(node, f"attribute 'axis' = {a['axis']}: only 1 is supported")
        ctx.emit(node.name, "Flatten", [node.input[0]], out)
    elif op == "Reshape":
        shape = ctx.const(node.input[1])
        if shape is None:
            raise ctx.fail(node, "the shape must be a constant")
        ctx.emit(node.name, "Reshape", [node.input[0]], out,
                 shape=tuple(int(s) for s in shape))  # fmt: skip
    elif op == "Softmax":
        ctx.emit(node.name, "softmax", [node.input[0]], out, axis=a.get("axis", -1))
    elif op in ("Dropout", "Identity"):
        ctx.emit(node.name, "_copy", [node.input[0]], out)


HANDLERS: dict[str, Callable] = {
    "Conv": _conv,
    **dict.fromkeys(("MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool"), _pool),
    "Gemm": _gemm,
    "MatMul": _matmul,
    **dict.fromkeys(("Add", "Sub", "Mul", "Div"), _binary),
    **dict.fromkeys(
        (
            *ACTIVATIONS,
            "LeakyRelu",
            "PRelu",
            "Clip",
            "BatchNormalization",
            "LRN",
            "Concat",
            "Flatten",
            "Reshape",
            "Softmax",
            "Dropout",
            "Identity",
        ),
        _simple,
    ),  # fmt: skip
}


def onnx_to_graph(path: str, input_shape: tuple[int, ...] | None = None) -> Graph:
    """Read `path` with the onnx package; the batch dimension stays free."""
    try:
        import onnx
        from onnx import numpy_helper
    except ImportError:
        raise TilewiseError("loading ONNX needs the onnx package: pip install onnx") from None
    try:
        model = onnx.load(path)
    except FileNotFoundError:
        raise TilewiseError(f"{path}: no such file") from None
    except Exception as error:  # onnx raises protobuf DecodeError and others
        raise TilewiseError(f"{path}: not a readable ONNX model ({type(error).__name__})") from None
    body = model.graph
    if not body.node:
        raise TilewiseError(f"{path}: the model has no nodes (empty or truncated file)")
    unsupported = [(n.op_type, n.name or n.output[0]) for n in body.node
                   if n.op_type not in HANDLERS and n.op_type != "Constant"]  # fmt: skip
    if unsupported:
        raise UnsupportedOpError(unsupported, source=path)
    initialized = {t.name for t in body.initializer}
    inputs = [i for i in body.input if i.name not in initialized]
    if len(inputs) != 1 or len(body.output) != 1:
        raise TilewiseError(f"{path}: one input and one output are supported, got "
                            f"{len(inputs)} and {len(body.output)}")  # fmt: skip
    dims = [d.dim_value if d.HasField("dim_value") else None
            for d in inputs[0].type.tensor_type.shape.dim]  # fmt: skip
    shape = tuple(input_shape) if input_shape else tuple(dims[1:])
    if not shape or any(d is None for d in shape):
        raise TilewiseError(f"{path}: input '{inputs[0].name}' has shape {dims}; give "
                            "input_shape= for the dimensions after the batch")  # fmt: skip
    graph = Graph(path.rsplit("/", 1)[-1], inputs[0].name, shape)
    for tensor in body.initializer:
        graph.constants[tensor.name] = numpy_helper.to_array(tensor).astype(np.float32)
    ctx = _Context(graph, path)
    for node in body.node:
        if node.op_type == "Constant":
            value = next(a for a in node.attribute if a.name == "value")
            graph.constants[node.output[0]] = numpy_helper.to_array(value.t).astype(np.float32)
            continue
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        if not node.name:
            node.name = node.output[0]
        HANDLERS[node.op_type](ctx, node, attrs)
    graph.output_name = body.output[0].name
    used = {i for n in graph.nodes for i in n.inputs}
    graph.constants = {k: v for k, v in graph.constants.items() if k in used}
    return graph
