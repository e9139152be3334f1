"""Source of src/tilewise/kernels/pool_generated.py: max and average pooling on
channel-blocked (NCHWc) activations with explicit vectors, one kernel per vector width.

One output pixel's window is one vector max or add per tap, the accumulator in a register.
(The plain-loop kernel reread and rewrote the output lanes for every tap, and its NaN
check was a branch: Inception-BN's 13 poolings took 2.2 ms of its 21 ms on 2 threads.)
A job is `rows` output rows of one channel block (operators/blocked.py); windows are
clipped as the NCHW kernels clip them. Runs of RUN outputs whose 3-wide windows lie inside
the input (stride 1 or 2) load each input of a window row once for the run.
"""

from __future__ import annotations

from codegen import header, job_kernel, per_width, source_digest

TARGET = "src/tilewise/kernels/pool_generated.py"
OPS = ("load", "store", "splat", "add", "mul", "maximum_nan")
WIDTHS = (16, 8, 4)
# Kt, k0: the output array's channel blocks and the first one written (a Concat's buffer);
# rows: output rows per job
GEOMETRY = "Cb H W OH OW kh kw sh sw ph pw is_max count_include_pad Kt k0 rows".split()


RUN = 4  # output pixels per run of 3-wide windows


def _run(stride: int, is_max: bool, width: int) -> str:
    """RUN outputs of 3-wide windows: each input of a window row loaded once for the run
    ((RUN - 1) * stride + 3 loads instead of 3 * RUN)."""
    indent = " " * 28
    span = (RUN - 1) * stride + 3
    op = "maximum_nan" if is_max else "add"
    lines = [f"{indent}i{j} = load(x, row + {j * width})" for j in range(span)]
    for k in range(3):
        lines += [f"{indent}a{p} = {op}(a{p}, i{p * stride + k})" for p in range(RUN)]
    return "\n".join(lines)


def kernel(width: int) -> str:
    fields = "\n".join(f"    {name} = g[{i}]" for i, name in enumerate(GEOMETRY))
    runs = {(s, m): _run(s, m, width) for s in (1, 2) for m in (True, False)}
    starts = " = ".join(f"a{p}" for p in range(RUN))
    stores = "\n".join(
        f"                    store(y, yb + (ox + {p}) * {width}, mul(a{p}, scale))"
        for p in range(RUN)
    )
    max_stores = "\n".join(
        f"                    store(y, yb + (ox + {p}) * {width}, a{p})" for p in range(RUN)
    )
    return f'''@njit(cache=True)
def pool_c{width}_job(x, y, g, job):
    """`rows` output rows of one channel block, {width} lanes."""
{fields}
    chunks = (OH + rows - 1) // rows
    n = job // (Cb * chunks)
    rest = job - n * Cb * chunks
    cb = rest // chunks
    first = (rest - cb * chunks) * rows
    xb = (n * Cb + cb) * H * W * {width}
    lo = min((pw + sw - 1) // sw, OW)  # the columns whose windows lie inside the input
    hi = max(min((W - kw + pw) // sw + 1, OW), lo)
    runs = (kw == 3) & ((sw == 1) | (sw == 2))
    for oy in range(first, min(first + rows, OH)):
        yb = ((n * Kt + k0 + cb) * OH + oy) * OW * {width}
        ys = oy * sh - ph
        y0, y1 = max(ys, 0), min(ys + kh, H)
        ox = 0
        while ox < OW:
            if runs & (ox >= lo) & (ox + {RUN} <= hi):
                row0 = xb + (ox * sw - pw) * {width}
                if is_max:
                    {starts} = splat(np.float32(-np.inf))
                    for iy in range(y0, y1):
                        row = row0 + iy * W * {width}
                        if sw == 1:
{runs[(1, True)]}
                        else:
{runs[(2, True)]}
{max_stores}
                else:
                    {starts} = splat(np.float32(0.0))
                    for iy in range(y0, y1):
                        row = row0 + iy * W * {width}
                        if sw == 1:
{runs[(1, False)]}
                        else:
{runs[(2, False)]}
                    if count_include_pad:
                        area = (min(ys + kh, H + ph) - ys) * kw
                    else:
                        area = max((y1 - y0) * kw, 1)
                    scale = splat(np.float32(1.0 / area))
{stores}
                ox += {RUN}
                continue
            xs = ox * sw - pw
            x0, x1 = max(xs, 0), min(xs + kw, W)
            if is_max:
                acc = splat(np.float32(-np.inf))
                for iy in range(y0, y1):
                    for ix in range(x0, x1):
                        acc = maximum_nan(acc, load(x, xb + (iy * W + ix) * {width}))
            else:
                acc = splat(np.float32(0.0))
                for iy in range(y0, y1):
                    for ix in range(x0, x1):
                        acc = add(acc, load(x, xb + (iy * W + ix) * {width}))
                if count_include_pad:
                    area = (min(ys + kh, H + ph) - ys) * (min(xs + kw, W + pw) - xs)
                else:
                    area = max((y1 - y0) * (x1 - x0), 1)
                acc = mul(acc, splat(np.float32(1.0 / area)))
            store(y, yb + ox * {width}, acc)
            ox += 1''' + "\n".join(
        job_kernel(
            f"pool_c{width}",
            "x, y, g",
            [
                "    chunks = (g[3] + g[15] - 1) // g[15]",
                f"    return np.int64(x.size // (g[1] * g[2] * {width}) * chunks)  # N Cb chunks",
            ],
            f"y = max or average pooling of x, both flat (N, Cb, H, W, {width}); g: GEOMETRY",
        )
    )


IMPORTS = """
import numpy as np
from numba import njit

from tilewise.kernels.launch import JobKernel
from tilewise.kernels.simd import VECTOR_OPS
"""


def render() -> str:
    doc = "Channel-blocked pooling kernels, one per vector width; see tools/gen_pool.py.\n"
    parts = [header("tools/gen_pool.py", doc) + IMPORTS,
             f"GEOMETRY = {tuple(GEOMETRY)!r}", source_digest("simd.py")]  # fmt: skip
    for width in WIDTHS:
        parts += per_width(width, [kernel(width)], OPS)
    kernels = ", ".join(f"{width}: pool_c{width}" for width in WIDTHS)
    parts += ["", "", f"KERNELS = {{{kernels}}}", ""]
    return "\n".join(parts)
