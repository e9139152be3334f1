"""Source of src/tilewise/kernels/nchwc_generated.py: register-blocked direct convolution on
channel-blocked (NCHWc) activations, one kernel per vector width.

A kernel keeps RK output-channel blocks x RW output pixels of accumulators in vector
registers (RK * RW + RK weights + 1 broadcast fit the ISA's registers: 32 on AVX-512 and
NEON, 16 on AVX2), broadcasts one input value per pixel and FMAs it against RK weight
vectors. Output pixels are numbered over the whole batch (n, oh, ow), so small maps still
fill every register block. A block whose taps all fall inside the input runs unchecked;
edge blocks read the taps that fall into padding from a zero (`broadcast_or_zero`).
"""

from __future__ import annotations

import re

from codegen import header, job_kernel, per_width, source_digest

TARGET = "src/tilewise/kernels/nchwc_generated.py"
OPS = ("load", "store", "broadcast", "broadcast_or_zero", "splat", "fma", "add", "mul",
       "maximum", "minimum", "activate", "prefetch")  # fmt: skip
# width -> (RK output-channel blocks, RW pixels)
CONFIGS = {16: (4, 6), 8: (4, 3), 4: (4, 6)}
# for the last 1-2 output blocks of a layer whose block count is not a multiple of RK (48,
# 80, 96, 160 filters): RK 2 wastes at most one block where RK 4 wasted up to three
NARROW = {16: (2, 10), 8: (2, 5), 4: (2, 10)}
# for the last 3 blocks (40, 112, 176, 240 filters) of a 1x1 layer: RK 4 wasted one in four
THIRD = {16: (3, 8), 8: (3, 4), 4: (3, 8)}
# for a 1x1 layer's last single block (16 filters, 80, 144 of 16 lanes): RK 2 computed a
# dropped block; RK 1 is one weight load and RW broadcasts per RW FMAs
SINGLE = {16: (1, 10), 8: (1, 10), 4: (1, 10)}
VARIANTS = {"": CONFIGS, "narrow": NARROW, "third": THIRD, "single": SINGLE}
PREFETCH_FLOATS = 1024  # how far ahead the products ask for weights
REGISTERS = {16: 32, 8: 16, 4: 32}  # vector registers: AVX-512 and NEON, AVX2
# yq: the output's pixel stride (c for blocked activations, K for Winograd's M rows).
# wsn: weights per image, 0 for a convolution; Winograd's products run one 1x1 "image" per
# transform position with that position's weights, so pixel blocks then stay in one image.
# has_y2: a second output out2 = act2(y * scale + shift) (ResNet v2's pre-activation of the
# next unit, from the residual sum in registers); aff holds scale, then shift at `shift`.
GEOMETRY = ("N Cb H W cin xs0 xs1 xs2 xs3 xs4 xb Kb OH OW KH KW sh sw ph pw dh dw "
            "ys0 ys1 yb rs0 rs1 rb has_res act KG bpj wsn yq "
            "has_y2 act2 shift").split()  # fmt: skip


def kernel(width: int, variant: str = "") -> str:
    rk, rw = VARIANTS[variant][width]
    func = f"conv_c{width}" + (f"_{variant}" if variant else "")
    ind = "    "
    lines = [
        "@njit(cache=True)",
        f"def {func}_job(x, w, bias, y, res, out2, aff, g, job):",
        f'    """One job: {rk} output blocks x a run of {rw}-pixel blocks, {width} lanes."""',
    ]
    lines += [f"    {name} = g[{i}]" for i, name in enumerate(GEOMETRY)]
    lines += [
        "    plane = OH * OW",
        "    pixels = N * plane",
        f"    per_image = (plane + {rw - 1}) // {rw}",
        f"    blocks = (pixels + {rw - 1}) // {rw}",
        f"    wstep = cin * {rk * width}",
        "    kg_size = Cb * KH * KW * wstep",
        "    span_h = (KH - 1) * dh",
        "    span_w = (KW - 1) * dw",
        "    image = 0",
        *_job_blocks("blocks"),
        "    if True:",
        "        for blk in range(first, last):",
        "            if wsn:",
        f"                p0 = image * plane + (blk - image * per_image) * {rw}",
        f"                count = min({rw}, (image + 1) * plane - p0)",
        "            else:",
        f"                p0 = blk * {rw}",
        f"                count = min({rw}, pixels - p0)",
    ]
    body = ind * 3
    for j in range(rw):
        lines += [
            f"{body}p = min(p0 + {j}, pixels - 1)",
            f"{body}n{j} = p // plane",
            f"{body}q{j} = p - n{j} * plane",
            f"{body}oh = q{j} // OW",
            f"{body}ih{j} = oh * sh - ph",
            f"{body}iw{j} = (q{j} - oh * OW) * sw - pw",
            f"{body}o{j} = xb + n{j} * xs0 + ih{j} * xs2 + iw{j} * xs3",
        ]
    # `&` on comparisons, not `and`: no short-circuit branches, a much smaller function to
    # compile (the same goes for the edge checks below)
    inside = " & ".join(
        f"(ih{j} >= 0) & (ih{j} + span_h < H) & (iw{j} >= 0) & (iw{j} + span_w < W)"
        for j in range(rw)
    )
    lines.append(f"{body}interior = (count == {rw}) & {inside}")
    for r in range(rk):
        for j in range(rw):
            lines.append(f"{body}a{r}_{j} = load(bias, (kg * {rk} + {r}) * {width})")
    lines += [
        f"{body}wo = kg * kg_size + image * wsn",
        f"{body}if interior:",
        f"{body}    for cb in range(Cb):",
        f"{body}        for kh in range(KH):",
        f"{body}            for kw in range(KW):",
        f"{body}                t = cb * xs1 + kh * dh * xs2 + kw * dw * xs3",
    ]
    inner = body + " " * 16
    lines += [f"{inner}t{j} = o{j} + t" for j in range(rw)]
    # the next input block's lines for these pixels: a plane away, on another page
    lines.append(f"{inner}if Cb > 1:  # NCHW input read in place has no next block")
    lines += [f"{inner}    prefetch(x, t{j} + xs1)" for j in range(rw)]
    lines += [f"{inner}for ci in range(cin):", f"{inner}    c = ci * xs4"]
    lines += _products(inner + "    ", rk, rw, width, checked=False)
    lines += [
        f"{body}else:",
        f"{body}    for cb in range(Cb):",
        f"{body}        for kh in range(KH):",
        f"{body}            for kw in range(KW):",
        f"{body}                t = cb * xs1 + kh * dh * xs2 + kw * dw * xs3",
    ]
    for j in range(rw):
        lines += [
            f"{inner}y{j} = ih{j} + kh * dh",
            f"{inner}x{j} = iw{j} + kw * dw",
            f"{inner}v{j} = ({j} < count) & (y{j} >= 0) & (y{j} < H) & (x{j} >= 0) & (x{j} < W)",
            f"{inner}t{j} = (o{j} + t) * v{j}",
            f"{inner}s{j} = xs4 * v{j}",
        ]
    lines += [f"{inner}for ci in range(cin):"]
    lines += _products(inner + "    ", rk, rw, width, checked=True)
    lines.append(f"{body}ns = ({', '.join(f'n{j}' for j in range(rw))})")
    lines.append(f"{body}qs = ({', '.join(f'q{j}' for j in range(rw))})")
    lines += _epilogue(body, rk, rw, width, lambda j: f"{j} < count", lambda j: f"ns[{j}]",
                       lambda j: f"qs[{j}]")  # fmt: skip
    at = lines.index("    if True:")  # the job body was written one level deeper
    lines = lines[:at] + [line[4:] for line in lines[at + 1 :]]
    lines += job_kernel(func, "x, w, bias, y, res, out2, aff, g", [
        "    plane = g[12] * g[13]",
        f"    jobs = g[30] * ((((g[0] * plane + {rw - 1}) // {rw}) + g[31] - 1) // g[31])",
        "    if g[32]:  # per-image weights: pixel blocks stay within an image",
        f"        jobs = g[0] * g[30] * ((((plane + {rw - 1}) // {rw}) + g[31] - 1) // g[31])",
        "    return np.int64(jobs)",
    ], "y = act(conv(x, w) + bias [+ res]) [and out2]; g: the geometry (GEOMETRY)")  # fmt: skip
    return "\n".join(lines)


def line_kernel(width: int, variant: str = "") -> str:
    """A 1x1, stride-1, unpadded convolution on blocked input (Winograd's products too):
    a block is RW neighbouring pixels of one image, read at fixed offsets from one pointer,
    so a block costs no per-pixel index arithmetic and no edge checks (the general kernel
    spent ~250 cycles a block on them, as long as 16 channels of products). An image's last
    block moves left to end at its edge; the pixels it computes twice are stored once."""
    rk, rw = VARIANTS[variant][width]
    func = f"conv_c{width}_line" + (f"_{variant}" if variant else "")
    body = " " * 8
    lines = [
        "@njit(cache=True)",
        f"def {func}_job(x, w, bias, y, res, out2, aff, g, job):",
        f'    """One job: {rk} output blocks x a run of {rw}-pixel blocks, {width} lanes."""',
    ]
    fields = len(lines)  # the geometry fields it reads go here, when the body is written
    lines += [
        "    plane = OH * OW",
        f"    per_image = (plane + {rw - 1}) // {rw}",
        f"    kg_size = Cb * cin * {rk * width}",
        *_job_blocks("N * per_image"),
        "    n = first // per_image",
        f"    q = (first - n * per_image) * {rw}",
        "    for _ in range(first, last):",
        "        if q >= plane:  # the next image",
        "            n += 1",
        "            q = 0",
    ]
    # an image's last pixel, alone: cheaper than a block moved left over 5 pixels already
    # done (7x7 maps). Not for more: a lone pixel reads its weights from L2 for RK FMAs,
    # measured slower than the moved block at 4 pixels (14x14)
    inner = body + "    "
    lines += [
        "        if plane - q == 1:",
        f"{inner}wo = kg * kg_size + n * wsn",
        *[f"{inner}a{r}_0 = load(bias, (kg * {rk} + {r}) * {width})" for r in range(rk)],
        f"{inner}for cb in range(Cb):",
        f"{inner}    t = xb + n * xs0 + q * {width} + cb * xs1",
        f"{inner}    for ci in range(cin):",
        *_products(inner + " " * 8, rk, 1, width, checked=False, line=True),
        *_epilogue(inner, rk, 1, width, lambda j: "True", lambda j: "n", lambda j: "q"),
        f"{inner}q += {rw}",
        f"{inner}continue",
        f"        start = min(q, plane - {rw})",
        f"        o = xb + n * xs0 + start * {width}",
        "        wo = kg * kg_size + n * wsn",
    ]
    for r in range(rk):
        lines += [f"{body}a{r}_{j} = load(bias, (kg * {rk} + {r}) * {width})" for j in range(rw)]
    lines += [
        f"{body}for cb in range(Cb):",
        f"{body}    t = o + cb * xs1",
    ]
    # the next input block's lines for this block: a plane away, on another page
    lines += [f"{body}    prefetch(x, t + xs1 + {j * width})" for j in range(rw)]
    lines.append(f"{body}    for ci in range(cin):")
    lines += _products(body + " " * 8, rk, rw, width, checked=False, line=True)
    lines += _epilogue(body, rk, rw, width, lambda j: f"start + {j} >= q", lambda j: "n",
                       lambda j: f"(start + {j})")  # fmt: skip
    lines.append(f"{body}q += {rw}")
    text = "\n".join(lines[fields:])
    lines[fields:fields] = [f"    {name} = g[{i}]" for i, name in enumerate(GEOMETRY)
                            if re.search(rf"\b{name}\b", text)]  # fmt: skip
    lines += job_kernel(func, "x, w, bias, y, res, out2, aff, g", [
        f"    per_image = (g[12] * g[13] + {rw - 1}) // {rw}",
        "    jobs = g[30] * ((g[0] * per_image + g[31] - 1) // g[31])",
        "    if g[32]:  # per-image weights",
        "        jobs = g[0] * g[30] * ((per_image + g[31] - 1) // g[31])",
        "    return np.int64(jobs)",
    ], f"conv_c{width}'s contract, for 1x1, stride-1, unpadded blocked input")  # fmt: skip
    return "\n".join(lines)


def _job_blocks(blocks: str) -> list[str]:
    """A job's output group `kg` and pixel blocks first..last of `blocks` in all."""
    return [
        "    if wsn:  # image-major: a thread's jobs share an image and its weights (in L2)",
        "        chunks = (per_image + bpj - 1) // bpj",
        "        image = job // (KG * chunks)",
        "        rest = job - image * KG * chunks",
        "        kg = rest // chunks",
        "        first = image * per_image + (rest - kg * chunks) * bpj",
        "        last = min((image + 1) * per_image, first + bpj)",
        "    else:",
        f"        chunks = ({blocks} + bpj - 1) // bpj",
        "        kg = job // chunks  # a thread's jobs share weights: they stay in its L2",
        "        first = (job - kg * chunks) * bpj",
        f"        last = min({blocks}, first + bpj)",
    ]


def _epilogue(body: str, rk: int, rw: int, width: int, kept, image, position) -> list[str]:
    """Bias was the accumulators' start; here the residual, activation and store of each
    kept pixel j (`kept("j")`: a condition), at its image and position in the plane
    (`image("j")`, `position("j")`: expressions), and the optional second output. A loop
    over the block's pixels, not code per pixel: Numba types it once (compile time)."""
    lines = [f"{body}for r in range({rk}):", f"{body}    kb = kg * {rk} + r"]
    for r in range(rk):
        cond = "if" if r == 0 else "elif"
        accs = ", ".join(f"a{r}_{j}" for j in range(rw)) + ("," if rw == 1 else "")
        lines.append(f"{body}    {cond} r == {r}:")
        lines.append(f"{body}        es{rw} = ({accs})")
    n, q = image("j"), position("j")
    lines += [
        f"{body}    if kb < Kb:",
        f"{body}        for j in range({rw}):",
        f"{body}            if {kept('j')}:",
        f"{body}                e = es{rw}[j]",
        f"{body}                at = {n} * ys0 + kb * ys1 + {q} * yq",
        f"{body}                if has_res:",
        f"{body}                    r_at = rb + {n} * rs0 + kb * rs1 + {q} * {width}",
        f"{body}                    e = add(e, load(res, r_at))",
        f"{body}                e = activate(e, act)",
        f"{body}                store(y, yb + at, e)",
        f"{body}                if has_y2:",
        f"{body}                    scale = load(aff, kb * {width})",
        f"{body}                    e = fma(e, scale, load(aff, shift + kb * {width}))",
        f"{body}                    store(out2, yb + at, activate(e, act2))",
    ]
    return lines


def _products(indent: str, rk: int, rw: int, width: int, checked: bool,
              line: bool = False) -> list[str]:  # fmt: skip
    """One input channel's RK*RW FMAs. With 32 registers: RK weights, then per pixel one
    broadcast and its RK FMAs (RK*RW + RK + 1 live); in the other order LLVM's scheduler for
    some CPUs (rocketlake) hoisted weight loads above RW live broadcasts and spilled. With
    AVX2's 16: RW broadcasts, then per weight vector RW FMAs (RK*RW + RW + 1 live). Edge
    blocks select each tap's source pointer (input or a zero) outside the channel loop."""

    def broadcast(j: int) -> str:
        if line:  # one pointer, the pixels at fixed offsets from it
            return f"broadcast(x, t + ci + {j * width})"
        if checked:
            return f"broadcast_or_zero(x, t{j} + ci * s{j}, v{j})"
        return f"broadcast(x, t{j} + c)"

    lines = []
    if rk * rw + rk + 1 <= REGISTERS[width]:
        lines += [f"{indent}w{r} = load(w, wo + {r * width})" for r in range(rk)]
        for j in range(rw):
            lines.append(f"{indent}b = {broadcast(j)}")
            lines += [f"{indent}a{r}_{j} = fma(b, w{r}, a{r}_{j})" for r in range(rk)]
    else:
        lines += [f"{indent}b{j} = {broadcast(j)}" for j in range(rw)]
        for r in range(rk):
            lines.append(f"{indent}wr = load(w, wo + {r * width})")
            lines += [f"{indent}a{r}_{j} = fma(b{j}, wr, a{r}_{j})" for j in range(rw)]
    # the weights 4 KB ahead, one request per cache line this iteration reads
    lines += [f"{indent}prefetch(w, wo + {PREFETCH_FLOATS + line})"
              for line in range(0, rk * width, 16)]  # fmt: skip
    lines.append(f"{indent}wo += {rk * width}")
    return lines


def activation() -> str:
    return '''@njit(cache=True)
def activate(v, act):
    """The activations a blocked epilogue applies itself; others run after it. Not inlined
    by Numba: typed once, not at each of a kernel's 12-24 call sites (a line kernel compiled
    in 4.8 s instead of 7.7 s); LLVM inlines it (measured: same speed)."""
    if act == RELU:
        return maximum(v, splat(np.float32(0.0)))
    if act == RELU6:
        return minimum(maximum(v, splat(np.float32(0.0))), splat(np.float32(6.0)))
    if act == HARD_SWISH:
        gate = fma(v, splat(np.float32(1.0 / 6.0)), splat(np.float32(0.5)))
        gate = minimum(maximum(gate, splat(np.float32(0.0))), splat(np.float32(1.0)))
        return mul(v, gate)
    return v'''


IMPORTS = """
import numpy as np
from numba import njit

from tilewise.kernels.activation import HARD_SWISH, RELU, RELU6
from tilewise.kernels.launch import JobKernel
from tilewise.kernels.simd import VECTOR_OPS
"""


def render() -> str:
    doc = ("Channel-blocked direct convolution kernels, one per vector width; see\n"
           "tools/gen_nchwc.py for the register blocking.\n")  # fmt: skip
    parts = [header("tools/gen_nchwc.py", doc) + IMPORTS,
             f"GEOMETRY = {tuple(GEOMETRY)!r}",
             source_digest("simd.py", "activation.py"),
             f"BLOCKING = {CONFIGS!r}  # width -> (output blocks, pixels)",
             f"NARROW_BLOCKING = {NARROW!r}  # for a layer's last 1-2 blocks",
             f"THIRD_BLOCKING = {THIRD!r}  # for a 1x1 layer's last 3 blocks",
             f"SINGLE_BLOCKING = {SINGLE!r}  # for a 1x1 layer's last block"]  # fmt: skip
    for width in CONFIGS:
        parts += per_width(
            width,
            [
                activation(),
                kernel(width),
                kernel(width, "narrow"),
                line_kernel(width),
                line_kernel(width, "narrow"),
                line_kernel(width, "third"),
                line_kernel(width, "single"),
            ],
            OPS,
        )
    kernels = ", ".join(f"{width}: conv_c{width}" for width in CONFIGS)
    narrow = ", ".join(f"{width}: conv_c{width}_narrow" for width in CONFIGS)
    line = ", ".join(f"{width}: conv_c{width}_line" for width in CONFIGS)
    line_narrow = ", ".join(f"{width}: conv_c{width}_line_narrow" for width in CONFIGS)
    line_third = ", ".join(f"{width}: conv_c{width}_line_third" for width in CONFIGS)
    line_single = ", ".join(f"{width}: conv_c{width}_line_single" for width in CONFIGS)
    parts += [
        "",
        "",
        f"KERNELS = {{{kernels}}}",
        f"NARROW_KERNELS = {{{narrow}}}",
        f"LINE_KERNELS = {{{line}}}",
        f"LINE_NARROW_KERNELS = {{{line_narrow}}}",
        f"LINE_THIRD_KERNELS = {{{line_third}}}",
        f"LINE_SINGLE_KERNELS = {{{line_single}}}",
        "",
    ]
    return "\n".join(parts)
