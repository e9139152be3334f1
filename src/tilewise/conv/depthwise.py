"""Depthwise convolution (groups == input channels), run directly: no im2col, no GEMM."""

from __future__ import annotations

import math

import numpy as np

from tilewise.conv.algorithm import ConvAlgorithm, Convolution
from tilewise.conv.profile import PhaseProfile
from tilewise.kernels.activation import CODES
from tilewise.kernels.depthwise import (
    depthwise_conv,
    depthwise_conv_channels_last,
    depthwise_conv_padded,
    to_channels_last,
)

# Output widths below this vectorise across channels instead of along rows (measured on
# EfficientNet-Lite0's layers: 28x28 maps 2.7x faster channels-last, 56x56 slower).
NARROW = 32
MAC_SECONDS = 0.1e-9  # per multiply-add per thread, vectorised along rows
# max |y - ref| / max |ref|: direct sums of at most kh * kw products, as exact as im2col
ERROR_LIMIT = 2e-6


def why_not(attrs: dict, in_shape: tuple) -> str | None:
    if attrs["num_group"] != in_shape[1] or attrs["num_group"] == 1:
        return f"num_group {attrs['num_group']} is not the input channels {in_shape[1]}"
    return None


def estimate(attrs: dict, in_shape: tuple, out_shape: tuple, threads: int) -> float:
    return MAC_SECONDS * math.prod(out_shape) * math.prod(attrs["kernel"]) / threads


class DepthwiseConvolution(Convolution):
    def __init__(self, attrs: dict, weight: np.ndarray, bias, in_shape, out_shape) -> None:
        filters = out_shape[1]
        self.weight = np.ascontiguousarray(weight.reshape(filters, *attrs["kernel"]), np.float32)
        self.bias = np.zeros(filters, np.float32) if bias is None else bias.astype(np.float32)
        self.geometry = (*attrs["stride"], *attrs["pad"], *attrs["dilate"])
        self.act = CODES[attrs.get("act")]
        self.flops = 2 * int(np.prod(out_shape)) * int(np.prod(attrs["kernel"]))
        # channels-last needs one filter per channel (no channel multiplier)
        self.channels_last = out_shape[3] < NARROW and filters == in_shape[1]
        batch, _, height, width = in_shape
        self.in_t = (batch, height, width, filters)
        self.acc = (batch, out_shape[2], out_shape[3], filters)
        self.scratch = int(np.prod(self.in_t) + np.prod(self.acc)) if self.channels_last else 0
        self.weight_t = np.ascontiguousarray(self.weight.transpose(1, 2, 0))

    def run(self, x: np.ndarray, out: np.ndarray, scratch: np.ndarray,
            profile: PhaseProfile | None = None) -> None:  # fmt: skip
        if profile:
            profile.start()
        if not self.channels_last:
            (sh, sw, ph, pw, dh, dw) = self.geometry
            if sh == sw == 1:
                depthwise_conv_padded(x, self.weight, self.bias, out, ph, pw, dh, dw, self.act)
            else:
                depthwise_conv(x, self.weight, self.bias, out, *self.geometry, self.act)
            if profile:
                profile.lap("direct")
            return
        size = int(np.prod(self.in_t))
        xt = scratch[:size].reshape(self.in_t)
        acc = scratch[size : size + int(np.prod(self.acc))].reshape(self.acc)
        to_channels_last(x, xt)
        if profile:
            profile.lap("to channels-last")
        depthwise_conv_channels_last(
            xt, self.weight_t, self.bias, acc, out, *self.geometry, self.act
        )
        if profile:
            profile.lap("direct")


DEPTHWISE_DIRECT = ConvAlgorithm(
    name="depthwise-direct",
    summary="depthwise: one filter per channel, direct loops along output rows",
    priority=30,
    plain=False,
    why_not=why_not,
    estimate=estimate,
    create=DepthwiseConvolution,
    error_limit=ERROR_LIMIT,
)
