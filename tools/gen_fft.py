"""Source of src/tilewise/kernels/fft_generated.py: tiled-FFT transform kernels for 8x8 and
16x16 tiles, the DFT entries written out as float32 constants.

Input: V[(u, v)] = DFT2(d)[u, v] for v <= T/2 (real input: half the spectrum), stored
as complex64 (re, im pairs). Output: y = IDFT2 of the half spectrum M (Hermitian
completion folded into the weights 1 or 2 per column), plus bias and activation; the
scatter keeps only the rows and columns a tile owns. Run: python tools/generate.py
"""

from __future__ import annotations

import math
import re

from codegen import combination, header, job_prologue, source_digest

TARGET = "src/tilewise/kernels/fft_generated.py"


def const(value: float) -> str:
    value = round(value, 12)
    if value in (0.0, -0.0):
        return "0"
    return "k" + f"{abs(value):.9f}".replace(".", "p").rstrip("0") + ("n" if value < 0 else "")


def with_constants(lines: list[str], values) -> str:
    """Insert float32 definitions, after the docstring, of the constants the body uses."""
    names = {const(abs(round(v, 12))): abs(round(v, 12)) for v in values}
    body = "\n".join(lines)
    used = sorted(set(re.findall(r"\bk\d+p\d*\b", body)))
    defs = [f"    {n} = np.float32({names[n]!r})" for n in used]
    return "\n".join(lines[:3] + defs + lines[3:])


def total(pairs: list[tuple[float, str]]) -> str:
    return combination(pairs, const)


def input_kernel(size: int) -> str:
    half = size // 2 + 1
    angle = 2 * math.pi / size
    cos = [[math.cos(angle * a * b) for b in range(size)] for a in range(size)]
    sin = [[math.sin(angle * a * b) for b in range(size)] for a in range(size)]
    lines = [
        "@njit(parallel=True, cache=True)",
        f"def input_fft{size}(x, v, step_h, step_w, pad_h, pad_w, tiles_h, tiles_w, work):",
        f'    """{size}x{size} tiles of x -> v ({size}*{half}, C, tiles, 2): half-spectrum DFT."""',
        *job_prologue("x", "channels", "c", "d", "z"),
        f"        gather_tiles(x, d, c, t0, count, {size}, step_h, step_w, pad_h, pad_w,",
        "                     tiles_h, tiles_w)",
        f"        for i in range({size}):  # real DFT along each row: z[i, v] for v <= T/2",
        "            for q in range(count):",
    ]
    names = [f"d{j}" for j in range(size)]
    lines += [f"                d{j} = d[i * {size} + {j}, q]" for j in range(size)]
    for vv in range(half):
        re = total([(cos[vv][j], names[j]) for j in range(size)])
        im = total([(-sin[vv][j], names[j]) for j in range(size)])
        lines.append(f"                z[i * {2 * half} + {2 * vv}, q] = {re}")
        lines.append(f"                z[i * {2 * half} + {2 * vv + 1}, q] = {im}")
    lines += [
        f"        for vv in range({half}):  # complex DFT down each column",
        "            for q in range(count):",
    ]
    for i in range(size):
        lines.append(f"                r{i} = z[{i * 2 * half} + 2 * vv, q]")
        lines.append(f"                m{i} = z[{i * 2 * half} + 2 * vv + 1, q]")
    for u in range(size):
        # (r + i m)(cos - i sin) = r cos + m sin + i (m cos - r sin)
        re = total([(cos[u][i], f"r{i}") for i in range(size)]
                   + [(sin[u][i], f"m{i}") for i in range(size)])  # fmt: skip
        im = total([(cos[u][i], f"m{i}") for i in range(size)]
                   + [(-sin[u][i], f"r{i}") for i in range(size)])  # fmt: skip
        lines.append(f"                v[{u * half} + vv, c, t0 + q, 0] = {re}")
        lines.append(f"                v[{u * half} + vv, c, t0 + q, 1] = {im}")
    return with_constants(lines, [c for row in cos + sin for c in row])


def output_kernel(size: int) -> str:
    half = size // 2 + 1
    angle = 2 * math.pi / size
    cos = [[math.cos(angle * a * b) for b in range(size)] for a in range(size)]
    sin = [[math.sin(angle * a * b) for b in range(size)] for a in range(size)]
    scale = 1.0 / (size * size)
    weight = [1.0 if v in (0, size // 2) else 2.0 for v in range(half)]
    lines = [
        "@njit(parallel=True, cache=True)",
        f"def output_fft{size}(mm, out, bias, act, step_h, step_w, tiles_h, tiles_w, work):",
        f'    """mm ({size}*{half}, K, tiles, 2) -> out: inverse DFT, bias, activation."""',
        *job_prologue("out", "filters", "k", "p", "y"),
        "        shift = bias[k]",
        f"        for vv in range({half}):  # inverse complex DFT down each column",
        "            for q in range(count):",
    ]
    for u in range(size):
        lines.append(f"                r{u} = mm[{u * half} + vv, k, t0 + q, 0]")
        lines.append(f"                m{u} = mm[{u * half} + vv, k, t0 + q, 1]")
    for i in range(size):
        # (r + i m)(cos + i sin) = r cos - m sin + i (m cos + r sin)
        re = total([(cos[i][u], f"r{u}") for u in range(size)]
                   + [(-sin[i][u], f"m{u}") for u in range(size)])  # fmt: skip
        im = total([(cos[i][u], f"m{u}") for u in range(size)]
                   + [(sin[i][u], f"r{u}") for u in range(size)])  # fmt: skip
        lines.append(f"                p[{i * 2 * half} + 2 * vv, q] = {re}")
        lines.append(f"                p[{i * 2 * half} + 2 * vv + 1, q] = {im}")
    lines += [
        f"        for i in range({size}):  # real inverse DFT along each row",
        "            for q in range(count):",
    ]
    for vv in range(half):
        lines.append(f"                r{vv} = p[i * {2 * half} + {2 * vv}, q]")
        lines.append(f"                m{vv} = p[i * {2 * half} + {2 * vv + 1}, q]")
    for j in range(size):
        terms = [(weight[vv] * scale * cos[vv][j], f"r{vv}") for vv in range(half)]
        terms += [(-weight[vv] * scale * sin[vv][j], f"m{vv}") for vv in range(half)]
        lines.append(f"                y[i * {size} + {j}, q] = shift + {total(terms)}")
    lines.append(
        f"        scatter_tiles(y, out, k, t0, count, {size}, step_h, step_w, tiles_h,"
        " tiles_w, act)"
    )
    values = [w * scale * c for row in cos + sin for c in row for w in (1.0, 2.0)]
    return with_constants(lines, values + [c for row in cos + sin for c in row])


IMPORTS = """
import numba
import numpy as np
from numba import njit, prange

from tilewise.kernels.tiles import gather_tiles, scatter_tiles
"""


def render() -> str:
    """The module's source, before formatting."""
    parts = [
        header("tools/gen_fft.py", "Tiled-FFT transforms; see conv/fft.py.") + IMPORTS,
        source_digest("tiles.py", "activation.py"),
    ]
    for size in (8, 16):
        parts += ["", "", input_kernel(size), "", "", output_kernel(size)]
    parts += ["", "", "INPUT = {8: input_fft8, 16: input_fft16}",
              "OUTPUT = {8: output_fft8, 16: output_fft16}", ""]  # fmt: skip
    return "\n".join(parts)
