"""Winograd on channel-blocked activations against the float64 reference: every tile size
and block width, odd channel counts, padding 0-2, partial edge tiles, several chunks of
images, and the fused epilogue (bias, residual sum, activation) on blocked arrays."""

import numpy as np
import pytest
from graphs import uniform
from reference import activation, conv2d, relative_error

import tilewise
from tilewise.conv.nchwc import blocked_shape
from tilewise.conv.nchwc_winograd import NCHWC_WINOGRAD_F2, NCHWC_WINOGRAD_F4, BlockedWinograd
from tilewise.ir.attrs import resolve
from tilewise.ir.ops import CONVOLUTION, conv_output_hw
from tilewise.kernels.blocked import from_blocked, to_blocked

LIMITS = {2: NCHWC_WINOGRAD_F2.error_limit, 4: NCHWC_WINOGRAD_F4.error_limit}

# (batch, channels, filters, size, pad)
GEOMETRIES = [
    (1, 20, 36, 9, 1),  # odd channel counts: padded last blocks; 9 = 2 F4 tiles + 1 pixel
    (7, 16, 24, 14, 1),  # batch 7: F2 in chunks of 5 images and 2
    (2, 5, 7, 7, 0),  # narrower than any block, no padding
    (1, 40, 48, 13, 2),  # padding 2: a wider output than input
]


def _case(batch, channels, filters, size, pad, rng, act=None):
    attrs = resolve(CONVOLUTION.attrs, {"kernel": (3, 3), "pad": (pad, pad),
                                        "num_filter": filters, "act": act})  # fmt: skip
    in_shape = (batch, channels, size, size)
    out_shape = (batch, filters, *conv_output_hw(attrs, size, size))
    x, w, b = (
        uniform(rng, in_shape),
        uniform(rng, (filters, channels, 3, 3)),
        uniform(rng, (filters,)),
    )
    ref = conv2d(x.astype(np.float64), w.astype(np.float64), b.astype(np.float64), pad=(pad, pad))
    return attrs, in_shape, out_shape, x, w, b, ref


@pytest.mark.parametrize("m", [2, 4])
@pytest.mark.parametrize("block", [4, 8, 16])
@pytest.mark.parametrize("geometry", GEOMETRIES, ids=lambda g: "x".join(map(str, g)))
def test_nchw_in_nchw_out(geometry, block, m, rng):
    attrs, in_shape, out_shape, x, w, b, ref = _case(*geometry, rng)
    conv = BlockedWinograd(m, attrs, w, b, in_shape, out_shape, block=block)
    out = np.full(out_shape, np.nan, np.float32)
    conv.run(x, out, np.empty(conv.scratch, np.float32))
    assert relative_error(out, ref) <= LIMITS[m]


def test_several_chunks_are_exercised():
    attrs, in_shape, out_shape = _case(*GEOMETRIES[1], np.random.default_rng(0))[:3]
    w = np.zeros((24, 16, 3, 3), np.float32)
    conv = BlockedWinograd(2, attrs, w, None, in_shape, out_shape, block=8)
    assert 1 < -(-in_shape[0] // conv.chunk) and in_shape[0] % conv.chunk != 0


@pytest.mark.parametrize("m", [2, 4])
@pytest.mark.parametrize("block", [8, 16])
@pytest.mark.parametrize("act", ["relu", "hard_swish", "sigmoid"])  # sigmoid: after the kernel
def test_blocked_in_blocked_out_with_residual_and_activation(act, block, m, rng):
    attrs, in_shape, out_shape, x, w, b, ref = _case(3, 40, 24, 11, 1, rng, act)
    residual = uniform(rng, out_shape)
    conv = BlockedWinograd(m, attrs, w, b, in_shape, out_shape, input_blocked=True,
                           output_blocked=True, block=block)  # fmt: skip
    conv.add_residual()
    xb = np.empty(blocked_shape(in_shape, block), np.float32)
    rb = np.empty(blocked_shape(out_shape, block), np.float32)
    yb = np.empty_like(rb)
    to_blocked(x, xb)
    to_blocked(residual, rb)
    conv.run(xb, yb, np.empty(conv.scratch, np.float32), residual=rb)
    out = np.empty(out_shape, np.float32)
    from_blocked(yb, out)
    # plus 1e-6 for the activation: sigmoid's rational approximation (kernels/activation.py)
    assert relative_error(out, activation(ref + residual, act)) <= LIMITS[m] + 1e-6


def test_resnet_runs_blocked_winograd_with_the_residual_sums_fused(rng):
    from reference import execute
    from test_zoo import _randomise_batchnorm

    graph = tilewise.zoo.get("resnet-18")
    graph.input_shape = (3, 64, 64)
    _randomise_batchnorm(graph, rng)
    model = tilewise.compile(graph, batch_size=2, algo="nchwc-winograd-f4")
    steps = {s["name"]: s for s in model.layers()}
    winograd = [n for n, s in steps.items() if s["algorithm"] == "nchwc-winograd-f4"]
    assert len(winograd) == 13  # every stride-1 3x3 layer
    # identity shortcuts: the sum accumulated by the output transform, no add step
    fused = ["elemwise_add1", "elemwise_add3", "elemwise_add5", "elemwise_add7"]
    assert not set(fused) & set(steps)
    x = uniform(rng, (2, 3, 64, 64))
    assert relative_error(model(x), execute(graph, x)) <= 1e-4
