"""Write src/tilewise/kernels/winograd_generated.py: Winograd transform steps with the
matrix entries written out as constants, one function per tile size.

Each step reads alpha rows of a tile block and writes all its output rows in one loop
over tiles, so every element is loaded and stored once and the loop vectorises; the
generic loops accumulated in memory and ran 3x slower. Run: python tools/gen_winograd.py
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

# Load the matrices module by path: the package imports the file this script writes.
_spec = importlib.util.spec_from_file_location(
    "winograd_matrices",
    Path(__file__).resolve().parents[1] / "src/tilewise/kernels/winograd_matrices.py",
)
_matrices = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_matrices)
winograd_matrices = _matrices.winograd_matrices

OUT = Path(__file__).resolve().parents[1] / "src/tilewise/kernels/winograd_generated.py"


def constant(value: float) -> str:
    """Name of a float32 constant, so products stay in single precision."""
    return "k" + repr(float(value)).replace("-", "m").replace(".", "p").replace("e", "e")


def constants_prelude(*matrices) -> list[str]:
    values = sorted({abs(float(v)) for mat in matrices for v in mat.ravel()} - {0.0, 1.0})
    return [f"    {constant(v)} = np.float32({v!r})" for v in values]


def combination(coefs, names: list[str]) -> str:
    terms = []
    for coef, name in zip(coefs, names, strict=True):
        if coef == 0:
            continue
        if coef == 1:
            terms.append(f"+ {name}")
        elif coef == -1:
            terms.append(f"- {name}")
        else:
            terms.append(f"{'+' if coef > 0 else '-'} {constant(abs(coef))} * {name}")
    text = " ".join(terms) or "0.0"
    return text[2:] if text.startswith("+ ") else "-" + text[2:] if text.startswith("- ") else text


def input_kernel(m: int) -> str:
    _, _, b_t = winograd_matrices(m)
    alpha = m + 2
    rows = [f"d{i}" for i in range(alpha)]
    lines = [
        "@njit(parallel=True, cache=True)",
        f"def input_f{m}(x, v, pad_h, pad_w, tiles_h, tiles_w, work):",
        f'    """F({m}x{m},3x3) input: x (B, C, H, W) -> v ({alpha * alpha}, C, tiles)."""',
        *constants_prelude(b_t),
        "    channels = x.shape[1]",
        "    block = work.shape[3]",
        "    total = x.shape[0] * tiles_h * tiles_w",
        "    n_blocks = (total + block - 1) // block",
        "    for job in prange(channels * n_blocks):",
        "        c = job // n_blocks",
        "        t0 = (job - c * n_blocks) * block",
        "        count = min(block, total - t0)",
        "        d = work[numba.get_thread_id(), 0]",
        "        tmp = work[numba.get_thread_id(), 1]",
        f"        gather_tiles(x, d, c, t0, count, {alpha}, {m}, {m}, pad_h, pad_w, tiles_h,"
        " tiles_w)",
        f"        for j in range({alpha}):  # B^T down the columns of each tile",
        "            for q in range(count):",
    ]
    lines += [f"                d{i} = d[{i * alpha} + j, q]" for i in range(alpha)]
    lines += [
        f"                tmp[{a * alpha} + j, q] = {combination(b_t[a], rows)}"
        for a in range(alpha)
    ]
    lines += [
        f"        for a in range({alpha}):  # B along the rows, into V",
        f"            base = a * {alpha}",
        "            for q in range(count):",
    ]
    lines += [f"                d{j} = tmp[base + {j}, q]" for j in range(alpha)]
    lines += [
        f"                v[base + {b}, c, t0 + q] = {combination(b_t[b], rows)}"
        for b in range(alpha)
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
        "    filters = out.shape[1]",
        "    block = work.shape[3]",
        "    total = out.shape[0] * tiles_h * tiles_w",
        "    n_blocks = (total + block - 1) // block",
        "    for job in prange(filters * n_blocks):",
        "        k = job // n_blocks",
        "        t0 = (job - k * n_blocks) * block",
        "        count = min(block, total - t0)",
        "        s = work[numba.get_thread_id(), 0]",
        "        y = work[numba.get_thread_id(), 1]",
        "        shift = bias[k]",
        f"        for b in range({alpha}):  # A^T down the columns",
        "            for q in range(count):",
    ]
    lines += [f"                s{a} = mm[{a * alpha} + b, k, t0 + q]" for a in range(alpha)]
    lines += [
        f"                s[{i * alpha} + b, q] = {combination(a_t[i], rows)}" for i in range(m)
    ]
    lines += [
        f"        for i in range({m}):  # A along the rows, plus the bias",
        "            for q in range(count):",
    ]
    lines += [f"                s{b} = s[i * {alpha} + {b}, q]" for b in range(alpha)]
    lines += [
        f"                y[i * {m} + {j}, q] = shift + {combination(a_t[j], rows)}"
        for j in range(m)
    ]
    lines += [f"        scatter_tiles(y, out, k, t0, count, {m}, {m}, {m}, tiles_h, tiles_w, act)"]
    return "\n".join(lines)


HEADER = '''"""Generated by tools/gen_winograd.py from kernels/winograd_matrices.py: do not edit.

Winograd transform kernels with the matrix entries as constants; see kernels/tiles.py.
"""

import numba
import numpy as np
from numba import njit, prange

from tilewise.kernels.tiles import gather_tiles, scatter_tiles
'''


def main() -> None:
    parts = [HEADER]
    for m in (2, 4, 6):
        parts += ["", "", input_kernel(m), "", "", output_kernel(m)]
    parts += ["", "", "INPUT = {2: input_f2, 4: input_f4, 6: input_f6}",
              "OUTPUT = {2: output_f2, 4: output_f4, 6: output_f6}", ""]  # fmt: skip
    OUT.write_text("\n".join(parts))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
