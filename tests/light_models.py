"""The "light" model graphs shipped with onnx, with seeded random weights.

Their weights are ConstantOfShape nodes filled with 0.02, which hides mistakes such as
a transposed kernel. Each is replaced by an initializer of random values scaled for its
role (He-scaled kernels, positive variances), so activations stay in range 100 layers deep.
A final Softmax is dropped: the logits are compared.
"""

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

LIGHT_DIR = Path(onnx.__file__).parent / "backend" / "test" / "data" / "light"


def _final_reader(graph, name: str) -> tuple[str, int]:
    """(op, input index) of the node that uses `name`, looking through Unsqueeze."""
    for node in graph.node:
        if name in node.input:
            if node.op_type == "Unsqueeze":
                return _final_reader(graph, node.output[0])
            return node.op_type, list(node.input).index(name)
    return "", -1


def _random_weight(rng, shape: tuple, role: tuple[str, int]) -> np.ndarray:
    op, index = role
    if op in ("Conv", "Gemm") and index == 1:
        fan_in = int(np.prod(shape[1:])) if op == "Conv" else shape[-1]
        return rng.normal(0, np.sqrt(2.0 / fan_in), shape)
    if (op == "BatchNormalization" and index in (1, 4)) or op == "Mul":
        return rng.uniform(0.5, 1.5, shape)  # scales and variances: positive
    return rng.uniform(-0.1, 0.1, shape)  # biases, shifts, means


def randomized(name: str, seed: int = 0) -> onnx.ModelProto:
    model = onnx.load(str(LIGHT_DIR / f"light_{name}.onnx"))
    graph = model.graph
    rng = np.random.default_rng(seed)
    consts = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    kept = []
    for node in graph.node:
        if node.op_type == "Constant":
            consts[node.output[0]] = numpy_helper.to_array(node.attribute[0].t)
        if node.op_type != "ConstantOfShape":
            kept.append(node)
            continue
        shape = tuple(int(d) for d in consts[node.input[0]])
        value = _random_weight(rng, shape, _final_reader(graph, node.output[0]))
        graph.initializer.append(numpy_helper.from_array(value.astype(np.float32), node.output[0]))
        # IR version 3 files list every initializer among the graph inputs too
        graph.input.append(helper.make_tensor_value_info(node.output[0], TensorProto.FLOAT, shape))
    if kept[-1].op_type == "Softmax":  # compare logits: a saturated softmax hides errors
        logits = kept.pop().input[0]
        del graph.output[:]
        graph.output.append(helper.make_tensor_value_info(logits, TensorProto.FLOAT, ["N", "K"]))
    del graph.node[:]
    graph.node.extend(kept)
    return model
