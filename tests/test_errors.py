"""Bad input: clear errors that name the node, op, shapes and attribute."""

import numpy as np
import pytest
from graphs import single_op, uniform

import tilewise
from tilewise import Graph, Node


def _conv(rng, **attrs):
    weight = uniform(rng, (4, 3, 3, 3))
    defaults = {"kernel": (3, 3), "num_filter": 4, "no_bias": True}
    return single_op("Convolution", (1, 3, 8, 8), rng, {"weight": weight}, **{**defaults, **attrs})


def test_kernel_larger_than_input_names_node_op_and_shapes(rng):
    g = single_op("Convolution", (1, 3, 2, 2), rng, {"weight": uniform(rng, (4, 3, 3, 3))},
                  kernel=(3, 3), num_filter=4, no_bias=True)  # fmt: skip
    with pytest.raises(tilewise.GraphError) as info:
        tilewise.compile(g)
    message = str(info.value)
    assert "node 'layer' (Convolution)" in message
    assert "(1, 3, 2, 2)" in message
    assert "larger than the input 2x2" in message


def test_bad_attribute_value_is_named(rng):
    with pytest.raises(tilewise.GraphError, match="attribute 'stride' = 'two'"):
        tilewise.compile(_conv(rng, stride="two"))


def test_missing_required_attribute(rng):
    g = single_op("Pooling", (1, 3, 8, 8), rng, pool_type="max")
    with pytest.raises(tilewise.GraphError, match="'kernel' is required"):
        tilewise.compile(g)


def test_groups_must_divide_channels(rng):
    with pytest.raises(tilewise.GraphError, match="num_group = 2 must divide input channels 3"):
        tilewise.compile(_conv(rng, num_group=2))


def test_weight_shape_mismatch(rng):
    g = _conv(rng)
    g.constants["p_weight"] = uniform(rng, (4, 3, 5, 5))
    with pytest.raises(tilewise.GraphError, match=r"shape \(4, 3, 5, 5\), expected \(4, 3, 3, 3\)"):
        tilewise.compile(g)


def test_choice_attribute(rng):
    g = single_op("Pooling", (1, 3, 8, 8), rng, pool_type="median", kernel=(2, 2))
    with pytest.raises(tilewise.GraphError, match="'pool_type' = 'median' is not one of: max, avg"):
        tilewise.compile(g)


def test_unsupported_ops_listed_all_at_once():
    nodes = [
        Node("a", "Correlation", ["data"]),
        Node("b", "Activation", ["a"], {"act_type": "relu"}),
        Node("c", "ROIPooling", ["b"]),
    ]
    g = Graph("odd", "data", (3, 4, 4), nodes, {}, "c")
    with pytest.raises(tilewise.UnsupportedOpError) as info:
        tilewise.compile(g)
    assert "2 unsupported op(s)" in str(info.value)
    assert "Correlation (node 'a')" in str(info.value)
    assert "ROIPooling (node 'c')" in str(info.value)


@pytest.mark.parametrize(
    "x, match",
    [
        (
            np.zeros((2, 3, 8, 8), np.float32),
            r"input shape must be \(1, 3, 8, 8\).*got \(2, 3, 8, 8\)",
        ),
        (np.zeros((1, 3, 8, 8), np.float64), "dtype must be float32, got float64"),
        ([[1.0]], "must be a numpy array, got list"),
    ],
)
def test_wrong_input(x, match, rng):
    model = tilewise.compile(_conv(rng))
    with pytest.raises(tilewise.InputError, match=match):
        model(x)


@pytest.mark.parametrize("kwargs, match", [
    ({"batch_size": 0}, "batch_size must be a positive integer, got 0"),
    ({"threads": 0}, "threads must be a positive integer, got 0"),
    ({"algo": "fastest"}, "unknown algo 'fastest'; choose from: auto, tune, gemm"),
])  # fmt: skip
def test_bad_compile_arguments(kwargs, match, rng):
    with pytest.raises(tilewise.TilewiseError, match=match):
        tilewise.compile(_conv(rng), **kwargs)


def test_forced_algorithm_falls_back_and_says_why(rng):
    model = tilewise.compile(_conv(rng), algo="direct-1x1")
    (layer,) = model.layers()
    assert layer["algorithm"] == "im2col-gemm"
    assert "algo='direct-1x1' does not apply (kernel (3, 3) is not 1x1)" in layer["reason"]
