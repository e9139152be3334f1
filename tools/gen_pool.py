"""Source of src/tilewise/kernels/pool_generated.py: max and average pooling on
channel-blocked (NCHWc) activations with explicit vectors, one kernel per vector width.

One output pixel's window is one vector max or add per tap, the accumulator in a register.
(The plain-loop kernel reread and rewrote the output lanes for every tap, and its NaN
check was a branch: Inception-BN's 13 poolings took 2.2 ms of its 21 ms on 2 threads.)
A job is one output row of one channel block; windows are clipped as the NCHW kernels
clip them.
"""

from __future__ import annotations

from codegen import header, per_width, source_digest

TARGET = "src/tilewise/kernels/pool_generated.py"
OPS = ("load", "store", "splat", "add", "mul", "maximum_nan")
WIDTHS = (16, 8, 4)
# Kt, k0: the output array's channel blocks and the first one written (a Concat's buffer)
GEOMETRY = "Cb H W OH OW kh kw sh sw ph pw is_max count_include_pad Kt k0".split()


def kernel(width: int) -> str:
    fields = "\n".join(f"    {name} = g[{i}]" for i, name in enumerate(GEOMETRY))
    return f'''@njit(cache=True)
def pool_c{width}_job(x, y, g, job):
    """One output row of one channel block, {width} lanes."""
{fields}
    n = job // (Cb * OH)
    rest = job - n * Cb * OH
    cb = rest // OH
    oy = rest - cb * OH
    xb = (n * Cb + cb) * H * W * {width}
    yb = ((n * Kt + k0 + cb) * OH + oy) * OW * {width}
    ys = oy * sh - ph
    y0, y1 = max(ys, 0), min(ys + kh, H)
    for ox in range(OW):
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


@njit(parallel=True, cache=True)
def pool_c{width}(x, y, g):
    """y = max or average pooling of x, both flat (N, Cb, H, W, {width}); g: GEOMETRY."""
    jobs = x.size // (g[1] * g[2] * {width}) * g[3]  # images x Cb x OH
    for job in prange(jobs):
        pool_c{width}_job(x, y, g, np.int64(job))  # one signature: see gen_nchwc'''


IMPORTS = """
import numpy as np
from numba import njit, prange

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
