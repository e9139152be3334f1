"""Write a tilewise graph as an ONNX model, weights included; one exporter per op, keyed by
op name. An op without one is an error naming it, listed with every other before writing.

Needs the optional `onnx` package. Used by the peer comparison so that every runtime runs
identical weights.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tilewise.errors import TilewiseError, UnsupportedOpError
from tilewise.frontend.onnx_export_ops import EXPORTERS as MORE_EXPORTERS
from tilewise.ir.graph import Graph
from tilewise.ir.verify import infer_shapes, split_inputs

OPSET = 13
ACTIVATIONS = {"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh", "softrelu": "Softplus"}
# Ops the exporter refuses, with the reason (none today: every op exports).
NOT_EXPORTABLE: dict[str, str] = {}


def _onnx():
    try:
        import onnx
    except ImportError:
        raise TilewiseError("ONNX export needs the onnx package: pip install onnx") from None
    return onnx


@dataclass
class ExportContext:
    helper: object  # onnx.helper
    graph: Graph
    name: str
    attrs: dict
    data: list[str]
    params: list[str]
    out: str
    in_shape: tuple
    out_shape: tuple
    add_constant: Callable[[str, np.ndarray], str]  # (name, array) -> name

    def node(self, op: str, inputs: list[str], output: str | None = None, **attrs):
        """One ONNX node; the op's last node writes its output and carries its name, helper
        nodes are named after what they write."""
        name = self.name if output is None or output == self.out else output
        return self.helper.make_node(op, inputs, [output or self.out], name=name, **attrs)

    def constant(self, suffix: str, values, dtype=np.float32) -> str:
        return self.add_constant(f"{self.name}_{suffix}", np.asarray(values, dtype))


def _activation_nodes(c: ExportContext, kind: str, source: str, output: str) -> list:
    if kind in ACTIVATIONS:
        return [c.node(ACTIVATIONS[kind], [source], output)]
    if kind == "relu6":
        return [c.node("Clip", [source, c.constant("lo", 0.0), c.constant("hi", 6.0)], output)]
    if kind == "silu":
        gate = f"{c.name}_gate"
        return [c.node("Sigmoid", [source], gate), c.node("Mul", [source, gate], output)]
    if kind == "hard_swish":  # x * hard_sigmoid(x); HardSwish itself needs opset 14
        gate = f"{c.name}_gate"
        return [c.node("HardSigmoid", [source], gate, alpha=1 / 6, beta=0.5),
                c.node("Mul", [source, gate], output)]  # fmt: skip
    raise TilewiseError(f"node '{c.name}': activation '{kind}' has no ONNX exporter")


def _then_act(c: ExportContext, op: str, inputs: list[str], **attrs) -> list:
    """`op`, then the activation the fusion passes put into `act`, if any."""
    if not c.attrs.get("act"):
        return [c.node(op, inputs, **attrs)]
    raw = f"{c.name}_raw"
    return [c.node(op, inputs, raw, **attrs), *_activation_nodes(c, c.attrs["act"], raw, c.out)]


def _pads(attrs: dict) -> list[int]:
    begin = list(attrs["pad"])
    return begin + list(attrs["pad_end"] or begin)


def _convolution(c: ExportContext) -> list:
    return _then_act(c, "Conv", c.data + c.params, kernel_shape=list(c.attrs["kernel"]),
                     strides=list(c.attrs["stride"]), pads=_pads(c.attrs),
                     dilations=list(c.attrs["dilate"]), group=c.attrs["num_group"])  # fmt: skip


def _fully_connected(c: ExportContext) -> list:
    if not c.attrs["flatten"]:
        weight_t = c.constant("weight_t", c.graph.constants[c.params[0]].T)
        if len(c.params) == 1:
            return _then_act(c, "MatMul", [c.data[0], weight_t])
        product = f"{c.name}_product"
        return [c.node("MatMul", [c.data[0], weight_t], product),
                *_then_act(c, "Add", [product, c.params[1]])]  # fmt: skip
    flat = f"{c.name}_flat"
    return [c.node("Flatten", c.data, flat, axis=1),
            *_then_act(c, "Gemm", [flat, *c.params], transB=1)]  # fmt: skip


def _pooling(c: ExportContext) -> list:
    kind = "MaxPool" if c.attrs["pool_type"] == "max" else "AveragePool"
    if c.attrs["global_pool"]:
        return [c.node("Global" + kind, c.data)]
    extra = {} if kind == "MaxPool" else {"count_include_pad": int(c.attrs["count_include_pad"])}
    return [c.node(kind, c.data, kernel_shape=list(c.attrs["kernel"]),
                   strides=list(c.attrs["stride"]), pads=_pads(c.attrs),
                   ceil_mode=int(c.attrs["pooling_convention"] == "full"), **extra)]  # fmt: skip


def _batchnorm(c: ExportContext) -> list:
    params = c.params
    if c.attrs["fix_gamma"]:
        params = [c.constant("fixed_gamma", np.ones_like(c.graph.constants[params[0]])),
                  *params[1:]]  # fmt: skip
    return [c.node("BatchNormalization", c.data + params, epsilon=c.attrs["eps"])]


def _channel_vector(c: ExportContext, suffix: str, name: str) -> str:
    """A (C,) parameter as (C, 1, ..., 1), to broadcast over an N, C, ... tensor."""
    values = c.graph.constants[name]
    return c.constant(suffix, values.reshape(-1, *([1] * (len(c.in_shape) - 2))))


def _scale_shift(c: ExportContext) -> list:
    scaled = f"{c.name}_scaled"
    scale, shift = (
        _channel_vector(c, "scale", c.params[0]),
        _channel_vector(c, "shift", c.params[1]),
    )
    return [c.node("Mul", [c.data[0], scale], scaled), *_then_act(c, "Add", [scaled, shift])]


def _leaky_relu(c: ExportContext) -> list:
    kind = c.attrs["act_type"]
    if kind == "prelu":
        return [c.node("PRelu", [c.data[0], _channel_vector(c, "slope", c.params[0])])]
    return [c.node("LeakyRelu" if kind == "leaky" else "Elu", c.data, alpha=c.attrs["slope"])]


def _softmax_activation(c: ExportContext) -> list:
    if c.attrs["mode"] == "channel":
        return [c.node("Softmax", c.data, axis=1)]
    flat, probs = f"{c.name}_flat", f"{c.name}_probs"
    shape = c.constant("shape", [-1, *c.in_shape[1:]], np.int64)
    return [c.node("Flatten", c.data, flat, axis=1), c.node("Softmax", [flat], probs, axis=1),
            c.node("Reshape", [probs, shape])]  # fmt: skip


def _reshape(c: ExportContext) -> list:
    spec = c.attrs["shape"]
    if any(code < -1 for code in spec):  # -2 / -3 have no ONNX equivalent: the concrete shape
        target = [-1, *c.out_shape[1:]]
    else:
        target = list(spec)
    return [c.node("Reshape", [c.data[0], c.constant("shape", target, np.int64)])]


def _pad(c: ExportContext) -> list:
    pads = c.constant("pads", c.attrs["pad_width"], np.int64)
    value = c.constant("value", c.attrs["constant_value"])
    return [c.node("Pad", [c.data[0], pads, value], mode=c.attrs["mode"])]


def _reduce(onnx_op: str):
    def export(c: ExportContext) -> list:
        axes = list(c.attrs["axis"])
        keep = {"keepdims": int(c.attrs["keepdims"])}
        if onnx_op == "ReduceSum":  # axes are an input from opset 13
            inputs = c.data + ([c.constant("axes", axes, np.int64)] if axes else [])
            return [c.node(onnx_op, inputs, **keep)]
        return [c.node(onnx_op, c.data, **keep, **({"axes": axes} if axes else {}))]

    return export


def _simple(onnx_op: str, **fixed):
    return lambda c: [c.node(onnx_op, c.data, **fixed)]


EXPORTERS: dict[str, Callable[[ExportContext], list]] = {
    "Convolution": _convolution,
    "FullyConnected": _fully_connected,
    "Pooling": _pooling,
    "Activation": lambda c: _activation_nodes(c, c.attrs["act_type"], c.data[0], c.out),
    "BatchNorm": _batchnorm,
    "ScaleShift": _scale_shift,
    "LRN": lambda c: [
        c.node(
            "LRN",
            c.data,
            size=c.attrs["nsize"],
            alpha=c.attrs["alpha"],
            beta=c.attrs["beta"],
            bias=c.attrs["knorm"],
        )
    ],  # fmt: skip
    "elemwise_add": lambda c: _then_act(c, "Add", c.data),
    "Flatten": _simple("Flatten", axis=1),
    "Dropout": _simple("Identity"),
    "_copy": _simple("Identity"),
    "SoftmaxOutput": _simple("Softmax", axis=1),
    "softmax": lambda c: [c.node("Softmax", c.data, axis=c.attrs["axis"])],
    "SoftmaxActivation": _softmax_activation,
    "LeakyReLU": _leaky_relu,
    "clip": lambda c: [
        c.node(
            "Clip",
            [c.data[0], c.constant("lo", c.attrs["a_min"]), c.constant("hi", c.attrs["a_max"])],
        )
    ],  # fmt: skip
    "Reshape": _reshape,
    "broadcast_add": _simple("Add"),
    "broadcast_sub": _simple("Sub"),
    "broadcast_mul": _simple("Mul"),
    "broadcast_div": _simple("Div"),
    "broadcast_prelu": _simple("PRelu"),
    "matmul": _simple("MatMul"),
    "transpose": lambda c: [
        c.node("Transpose", c.data, **({"perm": list(c.attrs["axes"])} if c.attrs["axes"] else {}))
    ],  # fmt: skip
    "Pad": _pad,
    "mean": _reduce("ReduceMean"),
    "max": _reduce("ReduceMax"),
    "sum": _reduce("ReduceSum"),
    "log_softmax": lambda c: [c.node("LogSoftmax", c.data, axis=c.attrs["axis"])],
    "hard_sigmoid": lambda c: [
        c.node("HardSigmoid", c.data, alpha=c.attrs["alpha"], beta=c.attrs["beta"])
    ],  # fmt: skip
    "Concat": lambda c: [c.node("Concat", c.data, axis=c.attrs["dim"])],
}

EXPORTERS.update(MORE_EXPORTERS)


def export_onnx(graph: Graph, path: str, batch_size: int | None = None) -> None:
    """Write `graph` to `path`; the batch dimension is symbolic unless `batch_size` is given."""
    missing = [(n.op, n.name) for n in graph.nodes if n.op not in EXPORTERS]
    if missing:
        raise UnsupportedOpError(missing, source="ONNX export")
    onnx = _onnx()
    helper, numpy_helper = onnx.helper, onnx.numpy_helper
    shapes = infer_shapes(graph, 1)
    initializers = {name: numpy_helper.from_array(np.asarray(a, np.float32), name)
                    for name, a in graph.constants.items()}  # fmt: skip

    def add_constant(name: str, array: np.ndarray) -> str:
        initializers[name] = numpy_helper.from_array(array, name)
        return name

    nodes = []
    for node in graph.nodes:
        attrs = node.typed
        data, params = split_inputs(node, attrs)
        in_shape = shapes[data[0]] if data[0] in shapes else graph.constants[data[0]].shape
        context = ExportContext(helper, graph, node.name, attrs, data, params, node.output,
                                tuple(in_shape), shapes[node.output], add_constant)  # fmt: skip
        nodes += EXPORTERS[node.op](context)
    used = {i for n in nodes for i in n.input}
    batch = batch_size if batch_size else "batch"
    inputs = [helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, [batch, *shape])
              for name, shape in graph.inputs.items()]  # fmt: skip
    outputs = [helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT,
                                             [batch, *shapes[name][1:]])
               for name in graph.outputs]  # fmt: skip
    body = helper.make_graph(nodes, graph.name, inputs, outputs,
                             [t for n, t in initializers.items() if n in used])  # fmt: skip
    model = helper.make_model(body, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="tilewise")  # fmt: skip
    onnx.checker.check_model(model)
    onnx.save(model, path)
