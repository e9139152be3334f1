"""Depthwise convolution and the Pad folding that feeds it, against the float64 reference."""

import pytest
from graphs import uniform
from reference import execute, relative_error

import tilewise
from tilewise import Graph, Node

CASES = [
    # (input NCHW, multiplier, kernel, stride, pad, pad_end, dilate)
    ((2, 6, 34, 40), 1, (3, 3), (1, 1), (1, 1), (), (1, 1)),  # wide: padded planes
    ((1, 3, 36, 37), 1, (5, 5), (1, 1), (1, 2), (3, 1), (2, 1)),  # padded, dilated, uneven
    ((1, 5, 70, 66), 1, (5, 5), (2, 2), (2, 2), (), (1, 1)),  # wide, strided: phases
    ((2, 6, 20, 21), 1, (3, 3), (1, 1), (1, 1), (), (1, 1)),  # channels-last
    ((3, 7, 7, 7), 1, (3, 3), (1, 1), (1, 1), (), (1, 1)),  # narrow: channels-last
    ((1, 8, 14, 14), 1, (5, 5), (2, 2), (1, 1), (2, 2), (1, 1)),  # narrow, asymmetric
    ((1, 4, 30, 30), 1, (3, 3), (2, 2), (0, 0), (1, 1), (1, 1)),  # SAME, stride 2
    ((2, 3, 18, 17), 2, (3, 3), (1, 2), (2, 1), (), (2, 2)),  # multiplier 2, dilated
    ((1, 2, 40, 40), 2, (3, 3), (1, 1), (1, 1), (), (1, 1)),  # multiplier 2, padded
    ((1, 3, 9, 9), 3, (3, 3), (1, 1), (1, 1), (), (1, 1)),  # multiplier 3, narrow
]


def _graph(case, rng, act=None):
    shape, multiplier, kernel, stride, pad, pad_end, dilate = case
    channels = shape[1]
    filters = channels * multiplier
    consts = {"w": uniform(rng, (filters, 1, *kernel)), "b": uniform(rng, (filters,))}
    attrs = {"kernel": kernel, "stride": stride, "pad": pad, "pad_end": pad_end,
             "dilate": dilate, "num_group": channels, "num_filter": filters}  # fmt: skip
    nodes = [Node("dw", "Convolution", ["data", "w", "b"], attrs)]
    if act:
        nodes.append(Node("act", "Activation", ["dw"], {"act_type": act}))
    return Graph("dw", "data", shape[1:], nodes, consts, nodes[-1].name)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-m{c[1]}-k{c[2]}-s{c[3]}")
@pytest.mark.parametrize("algo", ["auto", "gemm", "depthwise-direct"])
def test_depthwise_matches_reference(case, algo, rng):
    g = _graph(case, rng, act="relu6")
    x = uniform(rng, case[0], -4, 4)
    model = tilewise.compile(g, batch_size=case[0][0], algo=algo)
    (conv,) = [s for s in model.layers() if s["op"] == "Convolution"]
    # auto keeps one-filter-per-channel layers blocked; a channel multiplier runs NCHW
    expected_algorithm = {
        "gemm": "im2col-gemm",
        "depthwise-direct": "depthwise-direct",
        "auto": "nchwc-depthwise" if case[1] == 1 else "depthwise-direct",
    }
    assert conv["algorithm"] == expected_algorithm[algo]
    expected = execute(g, x)
    assert model(x).shape == expected.shape
    assert relative_error(model(x), expected) <= 1e-5


def test_asymmetric_pad_folds_into_the_convolution(rng):
    """Pad (0, 0, 1, 1 at the end) -> stride-2 conv: the Pad disappears, results stay."""
    channels = 4
    consts = {"w": uniform(rng, (channels, 1, 3, 3)), "w2": uniform(rng, (6, channels, 3, 3))}
    nodes = [
        Node("pad", "Pad", ["data"], {"pad_width": (0, 0, 0, 0, 0, 0, 1, 1)}),
        Node("dw", "Convolution", ["pad", "w"], {"kernel": (3, 3), "stride": (2, 2),
             "num_group": channels, "num_filter": channels, "no_bias": True}),
        Node("pad2", "Pad", ["dw"], {"pad_width": (0, 0, 1, 0, 0, 0, 2, 1)}),
        Node("conv", "Convolution", ["pad2", "w2"], {"kernel": (3, 3), "num_filter": 6,
             "no_bias": True}),
    ]  # fmt: skip
    g = Graph("padded", "data", (channels, 16, 16), nodes, consts, "conv")
    x = uniform(rng, (2, channels, 16, 16))
    for algo in ("auto", "gemm", "winograd-f4"):
        model = tilewise.compile(g, batch_size=2, algo=algo)
        ops = [s["op"] for s in model.layers() if s["op"] != "Reorder"]
        assert ops == ["Convolution", "Convolution"]
        assert relative_error(model(x), execute(g, x)) <= 1e-5
    layers = tilewise.compile(g, batch_size=2, algo="winograd-f4").layers()
    (_, conv) = [s for s in layers if s["op"] == "Convolution"]
    assert "asymmetric" in conv["reason"]
