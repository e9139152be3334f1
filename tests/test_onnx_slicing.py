"""Slice, Split and Gather on activations, Pow, and graphs with several outputs and
inputs, from ONNX files against onnxruntime (YOLO's focus and heads, PP-OCR's attention
blocks, a detector fed an image and its scale)."""

import numpy as np
import pytest
from graphs import uniform

import tilewise

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")
import onnx  # noqa: E402
from onnx import helper, numpy_helper  # noqa: E402
from onnx_files import agree, save_model  # noqa: E402
from reference import relative_error  # noqa: E402

n = helper.make_node
I64 = np.int64


def test_yolo_focus_slices_with_steps(tmp_path):
    """YOLOv5's focus: four stride-2 slices of the image, concatenated on channels."""
    inits = {f"s{i}": np.array([i // 2, i % 2], I64) for i in range(4)}
    inits |= {"end": np.array([2**62, 2**62], I64), "axes": np.array([2, 3], I64),
              "two": np.array([2, 2], I64)}  # fmt: skip
    nodes = [n("Slice", ["x", f"s{i}", "end", "axes", "two"], [f"p{i}"]) for i in range(4)]
    nodes.append(n("Concat", [f"p{i}" for i in range(4)], ["y"], axis=1))
    path = save_model(tmp_path, nodes, inits, (3, 8, 10), None)
    got = agree(path, uniform(np.random.default_rng(0), (2, 3, 8, 10)), limit=0)["y"]
    assert got.shape == (2, 12, 4, 5)


@pytest.mark.parametrize("starts, ends, axes, steps", [
    ([-1], [-(2**63)], [3], [-1]),  # reversed width
    ([4, 1], [0, 100], [2, 1], [-2, 1]),  # negative step that stops before index 0
    ([1, -3], [-1, -1], [1, -1], None),  # negative indices, default steps
])  # fmt: skip
def test_slice_bounds_like_onnxruntime(tmp_path, starts, ends, axes, steps):
    inits = {"st": np.array(starts, I64), "en": np.array(ends, I64), "ax": np.array(axes, I64)}
    inputs = ["x", "st", "en", "ax"]
    if steps:
        inits["sp"] = np.array(steps, I64)
        inputs.append("sp")
    path = save_model(tmp_path, [n("Slice", inputs, ["y"])], inits, (3, 6, 7), None)
    agree(path, uniform(np.random.default_rng(1), (3, 3, 6, 7)), limit=0)


def test_slice_before_opset_10_uses_attributes(tmp_path):
    node = n("Slice", ["x"], ["y"], starts=[1, 0], ends=[3, -1], axes=[1, 3])
    path = save_model(tmp_path, [node], {}, (3, 4, 5), None, opset=9)
    agree(path, uniform(np.random.default_rng(2), (2, 3, 4, 5)), limit=0)


@pytest.mark.parametrize("opset, split", [(11, [1, 3]), (13, [3, 1]), (13, None), (18, None)])
def test_split_outputs_feed_different_branches(tmp_path, opset, split):
    """YOLOv8's C2f: split on channels, one part convolved, both concatenated."""
    inits = {"w": lambda r: r.uniform(-1, 1, (2, 2, 3, 3))}
    extra = {}
    if split and opset >= 13:
        inits["parts"] = np.array(split, I64)
    elif split:
        extra["split"] = split
    if opset >= 18 and not split:
        extra["num_outputs"] = 2
    inputs = ["x", "parts"] if "parts" in inits else ["x"]
    nodes = [n("Split", inputs, ["a", "b"], axis=1, **extra),
             n("Relu", ["b" if split != [3, 1] else "a"], ["r"]),
             n("Concat", ["a", "b", "r"], ["y"], axis=1)]  # fmt: skip
    if split is None:
        nodes[1] = n("Conv", ["b", "w"], ["r"], kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    path = save_model(tmp_path, nodes, inits, (4, 5, 5), None, opset=opset)
    agree(path, uniform(np.random.default_rng(3), (2, 4, 5, 5)))


def test_uneven_split_at_opset_18(tmp_path):
    node = n("Split", ["x"], ["a", "b", "c"], axis=2, num_outputs=3)
    path = save_model(tmp_path, [node], {}, (2, 7, 3), None, opset=18,
                      outputs={"a": None, "b": None, "c": None})  # fmt: skip
    got = agree(path, uniform(np.random.default_rng(4), (1, 2, 7, 3)), limit=0)
    assert [v.shape[2] for v in got.values()] == [3, 3, 1]


@pytest.mark.parametrize("indices, axis", [(np.array(2, I64), 1),
                                           (np.array([[0, -1], [3, 3]], I64), 2)])  # fmt: skip
def test_gather_on_a_value(tmp_path, indices, axis):
    node = n("Gather", ["x", "i"], ["y"], axis=axis)
    path = save_model(tmp_path, [node], {"i": indices}, (3, 4, 5), None)
    agree(path, uniform(np.random.default_rng(5), (2, 3, 4, 5)), limit=0)


def test_gather_index_out_of_range_is_named(tmp_path):
    node = n("Gather", ["x", "i"], ["y"], axis=1, name="pick")
    path = save_model(tmp_path, [node], {"i": np.array([3], I64)}, (3, 4), None)
    with pytest.raises(tilewise.TilewiseError, match=r"node 'pick' \(Gather\).*indices \[3\] are "
                       r"out of range for axis 1 of size 3"):  # fmt: skip
        tilewise.load(path)(uniform(np.random.default_rng(0), (1, 3, 4)))


def test_layer_norm_written_out_with_pow_and_sqrt(tmp_path):
    """How PP-OCR's recogniser spells LayerNorm: ReduceMean, Sub, Pow 2, Sqrt, Div."""
    nodes = [n("ReduceMean", ["x"], ["m"], axes=[-1]), n("Sub", ["x", "m"], ["d"]),
             n("Pow", ["d", "two"], ["q"]), n("ReduceMean", ["q"], ["v"], axes=[-1]),
             n("Add", ["v", "eps"], ["ve"]), n("Sqrt", ["ve"], ["s"]),
             n("Div", ["d", "s"], ["y"])]  # fmt: skip
    inits = {"two": np.array(2.0), "eps": np.array(1e-5)}
    path = save_model(tmp_path, nodes, inits, (10, 16), None)
    agree(path, uniform(np.random.default_rng(6), (2, 10, 16), -3, 3), limit=1e-5)


def test_several_outputs_like_a_detector(tmp_path):
    """MTCNN's heads: a box regression and a softmax score from one trunk, plus an output
    that is an intermediate value other nodes also read."""
    nodes = [n("Conv", ["x", "w"], ["trunk"], kernel_shape=[3, 3]), n("Relu", ["trunk"], ["r"]),
             n("Conv", ["r", "wb"], ["boxes"], kernel_shape=[1, 1]),
             n("Conv", ["r", "ws"], ["logits"], kernel_shape=[1, 1]),
             n("Softmax", ["logits"], ["scores"], axis=1)]  # fmt: skip
    inits = {"w": lambda r: r.uniform(-1, 1, (6, 3, 3, 3)),
             "wb": lambda r: r.uniform(-1, 1, (4, 6, 1, 1)),
             "ws": lambda r: r.uniform(-1, 1, (2, 6, 1, 1))}  # fmt: skip
    outputs = {"boxes": None, "scores": None, "r": None}
    path = save_model(tmp_path, nodes, inits, (3, "H", "W"), None, outputs=outputs)
    got = agree(path, uniform(np.random.default_rng(7), (2, 3, 12, 9)))
    assert [v.shape for v in got.values()] == [(2, 4, 10, 7), (2, 2, 10, 7), (2, 6, 10, 7)]
    model = tilewise.load(path)
    assert model.output_names == ["boxes", "scores", "r"]
    x = uniform(np.random.default_rng(7), (2, 3, 12, 9))
    np.testing.assert_array_equal(model(x), model.run({"x": x})["boxes"])  # the first


def _two_inputs(tmp_path):
    """A detector's image and its per-image scale factor (PaddleDetection feeds both)."""
    nodes = [n("Conv", ["x", "w"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
             n("Mul", ["c", "scale"], ["boxes"]),
             n("ReduceMax", ["c"], ["best"], axes=[1])]  # fmt: skip
    graph = helper.make_graph(
        nodes, "two",
        [helper.make_tensor_value_info("x", 1, ["N", 3, "H", "W"]),
         helper.make_tensor_value_info("scale", 1, ["N", 1, 1, 1])],
        [helper.make_tensor_value_info("boxes", 1, None),
         helper.make_tensor_value_info("best", 1, None)],
        [numpy_helper.from_array(np.random.default_rng(0).uniform(-1, 1, (4, 3, 3, 3))
                                 .astype(np.float32), "w")],
    )  # fmt: skip
    path = str(tmp_path / "two.onnx")
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)
    return path


def test_two_inputs_like_onnxruntime(tmp_path):
    import onnxruntime as ort

    path = _two_inputs(tmp_path)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    model = tilewise.load(path)
    assert model.input_names == ["x", "scale"]
    rng = np.random.default_rng(1)
    for batch, size in ((2, (8, 6)), (3, (5, 9))):
        feeds = {"x": uniform(rng, (batch, 3, *size)), "scale": uniform(rng, (batch, 1, 1, 1))}
        expected = session.run(None, feeds)
        got = model.run(feeds)
        for ours, theirs in zip(got.values(), expected, strict=True):
            assert ours.shape == theirs.shape
            assert relative_error(ours, theirs) <= 1e-5
    assert len(model.plans) == 2


def test_two_inputs_misfed_are_named(tmp_path):
    model = tilewise.load(_two_inputs(tmp_path))
    x = uniform(np.random.default_rng(2), (2, 3, 8, 8))
    with pytest.raises(tilewise.InputError, match=r"has inputs \['x', 'scale'\]: call model.run"):
        model(x)
    with pytest.raises(tilewise.InputError, match=r"inputs are \['x', 'scale'\], got \['x'\]"):
        model.run({"x": x})
    with pytest.raises(tilewise.InputError, match=r"input 'scale' must be an array with the batch "
                       r"size 2 first, got \(3, 1, 1, 1\)"):  # fmt: skip
        model.run({"x": x, "scale": uniform(np.random.default_rng(3), (3, 1, 1, 1))})
    with pytest.raises(tilewise.InputError, match=r"input 'scale' has shape \[None, 1, 1, 1\]; "
                       r"got per-sample shape \(2, 1, 1\)"):  # fmt: skip
        model.run({"x": x, "scale": uniform(np.random.default_rng(3), (2, 2, 1, 1))})
