"""Resize, Upsample and ConvTranspose from ONNX files, against onnxruntime: the ops of
text detectors (DBNet), feature pyramids and segmentation heads."""

import numpy as np
import pytest
from graphs import uniform

import tilewise

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")
from onnx import helper  # noqa: E402
from onnx_files import agree, save_model  # noqa: E402

n = helper.make_node
X = (2, 3, 5, 7)  # odd sizes: every edge case of the coordinate rules is reached


def _resize(tmp_path, opset=13, inputs=("x", "roi", "scales"), **attrs):
    return save_model(tmp_path, [n("Resize", list(inputs), ["y"], name="up", **attrs)],
                      RESIZE_INPUTS, X[1:], None, opset=opset)  # fmt: skip


RESIZE_INPUTS = {
    "roi": np.array([], np.float32),
    "scales": np.array([1, 1, 2.0, 1.5], np.float32),
    "shrink": np.array([1, 1, 0.6, 0.5], np.float32),
    "sizes": np.array([2, 3, 9, 4], np.int64),
    "crop": np.array([0, 0, 0.2, 0.1, 1, 1, 0.9, 1.2], np.float32),
}


@pytest.mark.parametrize("coordinates", ["half_pixel", "pytorch_half_pixel", "align_corners",
                                         "asymmetric"])  # fmt: skip
@pytest.mark.parametrize("nearest", ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"])
def test_nearest_every_rounding_and_coordinate_mode(tmp_path, coordinates, nearest):
    path = _resize(tmp_path, mode="nearest", coordinate_transformation_mode=coordinates,
                   nearest_mode=nearest)  # fmt: skip
    agree(path, uniform(np.random.default_rng(0), X), limit=0)


@pytest.mark.parametrize("mode", ["linear", "cubic"])
@pytest.mark.parametrize("coordinates", ["half_pixel", "pytorch_half_pixel", "align_corners",
                                         "asymmetric"])  # fmt: skip
@pytest.mark.parametrize("scales", ["scales", "shrink"])
def test_linear_and_cubic_up_and_down(tmp_path, mode, coordinates, scales):
    path = _resize(tmp_path, inputs=("x", "roi", scales), mode=mode,
                   coordinate_transformation_mode=coordinates)  # fmt: skip
    agree(path, uniform(np.random.default_rng(1), X), limit=1e-5)


def test_sizes_cubic_exclude_outside_and_crop_and_resize(tmp_path):
    sized = _resize(tmp_path, inputs=("x", "roi", "", "sizes"), mode="cubic",
                    cubic_coeff_a=-0.5, exclude_outside=1)  # fmt: skip
    agree(sized, uniform(np.random.default_rng(2), X))
    cropped = _resize(tmp_path, inputs=("x", "crop", "", "sizes"), mode="linear",
                      coordinate_transformation_mode="tf_crop_and_resize",
                      extrapolation_value=-3.0)  # fmt: skip
    got = agree(cropped, uniform(np.random.default_rng(3), X))["y"]
    assert (got == -3.0).any()  # the roi reaches past the right edge


@pytest.mark.parametrize("opset, node", [
    (9, n("Upsample", ["x", "scales"], ["y"], mode="nearest")),
    (9, n("Upsample", ["x", "scales"], ["y"], mode="linear")),
    (10, n("Resize", ["x", "scales"], ["y"], mode="nearest")),
    (10, n("Resize", ["x", "shrink"], ["y"], mode="nearest")),
])  # fmt: skip
def test_upsample_and_resize_before_opset_11(tmp_path, opset, node):
    path = save_model(tmp_path, [node], RESIZE_INPUTS, X[1:], None, opset=opset)
    agree(path, uniform(np.random.default_rng(4), X))


def test_antialias_and_axes_at_opset_18(tmp_path):
    """20 x float32(0.45) is 9 in float32 (onnxruntime, tilewise), 8.99.. in float64."""
    inits = {"half": np.array([0.45, 0.4], np.float32)}
    path = save_model(tmp_path, [n("Resize", ["x", "", "half"], ["y"], mode="linear",
                                   antialias=1, axes=[2, 3])], inits, (3, 20, 30), None,
                      opset=18)  # fmt: skip
    got = agree(path, uniform(np.random.default_rng(5), (1, 3, 20, 30)))["y"]
    assert got.shape == (1, 3, 9, 12)


def test_antialias_nearest_is_refused_naming_the_node(tmp_path):
    path = save_model(tmp_path, [n("Resize", ["x", "roi", "scales"], ["y"], name="up",
                                   mode="nearest", antialias=1)], RESIZE_INPUTS, X[1:], None,
                      opset=18)  # fmt: skip
    with pytest.raises(tilewise.TilewiseError, match=r"node 'up' \(Resize\).*antialias applies "
                       r"to linear and cubic"):  # fmt: skip
        tilewise.load(path)(uniform(np.random.default_rng(0), X))


def test_scales_from_a_value_are_refused_naming_the_node(tmp_path):
    nodes = [n("ReduceMax", ["x"], ["m"], axes=[1, 2, 3], keepdims=0),
             n("Concat", ["one", "one", "m", "m"], ["s"], axis=0),
             n("Resize", ["x", "roi", "s"], ["y"], name="up")]  # fmt: skip
    inits = {"one": np.array([1.0], np.float32), "roi": np.array([], np.float32)}
    path = save_model(tmp_path, nodes, inits, X[1:], None)
    with pytest.raises(tilewise.TilewiseError, match=r"node 'up' \(Resize\).*scales \(input 2\) "
                       r"must be a constant"):  # fmt: skip
        tilewise.load(path)(uniform(np.random.default_rng(0), X))


def _weight(shape):
    return lambda rng: rng.uniform(-1, 1, shape)


@pytest.mark.parametrize("attrs, weight", [
    ({"kernel_shape": [2, 2], "strides": [2, 2]}, (3, 4, 2, 2)),  # the DBNet upsampler
    ({"kernel_shape": [4, 4], "strides": [2, 2], "pads": [1, 1, 1, 1]}, (3, 4, 4, 4)),
    ({"kernel_shape": [3, 3], "strides": [3, 2], "output_padding": [1, 1],
      "pads": [0, 1, 2, 0]}, (3, 2, 3, 3)),
    ({"kernel_shape": [3, 3], "dilations": [2, 2], "group": 3}, (3, 2, 3, 3)),
    ({"kernel_shape": [3, 3], "strides": [2, 2], "output_shape": [12, 15]}, (3, 4, 3, 3)),
    ({"kernel_shape": [3, 3], "strides": [2, 2], "auto_pad": "SAME_UPPER"}, (3, 4, 3, 3)),
    ({"kernel_shape": [3, 3], "strides": [2, 2], "auto_pad": "SAME_LOWER"}, (3, 4, 3, 3)),
])  # fmt: skip
def test_conv_transpose(tmp_path, attrs, weight):
    nodes = [n("ConvTranspose", ["x", "w", "b"], ["t"], **attrs), n("Relu", ["t"], ["y"])]
    inits = {"w": _weight(weight), "b": _weight(weight[1] * attrs.get("group", 1))}
    path = save_model(tmp_path, nodes, inits, X[1:], None)
    agree(path, uniform(np.random.default_rng(6), X))


def test_conv_transpose_one_dimensional_without_bias(tmp_path):
    nodes = [n("ConvTranspose", ["x", "w"], ["y"], kernel_shape=[3], strides=[2])]
    path = save_model(tmp_path, nodes, {"w": _weight((3, 5, 3))}, (3, 11), None)
    agree(path, uniform(np.random.default_rng(7), (2, 3, 11)))


def test_detector_neck_with_free_size_follows_the_data(tmp_path):
    """A DBNet-style neck: downsample, upsample by nearest Resize, add, ConvTranspose; the
    file leaves height and width free, so each input size builds its own plan."""
    nodes = [n("Conv", ["x", "w1"], ["c1"], kernel_shape=[3, 3], strides=[2, 2],
               pads=[1, 1, 1, 1]),
             n("Resize", ["c1", "roi", "two"], ["u"], mode="nearest"),
             n("Conv", ["x", "w2"], ["c2"], kernel_shape=[1, 1]),
             n("Add", ["u", "c2"], ["s"]),
             n("ConvTranspose", ["s", "w3"], ["t"], kernel_shape=[2, 2], strides=[2, 2]),
             n("Sigmoid", ["t"], ["y"])]  # fmt: skip
    inits = {
        "w1": _weight((4, 3, 3, 3)),
        "w2": _weight((4, 3, 1, 1)),
        "w3": _weight((4, 1, 2, 2)),
        "roi": np.array([], np.float32),
        "two": np.array([1, 1, 2, 2], np.float32),
    }
    path = save_model(tmp_path, nodes, inits, (3, "H", "W"), None)
    for size in ((16, 24), (32, 8)):
        got = agree(path, uniform(np.random.default_rng(8), (1, 3, *size)))["y"]
        assert got.shape == (1, 1, 2 * size[0], 2 * size[1])
