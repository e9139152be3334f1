"""Load-time constant folding: nodes whose inputs are all known become constants.

This is how the Shape -> Gather -> Unsqueeze -> Concat -> Reshape chains of PyTorch
exports (and the pad arithmetic of TF-style SAME padding) disappear before any work.
Shape needs only the input's shape; everything else runs on ONNX's own reference
evaluator, one node at a time, on arrays that are small by construction.
"""

from __future__ import annotations

import numpy as np

# Ops that fold when their input's shape is known, even if its value is not.
SHAPE_ONLY = ("Shape", "Size")


def fold_shape_op(node, attrs: dict, shape: tuple[int, ...]) -> np.ndarray:
    if node.op_type == "Size":
        return np.array(int(np.prod(shape, dtype=np.int64)), np.int64)
    rank = len(shape)
    start = attrs.get("start", 0)
    end = attrs.get("end", rank)
    start, end = (min(max(i + rank if i < 0 else i, 0), rank) for i in (start, end))
    return np.array(shape[start:end], np.int64)


def fold_node(node, inputs: list[np.ndarray | None], opset: int) -> list[np.ndarray]:
    """Evaluate one node on constant inputs (None for an omitted optional input)."""
    from onnx import TensorProto, helper
    from onnx.reference import ReferenceEvaluator

    feeds = {name: value for name, value in zip(node.input, inputs, strict=True) if name}

    def untyped(name: str):
        return helper.make_tensor_value_info(name, TensorProto.UNDEFINED, None)

    # a one-node model: the evaluator honours the model's opset only through a model
    graph = helper.make_graph([node], "fold", [untyped(n) for n in feeds],
                              [untyped(n) for n in node.output if n])  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    return [np.asarray(v) for v in ReferenceEvaluator(model).run(None, feeds)]
