"""A small ONNX -> PyTorch converter for the graphs tilewise exports, so PyTorch runs the
same file and weights as the other peers. onnx2torch needs torchvision, whose PyPI build
does not load beside PyTorch's CPU wheel; the ops here are the export's own."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def _step(op: str, a: dict, name: str) -> Callable:
    """The PyTorch function for one ONNX node with attributes `a`."""
    import torch
    import torch.nn.functional as F

    pads = a.get("pads", [0, 0, 0, 0])
    if op == "Conv":

        def conv(x, w, b=None):
            return F.conv2d(x, w, b, a.get("strides", 1), (pads[0], pads[1]),
                            a.get("dilations", 1), a.get("group", 1))  # fmt: skip

        return conv
    if op in ("MaxPool", "AveragePool"):
        common = {
            "kernel_size": a["kernel_shape"],
            "stride": a.get("strides", 1),
            "padding": (pads[0], pads[1]),
            "ceil_mode": bool(a.get("ceil_mode", 0)),
        }
        if op == "MaxPool":
            return lambda x: F.max_pool2d(x, **common)
        include = bool(a.get("count_include_pad", 0))
        return lambda x: F.avg_pool2d(x, count_include_pad=include, **common)
    epsilon = a.get("epsilon", 1e-5)
    simple = {
        "GlobalAveragePool": lambda x: x.mean(dim=(2, 3), keepdim=True),
        "GlobalMaxPool": lambda x: x.amax(dim=(2, 3), keepdim=True),
        "BatchNormalization": lambda x, g, b, m, v: F.batch_norm(
            x, m, v, g, b, False, 0.0, epsilon
        ),  # fmt: skip
        "LRN": lambda x: F.local_response_norm(
            x, a.get("size", 1), a.get("alpha", 1e-4), a.get("beta", 0.75), a.get("bias", 1.0)
        ),  # fmt: skip
        "Gemm": lambda x, w, b=None: F.linear(x, w if a.get("transB", 0) else w.t(), b),
        "Relu": torch.relu,
        "Sigmoid": torch.sigmoid,
        "Tanh": torch.tanh,
        "Softplus": F.softplus,
        "Identity": lambda x: x,
        "Flatten": lambda x: torch.flatten(x, a.get("axis", 1)),
        "Add": torch.add,
        "Concat": lambda *xs: torch.cat(xs, a.get("axis", 1)),
        "Softmax": lambda x: torch.softmax(x, a.get("axis", -1)),
    }
    if op not in simple:
        raise NotImplementedError(f"onnx_torch: op {op} (node '{name}') is not supported")
    return simple[op]


def convert(model) -> Callable[[np.ndarray], np.ndarray]:
    import onnx
    import onnx.numpy_helper
    import torch

    tensors = {t.name: torch.from_numpy(onnx.numpy_helper.to_array(t).copy())
               for t in model.graph.initializer}  # fmt: skip
    steps = []
    for node in model.graph.node:
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        steps.append((_step(node.op_type, attrs, node.name), list(node.input), node.output[0]))
    source, result = model.graph.input[0].name, model.graph.output[0].name

    def run(x: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            values = dict(tensors)
            values[source] = torch.from_numpy(x)
            for fn, inputs, output in steps:
                values[output] = fn(*(values[i] for i in inputs))
            return values[result].numpy()

    return run
