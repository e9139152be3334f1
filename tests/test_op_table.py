"""Every op tilewise knows has an operator, an ONNX exporter (or a stated reason) and an
independent float64 reference, and each op runs against that reference both in tilewise
and, exported, in onnxruntime."""

import numpy as np
import pytest
from reference import REFERENCE, execute, relative_error

import tilewise
from tilewise import Graph, Node
from tilewise.errors import UnsupportedOpError
from tilewise.ir.ops import SCHEMAS
from tilewise.op_table import op_table

U = (-1.0, 1.0)
POSITIVE = (0.5, 1.5)

# op -> (input shape at batch 2, attrs, {constant: (shape, range)}, data inputs read from
# the graph input). Constants named in `data` are operands (broadcast ops); the rest are
# the op's parameters in schema order.
EXAMPLES = {
    "Convolution": ((2, 3, 9, 9), {"kernel": (3, 3), "num_filter": 4, "pad": (1, 1),
                                   "stride": (2, 2)},
                    {"weight": ((4, 3, 3, 3), U), "bias": ((4,), U)}, 1),
    "FullyConnected": ((2, 3, 4, 4), {"num_hidden": 5},
                       {"weight": ((5, 48), U), "bias": ((5,), U)}, 1),
    "Pooling": ((2, 3, 9, 9), {"kernel": (3, 3), "stride": (2, 2), "pad": (1, 1),
                               "pool_type": "avg"}, {}, 1),
    "Activation": ((2, 3, 5, 5), {"act_type": "tanh"}, {}, 1),
    "BatchNorm": ((2, 3, 5, 5), {"fix_gamma": False, "eps": 1e-3},
                  {"gamma": ((3,), U), "beta": ((3,), U), "mean": ((3,), U),
                   "var": ((3,), POSITIVE)}, 1),
    "ScaleShift": ((2, 3, 5, 5), {"act": "relu"}, {"scale": ((3,), U), "shift": ((3,), U)}, 1),
    "LRN": ((2, 5, 4, 4), {"nsize": 3, "alpha": 0.1}, {}, 1),
    "elemwise_add": ((2, 3, 4, 4), {"act": "sigmoid"}, {}, 2),
    "Flatten": ((2, 3, 4, 4), {}, {}, 1),
    "Dropout": ((2, 3, 4, 4), {}, {}, 1),
    "_copy": ((2, 3, 4, 4), {}, {}, 1),
    "SoftmaxOutput": ((2, 10), {}, {}, 1),
    "softmax": ((2, 3, 4), {"axis": 1}, {}, 1),
    "SoftmaxActivation": ((2, 3, 4, 4), {"mode": "instance"}, {}, 1),
    "LeakyReLU": ((2, 3, 4, 4), {"act_type": "prelu"}, {"gamma": ((3,), U)}, 1),
    "clip": ((2, 3, 4, 4), {"a_min": -0.5, "a_max": 0.25}, {}, 1),
    "Reshape": ((2, 3, 4, 4), {"shape": (0, -3, -1)}, {}, 1),
    "broadcast_add": ((2, 3, 4, 4), {}, {"b": ((3, 1, 1), U)}, 1),
    "broadcast_sub": ((2, 3, 4, 4), {}, {"b": ((4,), U)}, 1),
    "broadcast_mul": ((2, 3, 4, 4), {}, {"b": ((1, 4, 1), U)}, 1),
    "broadcast_div": ((2, 3, 4, 4), {}, {"b": ((3, 1, 1), POSITIVE)}, 1),
    "broadcast_prelu": ((2, 3, 4, 4), {}, {"b": ((3, 1, 1), U)}, 1),
    "matmul": ((2, 3, 4), {}, {"b": ((4, 5), U)}, 1),
    "transpose": ((2, 3, 4, 5), {"axes": (0, 2, 3, 1)}, {}, 1),
    "Pad": ((2, 3, 4, 4), {"pad_width": (0, 0, 1, 2, 0, 0, 2, 1), "constant_value": 0.5},
            {}, 1),
    "mean": ((2, 3, 4, 4), {"axis": (2, 3), "keepdims": True}, {}, 1),
    "max": ((2, 3, 4, 4), {"axis": (1,), "keepdims": False}, {}, 1),
    "sum": ((2, 3, 4, 4), {"axis": (-1,), "keepdims": True}, {}, 1),
    "log_softmax": ((2, 10), {"axis": 1}, {}, 1),
    "hard_sigmoid": ((2, 3, 4, 4), {"alpha": 0.3, "beta": 0.4}, {}, 1),
    "unary": ((2, 3, 4, 4), {"function": "erf"}, {}, 1),
    "Concat": ((2, 3, 4, 4), {"num_args": 2, "dim": 1}, {}, 2),
    "slice": ((2, 3, 6, 6), {"begin": (0, 1, 5, 0), "end": (2, 3, -1, 6),
                             "step": (1, 1, -2, 2)}, {}, 1),
    "gather": ((2, 5, 4), {"axis": 1, "indices": (4, 0, 2, 2), "indices_shape": (2, 2)}, {}, 1),
    "broadcast_pow": ((2, 3, 4, 4), {}, {"b": ((3, 1, 1), (2.0, 2.0))}, 1),
    "resize": ((2, 3, 4, 5), {"sizes": (2, 3, 7, 9), "scales": (1.0, 1.0, 7 / 4, 9 / 5),
                              "mode": "cubic"}, {}, 1),
    "Deconvolution": ((2, 4, 5, 5), {"kernel": (3, 3), "num_filter": 6, "stride": (2, 2),
                                     "pad": (1, 1), "pad_end": (0, 1), "adj": (1, 0),
                                     "num_group": 2, "no_bias": False},
                      {"weight": ((4, 3, 3, 3), U), "bias": ((6,), U)}, 1),
    "compare": ((2, 3, 4, 4), {"function": "greater_equal"}, {"b": ((3, 1, 1), U)}, 1),
    "where": ((2, 3, 4, 4), {}, {"a": ((4,), U), "b": ((3, 1, 1), U)}, 1),
    "broadcast_maximum": ((2, 3, 4, 4), {}, {"b": ((4,), U)}, 1),
    "broadcast_minimum": ((2, 3, 4, 4), {}, {"b": ((3, 1, 1), U)}, 1),
    "broadcast_to": ((2, 3, 1, 4), {"shape": (2, 3, 5, 4)}, {}, 1),
    "tile": ((2, 3, 2, 3), {"reps": (1, 2, 3, 1)}, {}, 1),
    "depth_to_space": ((2, 8, 3, 4), {"block": 2, "mode": "CRD"}, {}, 1),
    "space_to_depth": ((2, 3, 4, 6), {"block": 2, "mode": "CRD"}, {}, 1),
    "arg_reduce": ((2, 3, 4, 5), {"function": "min", "axis": 2, "keepdims": False}, {}, 1),
    "topk": ((2, 3, 7), {"k": 3, "axis": 1, "part": "indices", "largest": False}, {}, 1),
    "layer_norm": ((2, 3, 4, 5), {"axis": 2, "eps": 1e-3},
                   {"scale": ((4, 5), U), "bias": ((5,), U)}, 1),
    "instance_norm": ((2, 3, 4, 5), {"eps": 1e-3}, {"scale": ((3,), U), "bias": ((3,), U)}, 1),
}  # fmt: skip


def example_graph(op: str, seed: int = 0) -> tuple[Graph, np.ndarray]:
    shape, attrs, constants, reads = EXAMPLES[op]
    rng = np.random.default_rng(seed)
    arrays = {f"{op}_{name}": rng.uniform(*low_high, size).astype(np.float32)
              for name, (size, low_high) in constants.items()}  # fmt: skip
    node = Node("layer", op, ["data"] * reads + list(arrays), dict(attrs))
    graph = Graph(f"one-{op}", "data", shape[1:], [node], arrays, "layer")
    return graph, rng.uniform(-1, 1, shape).astype(np.float32)


def test_every_op_has_operator_exporter_reference_and_example():
    gaps = []
    for name, entry in op_table().items():
        if entry.build is None:
            gaps.append(f"{name}: no operator builder")
        if entry.export is None and not entry.not_exportable:
            gaps.append(f"{name}: no ONNX exporter and no reason")
        if name not in REFERENCE:
            gaps.append(f"{name}: no float64 reference in tests/reference.py")
        if name not in EXAMPLES:
            gaps.append(f"{name}: no example in tests/test_op_table.py")
    assert gaps == []
    assert set(REFERENCE) == set(SCHEMAS) == set(EXAMPLES)


@pytest.mark.parametrize("op", sorted(EXAMPLES))
def test_op_matches_its_reference(op):
    graph, x = example_graph(op)
    model = tilewise.compile(graph, batch_size=x.shape[0], passes=[])
    assert relative_error(model(x), execute(graph, x)) <= 1e-5


@pytest.mark.parametrize("op", sorted(n for n, e in op_table().items() if e.export))
def test_exported_op_runs_in_onnxruntime(op, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    from tilewise.frontend.onnx_export import export_onnx

    graph, x = example_graph(op)
    path = tmp_path / f"{op}.onnx"
    export_onnx(graph, str(path))
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (theirs,) = session.run(None, {"data": x})
    expected = execute(graph, x)
    assert theirs.shape == expected.shape
    assert relative_error(theirs, expected) <= 1e-5


def test_export_of_an_unknown_op_names_it(tmp_path):
    from tilewise.frontend.onnx_export import export_onnx

    graph = Graph("g", "data", (3,), [Node("odd", "NoSuchOp", ["data"])], {}, "odd")
    with pytest.raises(UnsupportedOpError, match=r"ONNX export: 1 unsupported op\(s\): "
                       r"NoSuchOp \(node 'odd'\)"):  # fmt: skip
        export_onnx(graph, str(tmp_path / "g.onnx"))
    assert not (tmp_path / "g.onnx").exists()
