"""Source of src/tilewise/kernels/winograd_generated.py: Winograd transform steps with the
matrix entries written out as constants, one function per tile size.

Each step reads alpha rows of a tile block and writes all its output rows in one loop
over tiles, so every element is loaded and stored once and the loop vectorises; the
generic loops accumulated in memory and ran 3x slower. Run: python tools/generate.py
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from codegen import combination, header, job_prologue, source_digest

# Load the matrices module by path: the package imports the file this script writes.
_spec = importlib.util.spec_from_file_location(
    "winograd_matrices",
    Path(__file__).resolve().parents[1] / "src/tilewise/kernels/winograd_matrices.py",
)
_matrices = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_matrices)
winograd_matrices = _matrices.winograd_matrices

TARGET = "src/tilewise/kernels/winograd_generated.py"


def constant(value: float) -> str:
    """Name of a float32 constant, so products stay in single precision."""
    return "k" + repr(float(value)).replace("-", "m").replace(".", "p").replace("e", "e")


def constants_prelude(*matrices) -> list[str]:
    values = sorted({abs(float(v)) for mat in matrices for v in mat.ravel()} - {0.0, 1.0})
    return [f"    {constant(v)} = np.float32({v!r})" for v in values]


def linear(coefs, names: list[str]) -> str:
    return combination(list(zip(coefs, names, strict=True)), constant)


def input_kernel(m: int) -> str:
    _, _, b_t = winograd_matrices(m)
    alpha = m + 2
    rows = [f"d{i}" for i in range(alpha)]
    lines = [
        "@njit(parallel=True, cache=True)",
        f"def input_f{m}(x, v, pad_h, pad_w, tiles_h, tiles_w, work):",
        f'    """F({m}x{m},3x3) input: x (B, C, H, W) -> v ({alpha * alpha}, C, tiles)."""',
        *constants_prelude(b_t),
        *job_prologue("x", "channels", "c", "d", "tmp"),
        f"        gather_tiles(x, d, c, t0, count, {alpha}, {m}, {m}, pad_h, pad_w, tiles_h,"
        " tiles_w)",
        f"        for j in range({alpha}):  # B^T down the columns of each tile",
        "            for q in range(count):",
    ]
    lines += [f"                d{i} = d[{i * alpha} + j, q]" for i in range(alpha)]
    lines += [
        f"                tmp[{a * alpha} + j, q] = {linear(b_t[a], rows)}" for a in range(alpha)
    ]
    lines += [
        f"        for a in range({alpha}):  # B along the rows, into V",
        f"            base = a * {alpha}",
        "            for q in range(count):",
    ]
    lines += [f"                d{j} = tmp[base + {j}, q]" for j in range(alpha)]
    lines += [
        f"                v[base + {b}, c, t0 + q] = {linear(b_t[b], rows)}" for b in range(alpha)
    ]
    return "\n".join(lines)


def output_kernel(m: int) -> str:
    a_t, _, _ = winograd_matrices(m)
    alpha = m + 2
    rows = [f"s{a}" for a in range(alpha)]
    lines = [
        "@njit(parallel=True, cache=True)",
        f"def output_f{m}(mm, out, bias, act, tiles_h, tiles_w, work):",
        f'    """F({m}x{m},3x3) output: mm ({alpha * alpha}, K, tiles) -> act(out + bias)."""',
        *constants_prelude(a_t),
        *job_prologue("out", "filters", "k", "s", "y"),
        "        shift = bias[k]",
        f"        for b in range({alpha}):  # A^T down the columns",
        "            for q in range(count):",
    ]
    lines += [f"                s{a} = mm[{a * alpha} + b, k, t0 + q]" for a in range(alpha)]
    lines += [f"                s[{i * alpha} + b, q] = {linear(a_t[i], rows)}" for i in range(m)]
    lines += [
        f"        for i in range({m}):  # A along the rows, plus the bias",
        "            for q in range(count):",
    ]
    lines += [f"                s{b} = s[i * {alpha} + {b}, q]" for b in range(alpha)]
    lines += [
        f"                y[i * {m} + {j}, q] = shift + {linear(a_t[j], rows)}" for j in range(m)
    ]
    lines += [f"        scatter_tiles(y, out, k, t0, count, {m}, {m}, {m}, tiles_h, tiles_w, act)"]
    return "\n".join(lines)


IMPORTS = """
import numba
import numpy as np
from numba import njit, prange

from tilewise.kernels.tiles import gather_tiles, scatter_tiles
"""


def render() -> str:
    """The module's source, before formatting."""
    doc = (
        "Winograd transform kernels with the matrix entries of kernels/winograd_matrices.py"
        "\nas constants; see kernels/tiles.py.\n"
    )
    parts = [
        header("tools/gen_winograd.py", doc) + IMPORTS,
        source_digest("tiles.py", "activation.py"),
    ]
    for m in (2, 4, 6):
        parts += ["", "", input_kernel(m), "", "", output_kernel(m)]
    parts += ["", "", "INPUT = {2: input_f2, 4: input_f4, 6: input_f6}",
              "OUTPUT = {2: output_f2, 4: output_f4, 6: output_f6}", ""]  # fmt: skip
    return "\n".join(parts)
