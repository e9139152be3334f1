"""im2col + GEMM, the plain path every other algorithm is measured against; its class also
serves direct-1x1 (conv/direct_1x1.py), which skips the im2col copy.

Images are processed in chunks whose columns sit side by side in one GEMM, so small
feature maps (7x7 at batch 16) still make one large product instead of many thin ones.
"""

from __future__ import annotations

import math

import numpy as np

from tilewise.conv.algorithm import ConvAlgorithm, Convolution
from tilewise.conv.cost import GEMM_CALL_SECONDS, gemm_seconds, weight_seconds
from tilewise.conv.profile import PhaseProfile
from tilewise.kernels.activation import CODES, NONE, bias_act, scatter_bias_act
from tilewise.kernels.im2col import im2col
from tilewise.kernels.matmul import matmul

TARGET_COLUMNS = 3136  # GEMM width per chunk: one 56x56 map, or several smaller ones
IM2COL_SECONDS = 0.4e-9  # per copied element per thread
# max |y - ref| / max |ref| on zero-mean data over tests/test_conv_accuracy.py's layers:
# measured worst 8.0e-7 (alexnet conv1 11x11/s4), limit with a 2.5x margin
ERROR_LIMIT = 2e-6


def images_per_chunk(batch: int, plane: int) -> int:
    return max(1, min(batch, TARGET_COLUMNS // plane))


class GemmConvolution(Convolution):
    """`direct` skips im2col (1x1, stride 1, no padding)."""

    def __init__(self, attrs: dict, weight: np.ndarray, bias, in_shape, out_shape, direct: bool):
        batch, channels, _, _ = in_shape
        _, filters, oh, ow = out_shape
        self.groups = attrs["num_group"]
        self.direct = direct
        self.geometry = (
            *attrs["kernel"],
            *attrs["stride"],
            *attrs["pad"],
            *attrs["dilate"],
            oh,
            ow,
        )
        # GEMM panel per group: (filters/groups, channels/groups * kh * kw)
        self.weight = np.ascontiguousarray(weight.reshape(self.groups, filters // self.groups, -1))
        self.bias = np.zeros(filters, np.float32) if bias is None else bias.astype(np.float32)
        self.act = CODES[attrs.get("act")]
        self.epilogue = bias is not None or self.act != NONE
        self.plane = oh * ow
        self.chunk = images_per_chunk(batch, self.plane)
        # One image, one group, stride-1 1x1: the input already is the GEMM's right operand.
        self.zero_copy = direct and self.chunk == 1 and self.groups == 1
        depth = self.weight.shape[2]
        columns = self.chunk * self.plane
        self.col_size = 0 if self.zero_copy else self.groups * depth * columns
        self.tmp_size = 0 if self.chunk == 1 else filters * columns
        self.scratch = self.col_size + self.tmp_size
        self.flops = 2 * batch * filters * self.plane * depth

    def run(self, x: np.ndarray, out: np.ndarray, scratch: np.ndarray,
            profile: PhaseProfile | None = None) -> None:  # fmt: skip
        batch, filters = out.shape[0], out.shape[1]
        out3 = out.reshape(batch, filters, self.plane)
        if profile:
            profile.start()
        if self.zero_copy:
            matmul(self.weight[0], x.reshape(batch, x.shape[1], -1), out=out3)
            if profile:
                profile.lap("products")
            if self.epilogue:
                bias_act(out3, self.bias, self.act)
            if profile:
                profile.lap("epilogue")
            return
        groups, kpg, depth = self.weight.shape
        cpg = x.shape[1] // groups
        for start in range(0, batch, self.chunk):
            count = min(self.chunk, batch - start)
            columns = count * self.plane
            images = x[start : start + count]
            cols = scratch[: groups * depth * columns].reshape(groups, depth, columns)
            if count == 1:
                target = out3[start].reshape(groups, kpg, self.plane)
            else:
                tmp = scratch[self.col_size : self.col_size + filters * columns]
                target = tmp.reshape(groups, kpg, columns)
            for g in range(groups):
                part = images[:, g * cpg : (g + 1) * cpg]
                if self.direct:
                    channels_first = part.reshape(count, cpg, -1).transpose(1, 0, 2)
                    np.copyto(cols[g].reshape(cpg, count, self.plane), channels_first)
                else:
                    im2col(part, cols[g], *self.geometry)
                if profile:
                    profile.lap("im2col")
                matmul(self.weight[g], cols[g], out=target[g])
                if profile:
                    profile.lap("products")
            if count == 1:
                if self.epilogue:
                    bias_act(out3[start : start + 1], self.bias, self.act)
            else:
                scatter_bias_act(
                    target.reshape(filters, columns),
                    out3[start : start + count],
                    self.bias,
                    self.act,
                )
            if profile:
                profile.lap("epilogue")


def gemm_estimate(attrs: dict, in_shape: tuple, out_shape: tuple, threads: int,
                  copies: bool) -> float:  # fmt: skip
    batch, channels = in_shape[:2]
    filters, plane = out_shape[1], out_shape[2] * out_shape[3]
    columns = images_per_chunk(batch, plane) * plane
    depth = channels // attrs["num_group"] * math.prod(attrs["kernel"])
    seconds = gemm_seconds(2 * batch * filters * plane * depth, columns, threads)
    seconds += weight_seconds(filters * depth)
    if copies:
        seconds += IM2COL_SECONDS / threads * batch * plane * depth * attrs["num_group"]
    return seconds + GEMM_CALL_SECONDS * attrs["num_group"] * math.ceil(batch * plane / columns)


IM2COL_GEMM = ConvAlgorithm(
    name="im2col-gemm",
    summary="im2col then BLAS GEMM",
    priority=0,
    plain=True,
    why_not=lambda attrs, in_shape: None,  # any convolution
    estimate=lambda attrs, i, o, threads: gemm_estimate(attrs, i, o, threads, copies=True),
    create=lambda *args: GemmConvolution(*args, direct=False),
    error_limit=ERROR_LIMIT,
)
