"""Transposed convolution as GEMM + col2im: one matrix product per group gives every
(output channel, kernel tap) plane, and each tap's plane is added into the output at its
stride and offset. When the stride equals the kernel (DBNet's 2x2 stride-2 upsampler,
4x4 stride 4) and nothing is cropped, every output pixel comes from exactly one tap: the
planes are interleaved into the output in one strided copy, with no zeroing or adds."""

from __future__ import annotations

import numpy as np

from tilewise.ir.ops_resample import deconv_output_hw
from tilewise.operators.base import Operator


class Deconvolution(Operator):
    def __init__(self, attrs: dict, weight: np.ndarray, bias: np.ndarray | None,
                 in_shape: tuple) -> None:  # fmt: skip
        _, channels, height, width = in_shape
        self.groups = groups = attrs["num_group"]
        self.kernel, self.stride, self.dilate = attrs["kernel"], attrs["stride"], attrs["dilate"]
        self.crop = attrs["pad"]
        kh, kw = self.kernel
        per_group = weight.shape[1]
        # (group, out channels of the group x taps, in channels of the group)
        split = weight.reshape(groups, channels // groups, per_group * kh * kw)
        self.weight = np.ascontiguousarray(split.transpose(0, 2, 1), np.float32)
        self.bias = None if bias is None else bias.astype(np.float32).reshape(-1, 1, 1)
        self.out_hw = deconv_output_hw(attrs, height, width)
        ph, pw = self.crop
        self.full_hw = (self.out_hw[0] + ph + attrs["pad_end"][0],
                        self.out_hw[1] + pw + attrs["pad_end"][1])  # fmt: skip
        self.columns_shape = (per_group, kh, kw, height, width)
        uncropped = attrs["pad"] == attrs["pad_end"] == attrs["adj"] == (0, 0)
        self.interleave = self.stride == self.kernel and self.dilate == (1, 1) and uncropped
        self.planes = (height, width)
        columns = per_group * kh * kw * height * width
        self.scratch = columns + per_group * groups * self.full_hw[0] * self.full_hw[1]
        self.flops = 2 * weight.size * height * width * in_shape[0]

    def run(self, inputs, out, scratch):
        x = inputs[0]
        batch, channels = x.shape[:2]
        (kh, kw), (sh, sw), (dh, dw) = self.kernel, self.stride, self.dilate
        height, width = self.planes
        per_group = self.columns_shape[0]
        columns_size = per_group * kh * kw * height * width
        columns = scratch[:columns_size].reshape(self.weight.shape[1], height * width)
        full = scratch[columns_size : self.scratch].reshape(-1, *self.full_hw)
        group_in = channels // self.groups
        (ph, pw), (oh, ow) = self.crop, self.out_hw
        if self.interleave:
            self._interleaved(x, out, columns, group_in)
            return
        for n in range(batch):
            full.fill(0.0)
            for g in range(self.groups):
                planes = x[n, g * group_in : (g + 1) * group_in].reshape(group_in, -1)
                np.matmul(self.weight[g], planes, out=columns)
                taps = columns.reshape(self.columns_shape)
                target = full[g * per_group : (g + 1) * per_group]
                for i in range(kh):
                    rows = slice(i * dh, i * dh + sh * (height - 1) + 1, sh)
                    for j in range(kw):
                        cols = slice(j * dw, j * dw + sw * (width - 1) + 1, sw)
                        target[:, rows, cols] += taps[:, i, j]
            out[n] = full[:, ph : ph + oh, pw : pw + ow]
            if self.bias is not None:
                out[n] += self.bias

    def _interleaved(self, x, out, columns, group_in) -> None:
        """out[n, o, y * kh + i, x * kw + j] = taps[o, i, j, y, x]: each tap is one pixel."""
        (kh, kw), (height, width) = self.kernel, self.planes
        per_group = self.columns_shape[0]
        for n in range(x.shape[0]):
            for g in range(self.groups):
                planes = x[n, g * group_in : (g + 1) * group_in].reshape(group_in, -1)
                np.matmul(self.weight[g], planes, out=columns)
                taps = columns.reshape(self.columns_shape)
                target = out[n, g * per_group : (g + 1) * per_group]
                pixels = target.reshape(per_group, height, kh, width, kw)
                pixels[...] = taps.transpose(0, 3, 1, 4, 2)
            if self.bias is not None:
                out[n] += self.bias
