"""ONNX files loaded by tilewise, against onnxruntime (first slice: the CNN operators)."""

import numpy as np
import pytest
from graphs import uniform
from onnx_files import agree as _agree
from onnx_files import save_model as _save
from reference import relative_error

import tilewise

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402


def test_conv_pool_and_activations(tmp_path):
    n = helper.make_node
    nodes = [
        n("Conv", ["x", "w", "b"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        n("PRelu", ["c", "slope"], ["p"]),
        n("MaxPool", ["p"], ["m"], kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1),
        n("Conv", ["m", "w2"], ["d"], kernel_shape=[3, 3], auto_pad="SAME_UPPER", group=2),
        n("LeakyRelu", ["d"], ["l"], alpha=0.2),
        n("AveragePool", ["l"], ["a"], kernel_shape=[3, 3], pads=[1, 1, 1, 1],
          count_include_pad=1),
        n("Sub", ["a", "mean"], ["s"]),
        n("Div", ["s", "std"], ["q"]),
        n("Clip", ["q", "lo", "hi"], ["k"]),
        n("GlobalMaxPool", ["k"], ["g"]),
        n("Flatten", ["g"], ["f"]),
        n("Gemm", ["f", "fw", "fb"], ["z"], alpha=0.5, beta=2.0),
        n("Identity", ["z"], ["i"]),
        n("Softmax", ["i"], ["y"], axis=1),
    ]  # fmt: skip
    inits = {
        "w": lambda r: r.uniform(-0.3, 0.3, (6, 3, 3, 3)), "b": lambda r: r.uniform(-1, 1, 6),
        "slope": lambda r: r.uniform(0, 0.5, (6, 1, 1)),
        "w2": lambda r: r.uniform(-0.3, 0.3, (4, 3, 3, 3)),
        "mean": lambda r: r.uniform(-0.1, 0.1, (1, 4, 1, 1)),
        "std": lambda r: r.uniform(0.5, 2, (1, 4, 1, 1)),
        "lo": np.array(-0.5), "hi": np.array(0.8),
        "fw": lambda r: r.uniform(-1, 1, (4, 5)), "fb": lambda r: r.uniform(-1, 1, 5),
    }  # fmt: skip
    path = _save(tmp_path, nodes, inits, (3, 11, 13), (5,))
    _agree(path, uniform(np.random.default_rng(1), (3, 3, 11, 13)))


def test_matmul_reshape_and_residual_add(tmp_path):
    n = helper.make_node
    nodes = [
        n("Constant", [], ["shape"], value=numpy_helper.from_array(np.array([0, -1], np.int64))),
        n("Reshape", ["x", "shape"], ["r"]),
        n("MatMul", ["r", "m"], ["a"]),
        n("Relu", ["a"], ["b"]),
        n("Add", ["a", "b"], ["c"]),
        n("Mul", ["c", "scale"], ["y"]),
    ]  # fmt: skip
    inits = {"m": lambda r: r.uniform(-1, 1, (24, 7)), "scale": lambda r: r.uniform(0, 2, (7,))}
    path = _save(tmp_path, nodes, inits, (2, 3, 4), (7,))
    _agree(path, uniform(np.random.default_rng(2), (5, 2, 3, 4)))
    model = tilewise.load(path)
    model(uniform(np.random.default_rng(3), (1, 2, 3, 4)))
    assert [batch for batch, _ in sorted(model.plans)] == [1]


@pytest.mark.parametrize("name", ["alexnet", "resnet-18", "inception-bn"])
def test_zoo_round_trip(name, tmp_path):
    from tilewise.frontend.onnx_export import export_onnx

    path = str(tmp_path / f"{name}.onnx")
    export_onnx(tilewise.zoo.get(name), path)
    _agree(path, uniform(np.random.default_rng(4), (2, 3, 224, 224)), limit=1e-4, name="data")


def test_unsupported_ops_listed_at_once(tmp_path):
    n = helper.make_node
    nodes = [n("Relu", ["x"], ["a"]), n("NonMaxSuppression", ["a"], ["b"], name="up"),
             n("RoiAlign", ["b"], ["y"], name="pick")]  # fmt: skip
    path = _save(tmp_path, nodes, {}, (3, 4, 4), (3, 4, 4))
    with pytest.raises(tilewise.UnsupportedOpError) as info:
        tilewise.load(path)
    expected = "2 unsupported op(s): NonMaxSuppression (node 'up'); RoiAlign (node 'pick')"
    assert expected in str(info.value)


def test_bad_files(tmp_path):
    empty = tmp_path / "empty.onnx"
    empty.write_bytes(b"")
    with pytest.raises(tilewise.TilewiseError, match="empty.onnx: the model has no nodes"):
        tilewise.load(str(empty))
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(b"\xff\x00 not protobuf \x13" * 50)
    with pytest.raises(tilewise.TilewiseError, match="garbage.onnx: not a readable ONNX model"):
        tilewise.load(str(garbage))
    with pytest.raises(tilewise.TilewiseError, match="nothing.onnx: no such file"):
        tilewise.load(str(tmp_path / "nothing.onnx"))


def test_nhwc_input_same_padding_and_pad(tmp_path):
    """An NHWC input through Transpose; TF-style SAME with stride 2 (asymmetric); Pad."""
    n = helper.make_node
    pads = numpy_helper.from_array(np.array([0, 0, 1, 0, 0, 0, 2, 1], np.int64))
    nodes = [
        n("Transpose", ["x"], ["t"], perm=[0, 3, 1, 2]),
        n("Conv", ["t", "w"], ["c"], kernel_shape=[3, 3], strides=[2, 2], auto_pad="SAME_UPPER"),
        n("Constant", [], ["pads"], value=pads),
        n("Pad", ["c", "pads"], ["p"]),
        n("Conv", ["p", "dw", "db"], ["d"], kernel_shape=[3, 3], group=4, pads=[0, 1, 1, 0]),
        n("Clip", ["d", "zero", "six"], ["r"]),
        n("MaxPool", ["r"], ["y"], kernel_shape=[2, 2], strides=[2, 2], auto_pad="SAME_LOWER"),
    ]  # fmt: skip
    inits = {"w": lambda r: r.uniform(-0.5, 0.5, (4, 3, 3, 3)),
             "dw": lambda r: r.uniform(-0.5, 0.5, (4, 1, 3, 3)),
             "db": lambda r: r.uniform(-1, 1, 4),
             "zero": np.array(0.0), "six": np.array(6.0)}  # fmt: skip
    path = _save(tmp_path, nodes, inits, (9, 10, 3), (4, 4, 3))
    _agree(path, uniform(np.random.default_rng(5), (2, 9, 10, 3)) * 4)


def _int64(name, values):
    tensor = numpy_helper.from_array(np.array(values, np.int64))
    return helper.make_node("Constant", [], [name], value=tensor)


@pytest.mark.parametrize("opset", [11, 14])
def test_shape_chain_folds_per_batch(tmp_path, opset):
    """x.view(x.size(0), -1) as PyTorch exports it, then the rest of the tensor ops."""
    n = helper.make_node
    axes = {"axes": [0]} if opset < 13 else {}
    axes_input = [] if opset < 13 else ["zero_axis"]
    nodes = [
        _int64("index", 0), _int64("minus_one", [-1]), _int64("zero_axis", [0]),
        n("Shape", ["x"], ["shape"]),
        n("Gather", ["shape", "index"], ["batch"], axis=0),
        n("Unsqueeze", ["batch", *axes_input], ["batch1"], **axes),
        n("Concat", ["batch1", "minus_one"], ["target"], axis=0),
        n("Cast", ["target"], ["target64"], to=TensorProto.INT64),
        n("Reshape", ["x", "target64"], ["flat"]),
        n("Gemm", ["flat", "fw"], ["g"], transB=1),
        n("Unsqueeze", ["g", *axes_input], ["u"], **axes),
        n("HardSwish" if opset >= 14 else "Identity", ["u"], ["h"]),
        n("HardSigmoid", ["h"], ["s"], alpha=0.3, beta=0.4),
        n("Squeeze", ["s", *axes_input], ["q"], **axes),
        n("ReduceMean", ["q"], ["m"], axes=[1], keepdims=1),
        n("Sub", ["q", "m"], ["z"]),
        n("LogSoftmax", ["z"], ["y"], axis=1),
    ]  # fmt: skip
    path = _save(tmp_path, nodes, {"fw": lambda r: r.uniform(-1, 1, (6, 24))}, (2, 3, 4), (6,),
                 opset=opset)  # fmt: skip
    for batch in (1, 3):
        _agree(path, uniform(np.random.default_rng(batch), (batch, 2, 3, 4)) * 3)


def test_pre13_softmax_flattens_from_axis(tmp_path):
    nodes = [helper.make_node("Softmax", ["x"], ["y"], axis=1)]
    path = _save(tmp_path, nodes, {}, (3, 4), (3, 4), opset=11)
    x = uniform(np.random.default_rng(6), (2, 3, 4))
    got = tilewise.load(path)(x)
    rows = np.exp(x.reshape(2, 12).astype(np.float64))
    assert relative_error(got, (rows / rows.sum(1, keepdims=True)).reshape(2, 3, 4)) <= 1e-6


def test_unsupported_attributes_listed_with_ops(tmp_path):
    n = helper.make_node
    nodes = [n("MaxPool", ["x"], ["a"], name="dilated", kernel_shape=[2, 2], dilations=[2, 2]),
             n("NonMaxSuppression", ["a"], ["b"], name="up"), n("Relu", ["b"], ["y"])]  # fmt: skip
    path = _save(tmp_path, nodes, {}, (3, 4, 4), (3, 4, 4))
    with pytest.raises(tilewise.UnsupportedOpError) as info:
        tilewise.load(path)
    assert "2 unsupported op(s): MaxPool with dilations [2, 2] (node 'dilated'); " \
           "NonMaxSuppression (node 'up')" in str(info.value)  # fmt: skip


def test_truncated_file_and_inputs_that_do_not_fit(tmp_path):
    from tilewise.frontend.onnx_export import export_onnx

    path = tmp_path / "tiny.onnx"
    export_onnx(tilewise.zoo.get("tiny"), str(path))
    data = path.read_bytes()
    for keep in (0.3, 0.9, 0.999):
        cut = tmp_path / f"cut{keep}.onnx"
        cut.write_bytes(data[: int(len(data) * keep)])
        with pytest.raises(tilewise.TilewiseError, match=f"cut{keep}.onnx: not a readable ONNX"):
            tilewise.load(str(cut))
    model = tilewise.load(str(path))
    shape = model.graph.input_shape
    with pytest.raises(tilewise.InputError, match=r"inputs are \['data'\], got \['x'\]"):
        model.run({"x": np.zeros((1, *shape), np.float32)})
    # the file fixes 3x32x32 after a free batch: other shapes are named against it
    fixed = r"tiny.onnx: input 'data' has shape \[None, 3, 32, 32\]; got per-sample shape "
    with pytest.raises(tilewise.InputError, match=fixed + r"\(32, 32\)"):
        model(np.zeros(shape, np.float32))
    with pytest.raises(tilewise.InputError, match=fixed + r"\(3, 5, 5\)"):
        model(np.zeros((2, 3, 5, 5), np.float32))


def test_missing_weight_is_named(tmp_path):
    nodes = [helper.make_node("Conv", ["x", "w"], ["y"], name="conv", kernel_shape=[3, 3])]
    path = _save(tmp_path, nodes, {}, (3, 8, 8), (2, 6, 6))
    with pytest.raises(
        tilewise.GraphError, match=r"node 'conv' \(Conv\).*\['w'\] are not produced"
    ):
        tilewise.load(path)


def test_one_dimensional_network_with_float_cast(tmp_path):
    """1-D convolution, pooling and a float32->float32 Cast (a no-op) against onnxruntime."""
    n = helper.make_node
    nodes = [
        n("Cast", ["x"], ["xf"], to=TensorProto.FLOAT),
        n("Conv", ["xf", "w", "b"], ["c"], kernel_shape=[5], pads=[2, 1], strides=[2]),
        n("Relu", ["c"], ["r"]),
        n("MaxPool", ["r"], ["m"], kernel_shape=[3], strides=[2], ceil_mode=1),
        n("Conv", ["m", "w2"], ["d"], kernel_shape=[3], dilations=[2], group=2),
        n("AveragePool", ["d"], ["a"], kernel_shape=[2], pads=[1, 0]),
        n("GlobalAveragePool", ["a"], ["g"]),
        n("Flatten", ["g"], ["y"]),
    ]  # fmt: skip
    inits = {"w": lambda r: r.uniform(-0.5, 0.5, (6, 4, 5)), "b": lambda r: r.uniform(-1, 1, 6),
             "w2": lambda r: r.uniform(-0.5, 0.5, (8, 3, 3))}  # fmt: skip
    path = _save(tmp_path, nodes, inits, (4, 37), (8,))
    _agree(path, uniform(np.random.default_rng(2), (2, 4, 37)), limit=1e-6)
    layers = tilewise.load(path).compile(2).layers()
    # run as 2-D with a height of 1
    assert [row["output_shape"] for row in layers if row["op"] == "Convolution"] == [
        (2, 6, 1, 18), (2, 8, 1, 5)]  # fmt: skip


def test_free_spatial_dimensions_follow_the_data(tmp_path):
    """[N, 3, H, W] with H and W free: a plan per shape on first use, each against
    onnxruntime; input_shape= still compiles ahead."""
    n = helper.make_node
    nodes = [n("Conv", ["x", "w", "b"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
             n("Relu", ["c"], ["r"]), n("GlobalAveragePool", ["r"], ["g"]),
             n("Flatten", ["g"], ["y"])]  # fmt: skip
    inits = {"w": lambda r: r.uniform(-0.5, 0.5, (4, 3, 3, 3)), "b": lambda r: r.uniform(-1, 1, 4)}
    path = _save(tmp_path, nodes, inits, (3, "H", "W"), (4,))
    model = tilewise.load(path)
    assert model.input_shape is None and model.graph is None
    rng = np.random.default_rng(3)
    for shape in [(1, 3, 17, 23), (2, 3, 40, 32), (1, 3, 17, 23)]:
        _agree(path, uniform(rng, shape))
        x = uniform(rng, shape)
        session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        assert relative_error(model(x), session.run(None, {"x": x})[0]) <= 1e-5
    assert sorted(model.plans) == [(1, (3, 17, 23)), (2, (3, 40, 32))]
    with pytest.raises(
        tilewise.InputError,
        match=r"has shape \[None, 3, None, None\]; got "
        r"per-sample shape \(4, 17, 23\)",
    ):
        model(np.zeros((1, 4, 17, 23), np.float32))
    ahead = tilewise.load(path, input_shape=(3, 8, 8))
    assert ahead.graph.input_shape == (3, 8, 8)


@pytest.mark.parametrize("mode, opset", [("edge", 13), ("reflect", 13), ("wrap", 19)])
def test_pad_modes_before_a_convolution(tmp_path, mode, opset):
    """edge/reflect/wrap padding of activations (a TF-exported ResNet's stem pads this way),
    against onnxruntime; the Pad stays a Pad (only zero constant padding folds into the
    convolution)."""
    n = helper.make_node
    nodes = [n("Pad", ["x", "pads"], ["p"], mode=mode),
             n("Conv", ["p", "w"], ["y"], kernel_shape=[3, 3], strides=[2, 2])]  # fmt: skip
    inits = {"pads": np.array([0, 0, 3, 2, 0, 0, 1, 3], np.int64),
             "w": lambda r: r.uniform(-0.5, 0.5, (4, 3, 3, 3))}  # fmt: skip
    rng = np.random.default_rng(0)
    tensors = [numpy_helper.from_array(np.asarray(v(rng) if callable(v) else v).astype(
               np.int64 if k == "pads" else np.float32), k)
               for k, v in inits.items()]  # fmt: skip
    x_info = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 9, 8])
    y_info = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4, 6, 6])
    graph = helper.make_graph(nodes, "pad", [x_info], [y_info], tensors)
    path = str(tmp_path / f"{mode}.onnx")
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)]), path)
    _agree(path, uniform(np.random.default_rng(1), (2, 3, 9, 8)), limit=1e-6)
    assert "Pad" in [row["op"] for row in tilewise.load(path).compile(2).layers()]


def test_reflect_padding_wider_than_the_input_is_named(tmp_path):
    n = helper.make_node
    nodes = [n("Pad", ["x", "pads"], ["y"], name="mirror", mode="reflect")]
    path = _save(tmp_path, nodes, {"pads": np.array([0, 0, 4, 0, 0, 0, 0, 0])}, (3, 4, 4),
                 (3, 8, 4))  # fmt: skip
    with pytest.raises(
        tilewise.GraphError,
        match=r"node 'mirror' \(Pad\).*reflect padding "
        r"of 4 on axis 2 of size 4 needs at most 3",
    ):
        tilewise.load(path)


@pytest.mark.parametrize("op", ["Sqrt", "Exp", "Log", "Reciprocal", "Neg", "Abs", "Erf"])
def test_unary_functions_against_onnxruntime(tmp_path, op):
    """Each after a Relu + 0.5 shift (so Sqrt, Log and Reciprocal see positive values),
    followed by a convolution: the function must stay in the graph, exactly once."""
    n = helper.make_node
    nodes = [n("Relu", ["x"], ["r"]), n("Add", ["r", "half"], ["s"]), n(op, ["s"], ["f"]),
             n("Conv", ["f", "w"], ["y"], kernel_shape=[1, 1])]  # fmt: skip
    inits = {"half": np.array(0.5), "w": lambda r: r.uniform(-1, 1, (2, 3, 1, 1))}
    path = _save(tmp_path, nodes, inits, (3, 5, 6), (2, 5, 6))
    _agree(path, uniform(np.random.default_rng(4), (2, 3, 5, 6), -2, 2), limit=1e-6)
    ops = [row["op"] for row in tilewise.load(path).compile(2).layers()]
    assert ops.count("unary") == 1
