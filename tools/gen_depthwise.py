"""Source of src/tilewise/kernels/depthwise_generated.py: depthwise convolution on
channel-blocked (NCHWc) activations with explicit vectors, one kernel per vector width.

A pixel's c lanes are c channels, each with its own filter, so one output pixel is one
vector FMA per tap. A job is `rows` output rows of one channel block (enough work to hide
the cost of a call by address; see conv/nchwc_depthwise.py): runs of PIXELS output pixels
whose taps all fall inside the input keep their accumulators in registers and load each
tap's weight vector once for the run; pixels at the edges take the checked path. (The
plain-loop kernel kept its accumulators in memory and reread them for every tap.)
"""

from __future__ import annotations

from codegen import header, job_kernel, per_width, source_digest
from gen_nchwc import activation

TARGET = "src/tilewise/kernels/depthwise_generated.py"
OPS = ("load", "store", "load_if", "splat", "fma", "maximum", "minimum", "mul", "activate")
WIDTHS = (16, 8, 4)
PIXELS = 4  # accumulators per run: 4 + 1 weight + 4 loads fit AVX2's 16 registers
GEOMETRY = "Cb H W OH OW KH KW sh sw ph pw dh dw rows lo hi act".split()


# (KW, stride) with undilated taps: each input of a row loaded once for the run's pixels
WINDOWS = ((3, 1), (5, 1), (3, 2), (5, 2))


def _window(kw: int, stride: int, width: int, indent: str) -> list[str]:
    """One kernel row over a run: (PIXELS - 1) * stride + kw loads instead of PIXELS * kw
    (the run was bound by its loads: one per FMA and a weight). Columns in the padding
    (`inside{j}` 0) load zeros, so runs at the left and right edges take this path too."""
    span = (PIXELS - 1) * stride + kw
    lines = [f"{indent}i{j} = load_if(x, (base + {j * width}) * inside{j}, inside{j})"
             for j in range(span)]  # fmt: skip
    for k in range(kw):
        lines.append(f"{indent}wv = load(w, wrow + {k * width})")
        lines += [f"{indent}a{p} = fma(i{p * stride + k}, wv, a{p})" for p in range(PIXELS)]
    return lines


def _columns(kw: int, stride: int, indent: str) -> list[str]:
    """Which of a run's input columns fall inside the input: the same for every row."""
    span = (PIXELS - 1) * stride + kw
    return [f"{indent}inside{j} = np.int64((ox * sw - pw + {j} >= 0) & (ox * sw - pw + {j} < W))"
            for j in range(span)]  # fmt: skip


def kernel(width: int) -> str:
    fields = "\n".join(f"    {name} = g[{i}]" for i, name in enumerate(GEOMETRY))
    accumulate = "\n".join(
        f"                        a{p} = fma(load(x, at + {p} * sw * {width}), wv, a{p})"
        for p in range(PIXELS)
    )
    windows = []
    for i, (kw, stride) in enumerate(WINDOWS):
        cond = "if" if i == 0 else "elif"
        windows.append(f"            {cond} (window == {i}) & (OW >= {PIXELS}):")
        # the row's last run moves left to end at the edge: a few pixels computed twice
        windows.append(f"                ox = min(ox, OW - {PIXELS})")
        windows += _columns(kw, stride, " " * 16)
        windows += [
            f"                {' = '.join(f'a{p}' for p in range(PIXELS))} = b",
            "                for ky in range(KH):",
            "                    iy = oy * sh - ph + ky * dh",
            "                    if iy < 0 or iy >= H:",
            "                        continue",
            f"                    base = xb + iy * W * {width} + (ox * sw - pw) * {width}",
            f"                    wrow = wb + ky * KW * {width}",
        ]
        windows += _window(kw, stride, width, " " * 20)
        windows += [f"                store(y, yb + (ox + {p}) * {width}, activate(a{p}, act))"
                    for p in range(PIXELS)]  # fmt: skip
        windows.append(f"                ox += {PIXELS}")
    windows = "\n".join(windows)
    window_of = " else ".join(f"{i} if (KW == {kw}) & (sw == {stride}) & (dw == 1)"
                              for i, (kw, stride) in enumerate(WINDOWS)) + " else -1"  # fmt: skip
    stores = "\n".join(
        f"                store(y, yb + (ox + {p}) * {width}, activate(a{p}, act))"
        for p in range(PIXELS)
    )
    starts = " = ".join(f"a{p}" for p in range(PIXELS))
    return f'''@njit(cache=True)
def depthwise_c{width}_job(x, w, bias, y, g, job):
    """`rows` output rows of one channel block, {width} lanes."""
{fields}
    chunks = (OH + rows - 1) // rows
    n = job // (Cb * chunks)
    rest = job - n * Cb * chunks
    cb = rest // chunks
    first = (rest - cb * chunks) * rows
    xb = (n * Cb + cb) * H * W * {width}
    wb = cb * KH * KW * {width}
    b = load(bias, cb * {width})
    window = {window_of}
    for oy in range(first, min(first + rows, OH)):
        yb = ((n * Cb + cb) * OH + oy) * OW * {width}
        ox = 0
        while ox < OW:
{windows}
            elif ox >= lo and ox + {PIXELS} <= hi:
                {starts} = b
                for ky in range(KH):
                    iy = oy * sh - ph + ky * dh
                    if iy < 0 or iy >= H:
                        continue
                    row = xb + iy * W * {width}
                    for kx in range(KW):
                        wv = load(w, wb + (ky * KW + kx) * {width})
                        at = row + (ox * sw - pw + kx * dw) * {width}
{accumulate}
{stores}
                ox += {PIXELS}
            else:
                a0 = b
                for ky in range(KH):
                    iy = oy * sh - ph + ky * dh
                    if iy < 0 or iy >= H:
                        continue
                    for kx in range(KW):
                        ix = ox * sw - pw + kx * dw
                        if ix >= 0 and ix < W:
                            wv = load(w, wb + (ky * KW + kx) * {width})
                            a0 = fma(load(x, xb + (iy * W + ix) * {width}), wv, a0)
                store(y, yb + ox * {width}, activate(a0, act))
                ox += 1''' + "\n".join(
        job_kernel(
            f"depthwise_c{width}",
            "x, w, bias, y, g",
            [
                f"    images = x.size // (g[0] * g[1] * g[2] * {width})",
                "    return np.int64(images * g[0] * ((g[3] + g[13] - 1) // g[13]))",
            ],
            "y = act(depthwise(x, w) + bias) on contiguous blocked arrays; g: GEOMETRY",
        )
    )


IMPORTS = """
import numpy as np
from numba import njit

from tilewise.kernels.activation import HARD_SWISH, RELU, RELU6
from tilewise.kernels.launch import JobKernel
from tilewise.kernels.simd import VECTOR_OPS
"""


def render() -> str:
    doc = ("Channel-blocked depthwise convolution kernels, one per vector width; see\n"
           "tools/gen_depthwise.py for the register blocking.\n")  # fmt: skip
    parts = [header("tools/gen_depthwise.py", doc) + IMPORTS,
             f"GEOMETRY = {tuple(GEOMETRY)!r}",
             source_digest("simd.py", "activation.py"),
             f"PIXELS = {PIXELS}  # output pixels per register run"]  # fmt: skip
    kernels = []
    for width in WIDTHS:
        parts += per_width(width, [activation(), kernel(width)], OPS)
        kernels.append(f"{width}: depthwise_c{width}")
    parts += ["", "", f"KERNELS = {{{', '.join(kernels)}}}", ""]
    return "\n".join(parts)
