"""The channel-blocked engine: its convolution kernel against the float64 reference on awkward
geometries at both block sizes, and whole networks kept blocked between layers."""

import numpy as np
import pytest
from graphs import single_op, uniform
from reference import conv2d, execute, relative_error
from test_zoo import _randomise_batchnorm

import tilewise
from tilewise.conv.nchwc import BlockedConvolution, blocked_shape
from tilewise.ir.attrs import resolve
from tilewise.ir.ops import CONVOLUTION, conv_output_hw
from tilewise.kernels.blocked import from_blocked, to_blocked

LIMIT = 2e-6  # max |y - ref| / max |ref|; measured worst 6e-7 on these cases

# (batch, channels, filters, size, kernel, stride, pad, pad_end, dilate)
GEOMETRIES = [
    (1, 20, 36, 9, (3, 3), (1, 1), (1, 1), (), (1, 1)),  # odd channel counts, edge blocks
    (7, 32, 64, 7, (3, 3), (2, 2), (1, 1), (), (1, 1)),  # batch 7, stride 2, 7x7 maps
    (2, 3, 40, 11, (7, 7), (2, 2), (3, 3), (), (1, 1)),  # narrow input read as NCHW
    (1, 16, 16, 8, (3, 3), (1, 1), (2, 2), (), (2, 2)),  # dilation 2, padding 2
    (1, 48, 80, 5, (1, 1), (1, 1), (0, 0), (), (1, 1)),  # pointwise, 80 = 5 blocks of 16
    (3, 24, 24, 10, (1, 7), (1, 1), (0, 3), (), (1, 1)),  # 1x7
    (1, 17, 9, 9, (3, 3), (2, 2), (0, 0), (1, 1), (1, 1)),  # asymmetric (SAME) padding
    (1, 64, 100, 6, (5, 5), (1, 1), (2, 2), (), (1, 1)),  # 5x5, filters not whole groups
]


def _case(geometry, rng):
    batch, channels, filters, size, kernel, stride, pad, pad_end, dilate = geometry
    attrs = resolve(CONVOLUTION.attrs, {"kernel": kernel, "stride": stride, "pad": pad,
                                        "pad_end": pad_end, "dilate": dilate,
                                        "num_filter": filters})  # fmt: skip
    in_shape = (batch, channels, size, size)
    out_shape = (batch, filters, *conv_output_hw(attrs, size, size))
    x = uniform(rng, in_shape)
    w = uniform(rng, (filters, channels, *kernel))
    b = uniform(rng, (filters,))
    ref = conv2d(x.astype(np.float64), w.astype(np.float64), b.astype(np.float64), stride, pad,
                 dilate, 1, pad_end or None)  # fmt: skip
    return attrs, in_shape, out_shape, x, w, b, ref


@pytest.mark.parametrize("block", [8, 16])
@pytest.mark.parametrize("geometry", GEOMETRIES, ids=lambda g: "x".join(map(str, g[:4])))
def test_kernel_on_nchw_arrays(geometry, block, rng):
    attrs, in_shape, out_shape, x, w, b, ref = _case(geometry, rng)
    conv = BlockedConvolution(attrs, w, b, in_shape, out_shape, block=block)
    out = np.empty(out_shape, np.float32)
    conv.run(x, out, np.empty(max(conv.scratch, 1), np.float32))
    assert relative_error(out, ref) <= LIMIT


@pytest.mark.parametrize("block", [8, 16])
@pytest.mark.parametrize("act", ["relu", "relu6", "hard_swish", "sigmoid"])
def test_blocked_in_blocked_out_with_residual_and_activation(block, act, rng):
    geometry = (3, 40, 24, 9, (3, 3), (1, 1), (1, 1), (), (1, 1))
    attrs, in_shape, out_shape, x, w, b, ref = _case(geometry, rng)
    attrs = {**attrs, "act": act}
    residual = uniform(rng, out_shape)
    conv = BlockedConvolution(attrs, w, b, in_shape, out_shape, input_blocked=True,
                              output_blocked=True, block=block)  # fmt: skip
    conv.add_residual()
    xb = np.empty(blocked_shape(in_shape, block), np.float32)
    rb = np.empty(blocked_shape(out_shape, block), np.float32)
    yb = np.empty_like(rb)
    to_blocked(x, xb)
    to_blocked(residual, rb)
    conv.run(xb, yb, np.empty(max(conv.scratch, 1), np.float32), residual=rb)
    out = np.empty(out_shape, np.float32)
    from_blocked(yb, out)
    from reference import activation

    expected = activation(ref + residual, act)
    assert relative_error(out, expected) <= LIMIT


@pytest.mark.parametrize("block", [4, 8, 16])
# 49 pixels: an image's last pixel runs alone (blocks of 6 or 3) or its last block overlaps
# the one before (blocks of 10 or 5); 16 pixels
@pytest.mark.parametrize("size", [7, 4])
# output blocks of 16, 8 and 4 lanes: 96 filters are 4 + 2 (the narrow kernel for the last
# 2), 112 are 4 + 3 of 16 (the RK 3 kernel), 56 are 4 + 3 of 8, 28 are 4 + 3 of 4; 80 are
# 4 + 1 of 16 (the RK 1 kernel), 40 are 4 + 1 of 8, 36 are 8 + 1 of 4
@pytest.mark.parametrize("filters", [96, 112, 56, 28, 80, 40, 36])
def test_line_kernel_sums_in_place_and_writes_a_second_output(block, size, filters, rng):
    """1x1 stride 1 (the line kernels): blocks end at each image's edge, the residual is the
    output buffer itself (a pixel summed twice would show), and the pre-activation of the
    next unit is written beside it."""
    from tilewise.kernels.activation import RELU

    geometry = (3, 40, filters, size, (1, 1), (1, 1), (0, 0), (), (1, 1))
    attrs, in_shape, out_shape, x, w, b, ref = _case(geometry, rng)
    conv = BlockedConvolution({**attrs, "act": "relu6"}, w, b, in_shape, out_shape,
                              input_blocked=True, output_blocked=True, block=block)  # fmt: skip
    assert conv.line
    names = [part[0].__name__ for part in conv.parts]
    assert any(name.endswith("_third") for name in names) == (-(-filters // block) % 4 == 3)
    assert any(name.endswith("_single") for name in names) == (-(-filters // block) % 4 == 1)
    conv.add_residual()
    scale, shift = uniform(rng, (filters,)), uniform(rng, (filters,))
    assert conv.add_second_output(scale, shift, RELU)
    residual = uniform(rng, out_shape)
    xb = np.empty(blocked_shape(in_shape, block), np.float32)
    yb = np.empty(blocked_shape(out_shape, block), np.float32)
    second = np.full_like(yb, np.nan)
    to_blocked(x, xb)
    to_blocked(residual, yb)
    conv.bind_second(second)
    conv.run(xb, yb, np.empty(max(conv.scratch, 1), np.float32), residual=yb)
    out, out2 = np.empty(out_shape, np.float32), np.empty(out_shape, np.float32)
    from_blocked(yb, out)
    from_blocked(second, out2)
    expected = np.clip(ref + residual, 0, 6)
    assert relative_error(out, expected) <= LIMIT
    column = (1, -1, 1, 1)
    expected2 = np.maximum(expected * scale.reshape(column) + shift.reshape(column), 0)
    assert relative_error(out2, expected2) <= LIMIT


def test_reorders_round_trip_and_zero_the_padding_lanes(rng):
    x = uniform(rng, (2, 21, 5, 3))
    blocked = np.full(blocked_shape(x.shape, 8), np.nan, np.float32)
    to_blocked(x, blocked)
    assert blocked.shape == (2, 3, 5, 3, 8)
    assert np.all(blocked[:, 2, :, :, 5:] == 0)  # channels 21..23 do not exist
    back = np.empty_like(x)
    from_blocked(blocked, back)
    assert np.array_equal(back, x)


@pytest.mark.parametrize("block", ["8", "16"])
@pytest.mark.parametrize("batch", [1, 7])
def test_resnet_stays_blocked_and_fuses_the_residual_adds(block, batch, monkeypatch):
    monkeypatch.setenv("TILEWISE_BLOCK", block)
    rng = np.random.default_rng(3)
    graph = tilewise.zoo.get("resnet-18")
    graph.input_shape = (3, 64, 64)  # global pooling: any size runs
    _randomise_batchnorm(graph, rng)
    model = tilewise.compile(graph, batch_size=batch, algo="nchwc-direct")
    steps = model.layers()
    ops = [s["op"] for s in steps]
    assert ops.count("Reorder") == 1  # only before the flatten and the classifier
    # the pooled 512 x 1 x 1 fills whole blocks: NCHWc is NCHW, the reorder a view
    assert [s["algorithm"] for s in steps if s["op"] == "Reorder"] == ["view"]
    assert "elemwise_add" not in ops  # every residual sum accumulated by a convolution
    passes = [s["name"] for s in steps
              if s["op"] == "ScaleShift" and s["algorithm"] != "in epilogue"]  # fmt: skip
    # every pre-activation of a sum written by the convolution that made the sum; the two
    # left read the input and a pooling
    assert passes == ["bn_data", "stage1_unit1_bn1"]
    x = uniform(rng, (batch, 3, 64, 64))
    assert relative_error(model(x), execute(graph, x)) <= 1e-5


@pytest.mark.parametrize("algo", ["nchwc-direct", "nchwc-winograd-f4"])
def test_residual_sum_takes_the_residual_buffer(algo):
    rng = np.random.default_rng(5)
    graph = tilewise.zoo.get("resnet-18")
    graph.input_shape = (3, 64, 64)
    _randomise_batchnorm(graph, rng)
    model = tilewise.compile(graph, batch_size=2, algo=algo)
    sums = [step for step in model.steps if step.op == "Convolution" and len(step.inputs) == 2]
    assert {step.operator.algorithm for step in sums} == {algo}
    # direct: all 8 units' sums; Winograd: the 4 whose other convolutions run blocked too
    assert len(sums) == (8 if algo == "nchwc-direct" else 4)
    for step in sums:  # none of the residuals is read again
        assert np.shares_memory(model._views[step.output], model._views[step.inputs[1]])
    x = uniform(rng, (2, 3, 64, 64))
    assert relative_error(model(x), execute(graph, x)) <= 1e-5


@pytest.mark.parametrize("block", ["8", "16"])
def test_inception_concatenates_blocked_branches(block, monkeypatch):
    monkeypatch.setenv("TILEWISE_BLOCK", block)
    rng = np.random.default_rng(4)
    graph = tilewise.zoo.get("inception-bn")  # ends in a 7x7 pooling: full size
    _randomise_batchnorm(graph, rng)
    model = tilewise.compile(graph, batch_size=1, algo="nchwc-direct")
    concat = [s for s in model.layers() if s["op"] == "Concat"]
    assert concat and all(s["output_shape"][1] % int(block) == 0 for s in concat)
    assert sum(s["op"] == "Reorder" for s in model.layers()) == 1
    x = uniform(rng, (1, 3, 224, 224))
    assert relative_error(model(x), execute(graph, x)) <= 1e-5


def test_blocked_pooling_matches_nchw_pooling(rng):
    cases = [("max", (3, 3), (2, 2), (1, 1), "valid"), ("avg", (3, 3), (1, 1), (1, 1), "full"),
             ("avg", (2, 2), (2, 2), (0, 0), "valid")]  # fmt: skip
    for kind, kernel, stride, pad, convention in cases:
        g = single_op("Convolution", (2, 20, 11, 11), rng,
                      {"weight": uniform(rng, (24, 20, 1, 1))}, kernel=(1, 1), num_filter=24,
                      no_bias=True)  # fmt: skip
        from tilewise import Node

        g.nodes.append(
            Node(
                "pool",
                "Pooling",
                ["layer"],
                {
                    "kernel": kernel,
                    "stride": stride,
                    "pad": pad,
                    "pool_type": kind,
                    "pooling_convention": convention,
                },
            )
        )
        g.output_name = "pool"
        model = tilewise.compile(g, batch_size=2, algo="nchwc-direct")
        assert [s["op"] for s in model.layers()] == ["Convolution", "Pooling", "Reorder"]
        x = uniform(rng, (2, 20, 11, 11))
        assert relative_error(model(x), execute(g, x)) <= 1e-5


def _pool_reference(x, kind, kernel, stride, pad, out_hw, count_include_pad):
    """Float64 pooling over NCHW, windows clipped to the input (NaN in a window wins)."""
    n, c, h, w = x.shape
    out = np.empty((n, c, *out_hw))
    for oy in range(out_hw[0]):
        for ox in range(out_hw[1]):
            ys, xs = oy * stride[0] - pad[0], ox * stride[1] - pad[1]
            window = x[:, :, max(ys, 0) : ys + kernel[0], max(xs, 0) : xs + kernel[1]]
            if kind == "max":
                nan = np.isnan(window).any(axis=(2, 3))
                out[:, :, oy, ox] = np.where(nan, np.nan, np.nanmax(window, axis=(2, 3)))
            elif count_include_pad:
                area = (min(ys + kernel[0], h + pad[0]) - ys) * (
                    min(xs + kernel[1], w + pad[1]) - xs
                )
                out[:, :, oy, ox] = window.sum(axis=(2, 3)) / area
            else:
                out[:, :, oy, ox] = window.mean(axis=(2, 3))
    return out


@pytest.mark.parametrize("block", [4, 8, 16])
@pytest.mark.parametrize(
    "kind, kernel, stride, pad, out_hw, count_include_pad",
    [("max", (3, 3), (2, 2), (0, 0), (6, 6), False),  # ceil convention: clipped last window
     ("max", (3, 3), (1, 1), (1, 1), (11, 11), False),
     ("avg", (3, 3), (1, 1), (1, 1), (11, 11), True),
     ("avg", (3, 3), (2, 2), (1, 1), (6, 6), False),
     ("avg", (2, 3), (2, 1), (0, 1), (5, 11), True),
     ("max", (11, 11), (1, 1), (0, 0), (1, 1), False),  # global: one window, the plane
     ("avg", (11, 11), (1, 1), (0, 0), (1, 1), False)],
)  # fmt: skip
def test_blocked_pooling_kernels(kind, kernel, stride, pad, out_hw, count_include_pad, block,
                                 rng):  # fmt: skip
    from tilewise.kernels.pool_generated import KERNELS

    x = uniform(rng, (2, 20, 11, 11))
    x[1, 3, 4, 4] = np.nan  # it must reach every window holding it, max or average
    xb = np.empty(blocked_shape(x.shape, block), np.float32)
    to_blocked(x, xb)
    out = np.full(blocked_shape((2, 20, *out_hw), block), -7.0, np.float32)
    # rows per job: 4 + 4 + 3, 2 + 2 + 2, 2 + 2 + 1; the global pool's one row
    rows = {11: 4, 1: 1}.get(out_hw[0], 2)
    geometry = np.array([xb.shape[1], 11, 11, *out_hw, *kernel, *stride, *pad, kind == "max",
                         count_include_pad, xb.shape[1], 0, rows], np.int64)  # fmt: skip
    KERNELS[block](xb.reshape(-1), out.reshape(-1), geometry)
    got = np.empty((2, 20, *out_hw), np.float32)
    from_blocked(out, got)
    expected = _pool_reference(x.astype(np.float64), kind, kernel, stride, pad, out_hw,
                               count_include_pad)  # fmt: skip
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    assert np.isnan(got).any()  # the NaN reached its windows
    finite = ~np.isnan(expected)
    np.testing.assert_allclose(got[finite], expected[finite], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("block", [4, 8, 16])
@pytest.mark.parametrize(
    "batch, channels, size, kernel, stride, pad, dilate, act",
    [
        (1, 24, 14, 3, 1, 1, 1, "relu6"),
        (7, 40, 15, 5, 2, 2, 1, "hard_swish"),  # odd channels: a padded last block
        (2, 16, 9, 3, 2, 0, 1, None),
        (1, 32, 12, 3, 1, 2, 2, "sigmoid"),  # dilated
        (1, 8, 3, 3, 1, 1, 1, "silu"),  # narrower than a register run: edges only
        (2, 20, 23, 5, 1, 4, 1, "tanh"),  # padding past the kernel; jobs of 2 rows, last 1
        (1, 16, 7, 5, 1, 2, 1, None),  # every run reaches an edge; the last overlaps
        (3, 16, 6, 3, 2, 1, 1, "relu"),  # 3 columns: fewer than a run
    ],
)  # fmt: skip
def test_blocked_depthwise(batch, channels, size, kernel, stride, pad, dilate, act, block, rng):
    from reference import activation

    from tilewise.conv.nchwc_depthwise import BlockedDepthwise

    attrs = resolve(CONVOLUTION.attrs, {"kernel": (kernel, kernel), "stride": (stride, stride),
                                        "pad": (pad, pad), "dilate": (dilate, dilate),
                                        "num_filter": channels, "num_group": channels,
                                        "act": act})  # fmt: skip
    in_shape = (batch, channels, size, size)
    out_shape = (batch, channels, *conv_output_hw(attrs, size, size))
    x, b = uniform(rng, in_shape), uniform(rng, (channels,))
    w = uniform(rng, (channels, 1, kernel, kernel))
    expected = conv2d(x.astype(np.float64), w.astype(np.float64), b.astype(np.float64),
                      (stride, stride), (pad, pad), (dilate, dilate), channels)  # fmt: skip
    expected = expected if act is None else activation(expected, act)
    conv = BlockedDepthwise(attrs, w, b, in_shape, out_shape, block=block)
    out = np.empty(out_shape, np.float32)
    conv.run(x, out, np.empty(max(conv.scratch, 1), np.float32))
    assert relative_error(out, expected) <= LIMIT


def test_depthwise_separable_network_stays_blocked(rng):
    from tilewise import Graph, Node

    nodes, constants, previous = [], {}, "data"
    for i, (op, filters, groups) in enumerate([("pw", 32, 1), ("dw", 32, 32), ("pw", 48, 1),
                                               ("dw", 48, 48), ("pw", 16, 1)]):  # fmt: skip
        kernel = (1, 1) if op == "pw" else (3, 3)
        name = f"{op}{i}"
        fan_in = constants[f"{previous}_weight"].shape[0] if i else 3
        constants[f"{name}_weight"] = uniform(rng, (filters, fan_in // groups, *kernel))
        nodes.append(Node(name, "Convolution", [previous, f"{name}_weight"],
                          {"kernel": kernel, "pad": (kernel[0] // 2,) * 2, "num_filter": filters,
                           "num_group": groups, "no_bias": True, "act": "relu6"}))  # fmt: skip
        previous = name
    graph = Graph("separable", "data", (3, 20, 20), nodes, constants, previous)
    model = tilewise.compile(graph, batch_size=2, algo="auto", passes=[])
    algorithms = [s["algorithm"] for s in model.layers() if s["op"] == "Convolution"]
    assert algorithms[1] == algorithms[3] == "nchwc-depthwise"
    assert sum(s["op"] == "Reorder" for s in model.layers()) == 1
    x = uniform(rng, (2, 3, 20, 20))
    assert relative_error(model(x), execute(graph, x)) <= 1e-5
