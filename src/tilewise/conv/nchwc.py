"""Direct convolution on channel-blocked activations (NCHWc, c = the SIMD width): explicit
SIMD micro-kernels (kernels/nchwc_generated.py) at close to the FMA peak on any kernel size,
stride, dilation or padding, with bias, activation and a residual sum in the epilogue.

Inside a blocked region of the plan (plan/layout.py) its input and output stay blocked; on
its own it reads NCHW directly when the input has fewer channels than a block (the first
layer: no padding waste) and reorders otherwise, and writes NCHW through a reorder.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from tilewise.conv.algorithm import ConvAlgorithm, Convolution
from tilewise.conv.cost import gemm_flops_per_thread, weight_seconds
from tilewise.conv.profile import PhaseProfile
from tilewise.host import simd_width
from tilewise.kernels.activation import CODES, HARD_SWISH, NONE, RELU, RELU6, act_only
from tilewise.kernels.blocked import from_blocked, to_blocked
from tilewise.kernels.chain import Call, chainable
from tilewise.kernels.launch import balanced_bounds, run_two
from tilewise.kernels.nchwc_generated import (
    BLOCKING,
    GEOMETRY,
    KERNELS,
    LINE_KERNELS,
    LINE_NARROW_KERNELS,
    LINE_SINGLE_KERNELS,
    LINE_THIRD_KERNELS,
    NARROW_BLOCKING,
    NARROW_KERNELS,
    SINGLE_BLOCKING,
    THIRD_BLOCKING,
)

EPILOGUE_ACTS = (NONE, RELU, RELU6, HARD_SWISH)  # applied in registers; others afterwards
# the line kernels' blocks stay in one image: a plane holds at least one of the widest
LINE_MIN_PIXELS = max(rw for _, rw in (*BLOCKING.values(), *NARROW_BLOCKING.values(),
                                        *SINGLE_BLOCKING.values()))  # fmt: skip
# 1x1 layers on maps up to 8x8 with this many input channels or more run every output block
# on the narrow line kernel: measured 2 threads, batch 1: 2048->512 @7x7 0.392 -> 0.324 ms,
# 1152->192 @7x7 0.078 -> 0.066; not below (512->2048 @7x7 0.309 -> 0.319) nor on 14x14 maps
# (1024->256 0.288 -> 0.314)
NARROW_LINE_PIXELS, NARROW_LINE_CHANNELS = 64, 1024
MIN_JOBS = 16  # parallel jobs per call: Numba's static split then stays balanced
# max |y - ref| / max |ref| on zero-mean data over tests/test_conv_accuracy.py's layers:
# measured worst 1.4e-6 (inception-v3's 5x5 layer), limit with a 2.5x margin
ERROR_LIMIT = 3.5e-6
EFFICIENCY = 1.4  # of gemm_flops_per_thread: refitted 2026-12-01 on 132 layers of ResNet-50 and
# Inception-v3 at batch 1 and 16 (choice by estimate vs measured: totals 4% lower than 1.1)
REORDER_SECONDS = 2e-9  # per element per thread, NCHW <-> NCHWc (1.2-2.3e-9 measured)


def blocks(channels: int, block: int) -> int:
    return -(-channels // block)


def blocked_shape(shape: tuple, block: int) -> tuple:
    """(N, C, H, W) -> (N, ceil(C / c), H, W, c)."""
    n, channels, height, width = shape
    return (n, blocks(channels, block), height, width, block)


def reorder_estimate(in_shape: tuple, out_shape: tuple, threads: int) -> float:
    """What an NCHW algorithm pays inside a blocked region: its input and output reordered."""
    return REORDER_SECONDS * (math.prod(in_shape) + math.prod(out_shape)) / threads


def why_not(attrs: dict, in_shape: tuple) -> str | None:
    if attrs["num_group"] != 1:
        return f"num_group {attrs['num_group']} is not 1"
    if len(in_shape) != 4:
        return f"input is {len(in_shape)}-D, not NCHW"
    return None


def estimate(attrs: dict, in_shape: tuple, out_shape: tuple, threads: int) -> float:
    """The kernel alone (inside a blocked region there are no reorders to pay), padded
    channels included, plus its weights streamed from memory once per pixel chunk: on small
    maps at batch 1 that, not the FMAs, bounds the late layers."""
    c = simd_width()
    rk, rw = BLOCKING[c]
    channels = in_shape[1] if in_shape[1] < c else blocks(in_shape[1], c) * c
    kgroups = blocks(blocks(out_shape[1], c), rk)
    filters = padded_filters(blocks(out_shape[1], c), c)
    taps = math.prod(attrs["kernel"])
    flops = 2 * out_shape[0] * filters * out_shape[2] * out_shape[3] * channels * taps
    pixels = out_shape[0] * out_shape[2] * out_shape[3]
    pixel_blocks = -(-pixels // rw)
    chunks = -(-pixel_blocks // _blocks_per_job(pixels, rw, kgroups))
    seconds = flops / (gemm_flops_per_thread() * EFFICIENCY * threads)
    return seconds + weight_seconds(filters * channels * taps) * chunks


def _blocks_per_job(pixels: int, pixels_per_block: int, kgroups: int) -> int:
    return blocks_per_job(-(-pixels // pixels_per_block), kgroups)


def blocks_per_job(pixel_blocks: int, kgroups: int) -> int:
    """Pixel blocks per job, so that jobs (output-channel groups x pixel chunks) number at
    least MIN_JOBS and the chunks are even (an 8 + 1 split left one thread idle)."""
    chunks = min(pixel_blocks, max(1, -(-MIN_JOBS // kgroups)))
    return -(-pixel_blocks // chunks)


def pack_weights(weight: np.ndarray, lo: int, hi: int, rk: int, c: int, in_blocks: int,
                 depth: int) -> np.ndarray:  # fmt: skip
    """Filters lo..hi of (K, C, KH, KW) as the kernels read them, flat (KG, Cb, KH, KW, cin,
    RK, c): one register block's weight vectors side by side; padding zero."""
    _, channels, kh, kw = weight.shape
    kgroups = blocks(hi - lo, rk * c)
    packed = np.zeros((kgroups * rk * c, in_blocks * depth, kh, kw), np.float32)
    packed[: hi - lo, :channels] = weight[lo:hi]
    packed = packed.reshape(kgroups, rk, c, in_blocks, depth, kh, kw)
    return np.ascontiguousarray(packed.transpose(0, 3, 5, 6, 4, 1, 2)).reshape(-1)


class BlockedIO(Convolution):
    """The edges of a blocked kernel run on its own: NCHW input reordered into scratch,
    blocked output reordered into the caller's NCHW array."""

    reorder_input = False
    output_blocked = True

    def plan_io(self, in_shape: tuple, out_shape: tuple, block: int) -> None:
        self.in_blocked_shape = blocked_shape(in_shape, block)
        self.out_blocked_shape = blocked_shape(out_shape, block)
        self.in_size = math.prod(self.in_blocked_shape) if self.reorder_input else 0
        out_size = 0 if self.output_blocked else math.prod(self.out_blocked_shape)
        self.scratch = self.in_size + out_size

    def blocked_input(self, x: np.ndarray, scratch: np.ndarray) -> np.ndarray:
        if not self.reorder_input:
            return x
        blocked_in = scratch[: self.in_size].reshape(self.in_blocked_shape)
        to_blocked(x, blocked_in)
        return blocked_in

    def blocked_target(self, out: np.ndarray, scratch: np.ndarray) -> np.ndarray:
        if self.output_blocked:
            return out
        size = math.prod(self.out_blocked_shape)
        return scratch[self.in_size : self.in_size + size].reshape(self.out_blocked_shape)

    def unblock(self, target: np.ndarray, out: np.ndarray) -> None:
        if not self.output_blocked:
            from_blocked(target, out)

    post_act = NONE  # an activation the kernel cannot apply in registers: a pass after it

    def launches(self, x: np.ndarray, out: np.ndarray, scratch: np.ndarray,
                 residual: np.ndarray | None = None) -> list[Call] | None:  # fmt: skip
        """The kernel calls `run` makes, for a chain (kernels/chain.py); None where `run`
        does more (a reorder, an activation pass) or an array is not contiguous."""
        arrays = (x, out) if residual is None else (x, out, residual)
        if self.reorder_input or not self.output_blocked or self.post_act != NONE:
            return None
        if not all(a.flags.c_contiguous for a in arrays):
            return None
        flat_out = out.reshape(-1)
        res = flat_out if residual is None else residual.reshape(-1)
        calls = self.calls(x.reshape(-1), flat_out, res, scratch)
        return calls if all(chainable(a) for call in calls for a in call.args) else None

    def calls(self, x: np.ndarray, out: np.ndarray, residual: np.ndarray,
              scratch: np.ndarray) -> list[Call]:  # fmt: skip
        """`compute`'s kernel calls, in order, on the same flat arrays."""
        raise NotImplementedError

    def compute(self, x: np.ndarray, out: np.ndarray, residual: np.ndarray,
                scratch: np.ndarray, profile: PhaseProfile | None) -> None:  # fmt: skip
        """The kernel on flat blocked arrays (`residual` is `out` when there is none);
        `scratch` as `run` got it (the reorders' parts are in use)."""
        raise NotImplementedError

    def run(self, x: np.ndarray, out: np.ndarray, scratch: np.ndarray,
            profile: PhaseProfile | None = None,
            residual: np.ndarray | None = None) -> None:  # fmt: skip
        if profile:
            profile.start()
        x = self.blocked_input(x, scratch)
        if profile and self.reorder_input:
            profile.lap("reorder in")
        target = self.blocked_target(out, scratch)
        flat_out = target.reshape(-1)
        res = flat_out if residual is None else residual.reshape(-1)
        self.compute(x.reshape(-1), flat_out, res, scratch, profile)
        if self.post_act != NONE:
            rows = flat_out.reshape(1, 1, -1)
            act_only(rows, rows, self.post_act)
            if profile:
                profile.lap("activation")
        self.unblock(target, out)
        if profile and not self.output_blocked:
            profile.lap("reorder out")


def output_parts(out_blocks: int, c: int, narrow: bool = False,
                 line: bool = False) -> list[tuple[int, int, str]]:  # fmt: skip
    """(first block, end block, variant) per kernel call: groups of RK output blocks, then
    the last 1-2 blocks on the narrow kernel (RK 2) when the count is not a multiple of RK:
    96 filters in 16 lanes are 6 blocks, 4 + 2 instead of 8 with 2 computed and dropped.
    `narrow`: every block on the narrow kernel. `line`: the line kernels' RK 3 and RK 1
    variants take a last 3 blocks (not a group of 4 with one dropped) or a last 1."""
    if narrow:
        return [(0, out_blocks, "narrow")]
    rest = out_blocks % BLOCKING[c][0]
    tails = {1: "single" if line else "narrow", 2: "narrow", 3: "third" if line else None}
    last = tails.get(rest)
    if last is None:
        return [(0, out_blocks, "")]
    main = out_blocks - rest
    return ([(0, main, "")] if main else []) + [(main, out_blocks, last)]


VARIANT_BLOCKING = {"": BLOCKING, "narrow": NARROW_BLOCKING, "third": THIRD_BLOCKING,
                    "single": SINGLE_BLOCKING}  # fmt: skip
LINE_VARIANTS = {"": LINE_KERNELS, "narrow": LINE_NARROW_KERNELS, "third": LINE_THIRD_KERNELS,
                 "single": LINE_SINGLE_KERNELS}  # fmt: skip


def padded_filters(out_blocks: int, c: int) -> int:
    """Output lanes the kernels compute, the dropped ones included."""
    total = 0
    for kb0, kb1, variant in output_parts(out_blocks, c):
        rk = VARIANT_BLOCKING[variant][c][0]
        total += blocks(kb1 - kb0, rk) * rk * c
    return total


class BlockedConvolution(BlockedIO):
    """`input_blocked` / `output_blocked`: the physical layouts the plan gives it."""

    def __init__(self, attrs: dict, weight: np.ndarray, bias, in_shape, out_shape,
                 input_blocked: bool = False, output_blocked: bool = False,
                 block: int | None = None) -> None:  # fmt: skip
        c = block or simd_width()
        batch, channels, height, width = in_shape
        _, filters, out_h, out_w = out_shape
        kh, kw = attrs["kernel"]
        self.block = c
        self.input_blocked, self.output_blocked = input_blocked, output_blocked
        # NCHW input read in place when it is narrower than a block (no padding waste)
        self.reorder_input = not input_blocked and channels > c
        direct_nchw = not input_blocked and not self.reorder_input
        in_blocks, depth = (1, channels) if direct_nchw else (blocks(channels, c), c)
        out_blocks = blocks(filters, c)
        act = CODES[attrs.get("act")]
        self.act = act if act in EPILOGUE_ACTS else NONE
        self.post_act = NONE if act in EPILOGUE_ACTS else act
        if direct_nchw:
            x_strides = (channels * height * width, channels * height * width, width, 1,
                         height * width)  # fmt: skip
        else:
            x_strides = (in_blocks * height * width * c, height * width * c, width * c, c, 1)
        plane = out_h * out_w * c
        shared = {
            "N": batch, "Cb": in_blocks, "H": height, "W": width, "cin": depth,
            **dict(zip(("xs0", "xs1", "xs2", "xs3", "xs4"), x_strides, strict=True)),
            "xb": 0, "OH": out_h, "OW": out_w, "KH": kh, "KW": kw,
            "sh": attrs["stride"][0], "sw": attrs["stride"][1], "ph": attrs["pad"][0],
            "pw": attrs["pad"][1], "dh": attrs["dilate"][0], "dw": attrs["dilate"][1],
            "ys0": out_blocks * plane, "ys1": plane, "rs0": out_blocks * plane, "rs1": plane,
            "has_res": 0, "act": self.act, "wsn": 0, "yq": c, "has_y2": 0, "act2": NONE,
            "shift": 0,
        }  # fmt: skip
        # 1x1, stride 1, unpadded, blocked input: the line kernels (no per-pixel indexing)
        self.line = (kh, kw) == (1, 1) and tuple(attrs["stride"]) == (1, 1) and not direct_nchw
        self.line &= (out_h, out_w) == (height, width) and out_h * out_w >= LINE_MIN_PIXELS
        # small maps, many input channels: a block's weights stream from L2, and the narrow
        # kernel's 10 pixels per weight vector need 40% less of them per FMA than 4 x 6
        narrow_only = (self.line and out_h * out_w <= NARROW_LINE_PIXELS
                       and channels >= NARROW_LINE_CHANNELS)  # fmt: skip
        self.parts = []  # (kernel, packed weights, bias, geometry) per call
        self.variants = []  # each part's kernel variant: its job's blocking
        for kb0, kb1, variant in output_parts(out_blocks, c, narrow_only, line=self.line):
            rk, rw = VARIANT_BLOCKING[variant][c]
            kgroups = blocks(kb1 - kb0, rk)
            lo, hi = kb0 * c, min(kb1 * c, filters)
            packed = pack_weights(weight, lo, hi, rk, c, in_blocks, depth)
            part_bias = np.zeros(kgroups * rk * c, np.float32)
            if bias is not None:
                part_bias[: hi - lo] = bias[lo:hi]
            if self.line:  # blocks never straddle two images
                bpj = blocks_per_job(batch * blocks(out_h * out_w, rw), kgroups)
                kernel = LINE_VARIANTS[variant][c]
            else:
                bpj = _blocks_per_job(batch * out_h * out_w, rw, kgroups)
                kernel = (NARROW_KERNELS if variant else KERNELS)[c]
            geometry = {**shared, "Kb": kb1 - kb0, "yb": kb0 * plane, "rb": kb0 * plane,
                        "KG": kgroups, "bpj": bpj}  # fmt: skip
            fields = np.array([geometry[name] for name in GEOMETRY], np.int64)
            self.parts.append((kernel, packed, part_bias, fields))
            self.variants.append(variant)
        self.affine = [part[2] for part in self.parts]  # a second output's scale and shift
        self.second: np.ndarray | None = None  # that output's array
        self.has_second = False
        self.plan_io(in_shape, out_shape, c)
        self.flops = 2 * batch * filters * out_h * out_w * channels * kh * kw
        moved = 4 * (batch * in_blocks * depth * height * width
                     + sum(part[1].size for part in self.parts)
                     + batch * out_blocks * c * out_h * out_w)  # fmt: skip
        self.phase_work = {"direct": (float(self.flops), float(moved))}

    def add_residual(self) -> None:
        """The output is accumulated onto a same-shaped blocked residual (`run(residual=)`)."""
        for _, _, _, geometry in self.parts:
            geometry[GEOMETRY.index("has_res")] = 1

    def add_second_output(self, scale: np.ndarray, shift: np.ndarray, act: int) -> bool:
        """Also write act(y * scale + shift) per channel (`bind_second` gives its array),
        from the output still in registers: ResNet v2's pre-activation of the next unit."""
        if not self.output_blocked or self.post_act != NONE or act not in EPILOGUE_ACTS:
            return False
        index = {name: GEOMETRY.index(name) for name in ("has_y2", "act2", "shift")}
        c, lo = self.block, 0
        for i, (_, _, bias, geometry) in enumerate(self.parts):
            lanes = bias.size  # the part's output groups x RK x c
            hi = min(lo + lanes, len(scale))
            part_scale, part_shift = np.zeros(lanes, np.float32), np.zeros(lanes, np.float32)
            part_scale[: hi - lo], part_shift[: hi - lo] = scale[lo:hi], shift[lo:hi]
            self.affine[i] = np.concatenate([part_scale, part_shift])
            geometry[index["has_y2"]], geometry[index["act2"]] = 1, act
            geometry[index["shift"]] = lanes
            lo += geometry[GEOMETRY.index("Kb")] * c
        self.has_second = True
        return True

    def bind_second(self, array: np.ndarray) -> None:
        self.second = array.reshape(-1)

    def write_into(self, total_blocks: int, first_block: int) -> bool:
        """Write the output as blocks first.. of an array of total_blocks (a Concat's)."""
        if not self.output_blocked or self.post_act != NONE or self.has_second:
            return False
        names = ("has_res", "ys0", "ys1", "yb", "Kb")
        has_res, ys0, ys1, yb, kb = (GEOMETRY.index(name) for name in names)
        for *_, geometry in self.parts:
            if geometry[has_res]:
                return False
        offset = 0
        for *_, geometry in self.parts:
            geometry[ys0] = total_blocks * geometry[ys1]
            geometry[yb] = (first_block + offset) * geometry[ys1]
            offset += geometry[kb]
        return True

    def _part_args(self, x: np.ndarray, out: np.ndarray, residual: np.ndarray) -> tuple:
        second = out if self.second is None else self.second
        return tuple((x, weight, bias, out, residual, second, affine, geometry)
                     for (_, weight, bias, geometry), affine in zip(self.parts, self.affine,
                                                                    strict=True))  # fmt: skip

    def calls(self, x: np.ndarray, out: np.ndarray, residual: np.ndarray,
              scratch: np.ndarray) -> list[Call]:  # fmt: skip
        args = self._part_args(x, out, residual)
        kernels = tuple(part[0] for part in self.parts)
        if len(args) == 1:
            return [Call(kernels, args)]
        _, _, split, bounds = self._split_for(args, refresh=False)
        return [Call(kernels, args, (split, bounds))]

    def compute(self, x: np.ndarray, out: np.ndarray, residual: np.ndarray,
                scratch: np.ndarray, profile: PhaseProfile | None) -> None:  # fmt: skip
        args = self._part_args(x, out, residual)
        if len(args) == 1:
            self.parts[0][0](*args[0])
        else:  # output_parts gives at most two
            try:
                run_two(*self._split_for(args, refresh=False), *args)
            except TypeError:  # other argument types than the split's kernels took
                run_two(*self._split_for(args, refresh=True), *args)
        if profile:
            profile.lap("direct")

    _split: tuple = ()

    def _split_for(self, args: tuple, refresh: bool) -> tuple:
        """(job addresses, types key, first job of the second part, thread bounds) to run the
        two parts in one parallel region, split by cost. Measured 2 threads, batch 1, as two
        parallel calls -> one: 480->80 @14 (RK 4 + RK 1) 79.7 -> 74.6 us, 672->112 @14
        (RK 4 + RK 3) 152.1 -> 142.3 us."""
        threads = numba.get_num_threads()
        if refresh or not self._split or self._split[0] != threads:
            launches = [part[0].launch_for(a) for part, a in zip(self.parts, args, strict=True)]
            counts = [int(part[0].count.py_func(*a)) for part, a in zip(self.parts, args,
                                                                        strict=True)]  # fmt: skip
            costs = [math.prod(VARIANT_BLOCKING[variant][self.block])
                     * int(part[3][GEOMETRY.index("bpj")])
                     for part, variant in zip(self.parts, self.variants, strict=True)]  # fmt: skip
            bounds = balanced_bounds(counts, costs, threads)
            jobs = np.array([launch[0] for launch in launches], np.int64)
            self._split = (threads, jobs, launches[0][2], counts[0], bounds)
        return self._split[1:]


NCHWC_DIRECT = ConvAlgorithm(
    name="nchwc-direct",
    summary="channel-blocked direct convolution, explicit-SIMD register-blocked kernel",
    priority=25,
    plain=False,
    why_not=why_not,
    estimate=estimate,
    create=BlockedConvolution,
    error_limit=ERROR_LIMIT,
    blocked=True,
)
