"""Depthwise convolution on channel-blocked activations: a pixel's c lanes are c channels,
each with its own filter, so the lanes are one vector. Keeps depthwise-separable networks
(MobileNet, EfficientNet) inside a blocked region instead of two reorders per layer."""

from __future__ import annotations

import math

import numpy as np

from tilewise.conv.algorithm import ConvAlgorithm
from tilewise.conv.depthwise import MAC_SECONDS
from tilewise.conv.depthwise import why_not as depthwise_why_not
from tilewise.conv.nchwc import BlockedIO, blocks
from tilewise.conv.profile import PhaseProfile
from tilewise.host import simd_width
from tilewise.kernels.activation import CODES, HARD_SWISH, NONE, RELU, RELU6, act_only
from tilewise.kernels.chain import Call
from tilewise.kernels.depthwise_generated import KERNELS
from tilewise.kernels.launch import rows_per_job

# max |y - ref| / max |ref|: sums of kh * kw products per output, like the NCHW kernel
ERROR_LIMIT = 2e-6
# vector FMAs per job, at least: a job is called by address (~15 ns), and one row of a small
# map is ~200 FMAs (1152 channels @7x7, 5x5, one thread: 0.048 ms in one-row jobs inlined
# in a parallel loop, 0.055 called by address)
JOB_FMAS = 1024


def why_not(attrs: dict, in_shape: tuple) -> str | None:
    problem = depthwise_why_not(attrs, in_shape)
    if problem is None and attrs["num_filter"] != in_shape[1]:
        return f"num_filter {attrs['num_filter']}: a channel multiplier (one filter each only)"
    return problem


def estimate(attrs: dict, in_shape: tuple, out_shape: tuple, threads: int) -> float:
    """Like the NCHW kernel per multiply-add (vectorised over lanes instead of rows)."""
    return MAC_SECONDS * math.prod(out_shape) * math.prod(attrs["kernel"]) / threads


class BlockedDepthwise(BlockedIO):
    def __init__(self, attrs: dict, weight: np.ndarray, bias, in_shape, out_shape,
                 input_blocked: bool = False, output_blocked: bool = False,
                 block: int | None = None) -> None:  # fmt: skip
        c = block or simd_width()
        channels = in_shape[1]
        kh, kw = attrs["kernel"]
        size = blocks(channels, c) * c
        packed = np.zeros((size, kh, kw), np.float32)
        packed[:channels] = weight.reshape(channels, kh, kw)
        # (Cb, KH, KW, c): one vector of taps per kernel position
        self.weight = np.ascontiguousarray(packed.reshape(-1, c, kh, kw).transpose(0, 2, 3, 1))
        self.bias = np.zeros(size, np.float32)
        if bias is not None:
            self.bias[:channels] = bias
        self.act = CODES[attrs.get("act")]
        self.kernel = KERNELS[c]
        self.geometry = self._geometry(attrs, in_shape, out_shape, c)
        self.reorder_input, self.output_blocked = not input_blocked, output_blocked
        self.plan_io(in_shape, out_shape, c)
        self.flops = 2 * math.prod(out_shape) * kh * kw

    def _geometry(self, attrs: dict, in_shape: tuple, out_shape: tuple, c: int) -> np.ndarray:
        """The kernel's GEOMETRY; lo..hi are the output columns whose taps all fall inside
        the input (they run unchecked, in register runs)."""
        (kh, kw), (sh, sw) = attrs["kernel"], attrs["stride"]
        (ph, pw), (dh, dw) = attrs["pad"], attrs["dilate"]
        height, width, out_h, out_w = in_shape[2], in_shape[3], out_shape[2], out_shape[3]
        lo = min(-(-pw // sw), out_w)
        hi = max(min((width - 1 - (kw - 1) * dw + pw) // sw + 1, out_w), lo)
        in_register = self.act if self.act in (NONE, RELU, RELU6, HARD_SWISH) else NONE
        rows = rows_per_job(out_h, out_w * kh * kw, JOB_FMAS)
        return np.array([blocks(in_shape[1], c), height, width, out_h, out_w, kh, kw, sh, sw,
                         ph, pw, dh, dw, rows, lo, hi, in_register], np.int64)  # fmt: skip

    def _args(self, x: np.ndarray, target: np.ndarray) -> tuple:
        """Flat arrays: the signature every blocked kernel is compiled for."""
        return (x.reshape(-1), self.weight.reshape(-1), self.bias, target.reshape(-1),
                self.geometry)  # fmt: skip

    def launches(self, x: np.ndarray, out: np.ndarray, scratch: np.ndarray,
                 residual: np.ndarray | None = None) -> list[Call] | None:  # fmt: skip
        if self.reorder_input or not self.output_blocked or self.geometry[-1] != self.act:
            return None
        if not (x.flags.c_contiguous and out.flags.c_contiguous):
            return None
        return [Call((self.kernel,), (self._args(x, out),))]

    def run(self, x: np.ndarray, out: np.ndarray, scratch: np.ndarray,
            profile: PhaseProfile | None = None) -> None:  # fmt: skip
        if profile:
            profile.start()
        target = self.blocked_target(out, scratch)
        self.kernel(*self._args(self.blocked_input(x, scratch), target))
        if self.geometry[-1] != self.act:  # sigmoid, SiLU, ...: a pass over the output
            rows = target.reshape(target.shape[0], target.shape[1], -1)
            act_only(rows, rows, self.act)
        self.unblock(target, out)
        if profile:
            profile.lap("direct")


NCHWC_DEPTHWISE = ConvAlgorithm(
    name="nchwc-depthwise",
    summary="depthwise on channel-blocked activations: the c lanes of a pixel as one vector",
    priority=35,
    plain=False,
    why_not=why_not,
    estimate=estimate,
    create=BlockedDepthwise,
    error_limit=ERROR_LIMIT,
    blocked=True,
)
