"""Write a tilewise graph (as built, before passes) as an ONNX model, weights included.

Needs the optional `onnx` package. Used by the peer comparison so that every runtime runs
identical weights.
"""

from __future__ import annotations

import numpy as np

from tilewise.errors import TilewiseError, UnsupportedOpError
from tilewise.ir.graph import Graph
from tilewise.ir.verify import infer_shapes, split_inputs

OPSET = 13
ACTIVATIONS = {"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh", "softrelu": "Softplus"}


def _onnx():
    try:
        import onnx
    except ImportError:
        raise TilewiseError("ONNX export needs the onnx package: pip install onnx") from None
    return onnx


def _node(helper, graph, node, shapes, add_constant) -> list:
    attrs = node.typed
    data, params = split_inputs(node, attrs)
    out = node.output
    op = node.op
    if op == "Convolution":
        kh, kw = attrs["kernel"]
        ph, pw = attrs["pad"]
        return [helper.make_node(
            "Conv", data + params, [out], name=node.name, kernel_shape=[kh, kw],
            strides=list(attrs["stride"]), pads=[ph, pw, ph, pw],
            dilations=list(attrs["dilate"]), group=attrs["num_group"],
        )]  # fmt: skip
    if op == "FullyConnected":
        flat = f"{node.name}_flat"
        nodes = [helper.make_node("Flatten", data, [flat], axis=1)]
        return nodes + [helper.make_node("Gemm", [flat, *params], [out], name=node.name,
                                         transB=1)]  # fmt: skip
    if op == "Pooling":
        kind = "MaxPool" if attrs["pool_type"] == "max" else "AveragePool"
        if attrs["global_pool"]:
            return [helper.make_node("Global" + kind, data, [out], name=node.name)]
        ph, pw = attrs["pad"]
        extra = {} if kind == "MaxPool" else {"count_include_pad": int(attrs["count_include_pad"])}
        return [helper.make_node(
            kind, data, [out], name=node.name, kernel_shape=list(attrs["kernel"]),
            strides=list(attrs["stride"]), pads=[ph, pw, ph, pw],
            ceil_mode=int(attrs["pooling_convention"] == "full"), **extra,
        )]  # fmt: skip
    if op == "Activation":
        return [helper.make_node(ACTIVATIONS[attrs["act_type"]], data, [out], name=node.name)]
    if op == "BatchNorm":
        gamma = graph.constants[params[0]]
        if attrs["fix_gamma"]:
            params = [add_constant(f"{node.name}_fixed_gamma", np.ones_like(gamma)), *params[1:]]
        return [helper.make_node("BatchNormalization", data + params, [out], name=node.name,
                                 epsilon=attrs["eps"])]  # fmt: skip
    if op == "LRN":
        lrn = {"size": attrs["nsize"], "alpha": attrs["alpha"], "beta": attrs["beta"]}
        return [helper.make_node("LRN", data, [out], name=node.name, bias=attrs["knorm"], **lrn)]
    if op == "Concat":
        return [helper.make_node("Concat", data, [out], name=node.name, axis=1)]
    if op == "elemwise_add":
        return [helper.make_node("Add", data, [out], name=node.name)]
    if op == "Flatten":
        return [helper.make_node("Flatten", data, [out], name=node.name, axis=1)]
    if op in ("Dropout", "_copy"):
        return [helper.make_node("Identity", data, [out], name=node.name)]
    if op in ("SoftmaxOutput", "softmax"):
        return [helper.make_node("Softmax", data, [out], name=node.name, axis=1)]
    return []


def export_onnx(graph: Graph, path: str, batch_size: int | None = None) -> None:
    """Write `graph` to `path`; the batch dimension is symbolic unless `batch_size` is given."""
    onnx = _onnx()
    helper, numpy_helper = onnx.helper, onnx.numpy_helper
    shapes = infer_shapes(graph, 1)
    unsupported = [(n.op, n.name) for n in graph.nodes if n.op in ("ScaleShift",)]
    if unsupported:
        raise UnsupportedOpError(unsupported, source="ONNX export")
    initializers = {name: numpy_helper.from_array(np.asarray(a, np.float32), name)
                    for name, a in graph.constants.items()}  # fmt: skip

    def add_constant(name: str, array: np.ndarray) -> str:
        initializers[name] = numpy_helper.from_array(np.asarray(array, np.float32), name)
        return name

    nodes = []
    for node in graph.nodes:
        nodes += _node(helper, graph, node, shapes, add_constant)
    used = {i for n in nodes for i in n.input}
    batch = batch_size if batch_size else "batch"
    inputs = [helper.make_tensor_value_info(graph.input_name, onnx.TensorProto.FLOAT,
                                            [batch, *graph.input_shape])]  # fmt: skip
    out_shape = [batch, *shapes[graph.output_name][1:]]
    outputs = [helper.make_tensor_value_info(graph.output_name, onnx.TensorProto.FLOAT, out_shape)]
    body = helper.make_graph(nodes, graph.name, inputs, outputs,
                             [t for n, t in initializers.items() if n in used])  # fmt: skip
    model = helper.make_model(body, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="tilewise")  # fmt: skip
    onnx.checker.check_model(model)
    onnx.save(model, path)
