"""Comparing, selecting, rearranging, ranking and normalising ops from ONNX files against
onnxruntime, integer and boolean outputs included (detection and segmentation heads)."""

import numpy as np
import pytest
from graphs import uniform

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper  # noqa: E402
from onnx_files import agree, save_model  # noqa: E402

n = helper.make_node
X = (2, 4, 6, 6)


def _ties(shape, seed=0):
    """Values on a coarse grid, so equal values (ties) are common."""
    return (np.random.default_rng(seed).integers(-3, 4, shape) / 2).astype(np.float32)


def _typed(path, **types):
    """Re-declare outputs' element types (save_model writes them untyped)."""
    import onnx

    model = onnx.load(path)
    for output in model.graph.output:
        if output.name in types:
            output.type.tensor_type.elem_type = types[output.name]
    onnx.save(model, path)
    return path


@pytest.mark.parametrize("op", ["Equal", "Greater", "Less", "GreaterOrEqual", "LessOrEqual"])
def test_comparisons_select_with_where_and_return_booleans(tmp_path, op):
    nodes = [n(op, ["x", "t"], ["mask"]), n("Not", ["mask"], ["off"]),
             n("Where", ["mask", "x", "fill"], ["y"])]  # fmt: skip
    inits = {"t": np.array([0.5, 0, -0.5, 1], np.float32).reshape(4, 1, 1),
             "fill": np.array(-9.0, np.float32)}  # fmt: skip
    path = save_model(tmp_path, nodes, inits, X[1:], None,
                      outputs={"y": None, "mask": None, "off": None}, opset=16)  # fmt: skip
    _typed(path, mask=TensorProto.BOOL, off=TensorProto.BOOL)
    got = agree(path, _ties(X), limit=0)
    assert got["mask"].dtype == bool and got["mask"].any() and not got["mask"].all()


@pytest.mark.parametrize("op", ["Max", "Min", "Mean"])
def test_variadic_max_min_mean(tmp_path, op):
    nodes = [n("Relu", ["x"], ["r"]), n(op, ["x", "r", "c"], ["y"])]
    inits = {"c": lambda r: r.uniform(-1, 1, (6,))}
    path = save_model(tmp_path, nodes, inits, X[1:], None)
    agree(path, uniform(np.random.default_rng(1), X), limit=1e-6)


def test_expand_and_tile(tmp_path):
    nodes = [n("ReduceMean", ["x"], ["m"], axes=[2], keepdims=1),
             n("Expand", ["m", "shape"], ["e"]), n("Tile", ["e", "reps"], ["y"])]  # fmt: skip
    inits = {"shape": np.array([1, 5, 1], np.int64), "reps": np.array([1, 2, 1, 3], np.int64)}
    path = save_model(tmp_path, nodes, inits, (4, 6, 6), None)
    got = agree(path, uniform(np.random.default_rng(2), (2, 4, 6, 6)), limit=1e-6)["y"]
    assert got.shape == (2, 8, 5, 18)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_opset_20(tmp_path, approximate):
    path = save_model(tmp_path, [n("Gelu", ["x"], ["y"], approximate=approximate)], {}, X[1:],
                      None, opset=20)  # fmt: skip
    agree(path, uniform(np.random.default_rng(3), X, -4, 4), limit=1e-6)


@pytest.mark.parametrize("axis", [-1, 2, 1])
def test_layer_normalization_opset_17(tmp_path, axis):
    normalized = X[axis % 4 :]
    nodes = [n("LayerNormalization", ["x", "g", "b"], ["y"], axis=axis, epsilon=1e-3)]
    inits = {"g": lambda r: r.uniform(0.5, 2, normalized), "b": lambda r: r.uniform(-1, 1, 6)}
    path = save_model(tmp_path, nodes, inits, X[1:], None, opset=17)
    agree(path, uniform(np.random.default_rng(4), X, -3, 3), limit=1e-5)


def test_instance_normalization(tmp_path):
    nodes = [n("InstanceNormalization", ["x", "g", "b"], ["y"], epsilon=1e-4)]
    inits = {"g": lambda r: r.uniform(0.5, 2, 4), "b": lambda r: r.uniform(-1, 1, 4)}
    path = save_model(tmp_path, nodes, inits, X[1:], None)
    agree(path, uniform(np.random.default_rng(5), X, -3, 3), limit=1e-5)


@pytest.mark.parametrize("mode", ["DCR", "CRD"])
def test_depth_to_space_and_back(tmp_path, mode):
    """A sub-pixel upsampler (super-resolution's last layer) and its inverse."""
    nodes = [n("DepthToSpace", ["x"], ["up"], blocksize=2, mode=mode),
             n("SpaceToDepth", ["up"], ["y"], blocksize=2)]  # fmt: skip
    path = save_model(tmp_path, nodes, {}, X[1:], None, outputs={"up": None, "y": None})
    got = agree(path, uniform(np.random.default_rng(6), X), limit=0)
    assert got["up"].shape == (2, 1, 12, 12)


@pytest.mark.parametrize("op, attrs", [
    ("ArgMax", {"axis": 1}), ("ArgMin", {"axis": -1, "keepdims": 0}),
    ("ArgMax", {"axis": 2, "select_last_index": 1}), ("ArgMin", {"axis": 3,
                                                                  "select_last_index": 1}),
])  # fmt: skip
def test_argmax_argmin_return_int64_with_ties(tmp_path, op, attrs):
    """A segmentation head's last step: the class of each pixel."""
    path = save_model(tmp_path, [n(op, ["x"], ["y"], **attrs)], {}, X[1:], None, opset=13)
    _typed(path, y=TensorProto.INT64)
    got = agree(path, _ties(X, seed=7), limit=0)["y"]
    assert got.dtype == np.int64


@pytest.mark.parametrize("attrs", [{}, {"largest": 0}, {"axis": 1}])
def test_topk_values_and_int64_indices_with_ties(tmp_path, attrs):
    nodes = [n("TopK", ["x", "k"], ["values", "indices"], **attrs)]
    path = save_model(tmp_path, nodes, {"k": np.array([3], np.int64)}, X[1:], None,
                      outputs={"values": None, "indices": None}, opset=11)  # fmt: skip
    _typed(path, indices=TensorProto.INT64)
    got = agree(path, _ties(X, seed=8), limit=0)
    assert got["indices"].dtype == np.int64


def test_topk_k_larger_than_the_axis_is_named(tmp_path):
    import tilewise

    nodes = [n("TopK", ["x", "k"], ["values", "indices"], name="best")]
    path = save_model(tmp_path, nodes, {"k": np.array([7], np.int64)}, X[1:], None,
                      outputs={"values": None, "indices": None}, opset=11)  # fmt: skip
    with pytest.raises(tilewise.TilewiseError, match=r"node 'best' \(TopK\).*k = 7 must be "
                       r"between 1 and 6"):  # fmt: skip
        tilewise.load(path)(uniform(np.random.default_rng(0), X))


@pytest.mark.parametrize("exporter", ["paddle", "pytorch"])
def test_gelu_written_out_runs_as_one_step(tmp_path, exporter):
    """Paddle: ((erf(x / sqrt 2) + 1) * x) * 0.5; PyTorch: (x * 0.5) * (1 + erf(x * 1/sqrt 2))."""
    import tilewise

    if exporter == "paddle":
        nodes = [n("Div", ["x", "root2"], ["s"]), n("Erf", ["s"], ["e"]),
                 n("Add", ["e", "one"], ["a"]), n("Mul", ["a", "x"], ["m"]),
                 n("Mul", ["m", "half"], ["y"])]  # fmt: skip
    else:
        nodes = [n("Mul", ["x", "half"], ["h"]), n("Mul", ["x", "inv_root2"], ["s"]),
                 n("Erf", ["s"], ["e"]), n("Add", ["one", "e"], ["a"]),
                 n("Mul", ["h", "a"], ["y"])]  # fmt: skip
    inits = {"root2": np.array(np.sqrt(2), np.float32), "one": np.array(1, np.float32),
             "half": np.array(0.5, np.float32),
             "inv_root2": np.array(1 / np.sqrt(2), np.float32)}  # fmt: skip
    path = save_model(tmp_path, nodes, inits, X[1:], None)
    agree(path, uniform(np.random.default_rng(9), X, -4, 4), limit=1e-6)
    ops = [row["op"] for row in tilewise.load(path).compile(2).layers()]
    assert ops == ["unary"]
