"""Winograd F(4, 3) along one axis (1x3 and 3x1 kernels) on channel-blocked activations
against the float64 reference: both orientations, every block width, odd channel counts,
padding 0-2 along the kernel's axis, partial edge tiles, batch 1 and 7, the fused
epilogue, and where it does not apply."""

import numpy as np
import pytest
from graphs import uniform
from reference import activation, conv2d, relative_error

from tilewise.conv.nchwc import blocked_shape
from tilewise.conv.nchwc_winograd_1d import NCHWC_WINOGRAD_F4_1X3, BlockedWinograd1D
from tilewise.ir.attrs import resolve
from tilewise.ir.ops import CONVOLUTION, conv_output_hw
from tilewise.kernels.blocked import from_blocked, to_blocked

LIMIT = NCHWC_WINOGRAD_F4_1X3.error_limit
# (batch, channels, filters, height, width, pad along the kernel's axis)
GEOMETRIES = [
    (1, 20, 36, 8, 8, 1),  # Inception-v3's 8x8 maps, odd channel counts
    (7, 16, 24, 9, 11, 1),  # batch 7; 9 and 11: partial last tiles
    (2, 5, 7, 6, 5, 0),  # narrower than any block, no padding
    (1, 40, 48, 7, 13, 2),  # padding 2: a longer output than input
]


def _case(batch, channels, filters, height, width, pad, vertical, rng, act=None):
    kernel, pads = ((3, 1), (pad, 0)) if vertical else ((1, 3), (0, pad))
    attrs = resolve(CONVOLUTION.attrs, {"kernel": kernel, "pad": pads, "num_filter": filters,
                                        "act": act})  # fmt: skip
    in_shape = (batch, channels, height, width)
    out_shape = (batch, filters, *conv_output_hw(attrs, height, width))
    x, w, b = (uniform(rng, in_shape), uniform(rng, (filters, channels, *kernel)),
               uniform(rng, (filters,)))  # fmt: skip
    ref = conv2d(x.astype(np.float64), w.astype(np.float64), b.astype(np.float64), pad=pads)
    return attrs, in_shape, out_shape, x, w, b, ref


@pytest.mark.parametrize("vertical", [False, True], ids=["1x3", "3x1"])
@pytest.mark.parametrize("block", [4, 8, 16])
@pytest.mark.parametrize("geometry", GEOMETRIES, ids=lambda g: "x".join(map(str, g)))
def test_nchw_in_nchw_out(geometry, block, vertical, rng):
    attrs, in_shape, out_shape, x, w, b, ref = _case(*geometry, vertical, rng)
    conv = BlockedWinograd1D(4, attrs, w, b, in_shape, out_shape, block=block)
    out = np.full(out_shape, np.nan, np.float32)
    conv.run(x, out, np.empty(conv.scratch, np.float32))
    assert relative_error(out, ref) <= LIMIT


@pytest.mark.parametrize("vertical", [False, True], ids=["1x3", "3x1"])
@pytest.mark.parametrize("act", ["relu", "sigmoid"])  # sigmoid: after the kernel
def test_blocked_in_blocked_out_with_residual_and_activation(act, vertical, rng):
    attrs, in_shape, out_shape, x, w, b, ref = _case(3, 40, 24, 8, 10, 1, vertical, rng, act)
    residual = uniform(rng, out_shape)
    conv = BlockedWinograd1D(4, attrs, w, b, in_shape, out_shape, input_blocked=True,
                             output_blocked=True, block=16)  # fmt: skip
    conv.add_residual()
    xb = np.empty(blocked_shape(in_shape, 16), np.float32)
    rb = np.empty(blocked_shape(out_shape, 16), np.float32)
    yb = np.empty_like(rb)
    to_blocked(x, xb)
    to_blocked(residual, rb)
    conv.run(xb, yb, np.empty(conv.scratch, np.float32), residual=rb)
    out = np.empty(out_shape, np.float32)
    from_blocked(yb, out)
    # plus 1e-6 for the activation: sigmoid's rational approximation (kernels/activation.py)
    assert relative_error(out, activation(ref + residual, act)) <= LIMIT + 1e-6


@pytest.mark.parametrize(
    ("kernel", "pad", "reason"),
    [((3, 3), (1, 1), "is not 1x3 or 3x1"), ((1, 3), (1, 1), "pads the kernel's 1-wide axis"),
     ((1, 5), (0, 2), "is not 1x3 or 3x1"), ((3, 1), (3, 0), "is over 2")],
)  # fmt: skip
def test_applies_only_to_1x3_and_3x1(kernel, pad, reason):
    attrs = resolve(CONVOLUTION.attrs, {"kernel": kernel, "pad": pad, "num_filter": 8})
    assert reason in NCHWC_WINOGRAD_F4_1X3.why_not(attrs, (1, 8, 8, 8))
