"""Source of src/tilewise/kernels/nchwc_winograd_generated.py: Winograd F(m x m, 3 x 3)
transforms on channel-blocked (NCHWc) activations, one pair per tile size and vector width.

A job is one tile of one channel block: its alpha x alpha pixels are c-lane vectors, so
B^T d B and A^T m A are vector adds and FMAs with the matrix entries as constants (the
NCHW transforms gathered scalars through a work area). Each is a loop over columns, then
one over rows, through the job's own vectors of V or M: fully unrolled, the F4 pair took
10 s to compile per width. The input transform writes V (alpha^2, Cb, tiles, c), blocked
like the activations, so V[p] @ U[p] is a 1x1 convolution for the blocked direct kernel;
the output transform reads M (alpha^2, Kb, tiles, c) and applies bias, the residual sum
and the activation before its one store per output pixel. A thread's jobs walk along one
channel plane, so V and M are written and read in order. V's and M's positions lie VS / MS
floats apart, a cache line more than their size: at a power-of-two size all alpha^2
vectors of a tile fell into one L1 set.
"""

from __future__ import annotations

from codegen import header, job_kernel, per_width, source_digest
from gen_nchwc import activation
from gen_winograd import winograd_matrices

TARGET = "src/tilewise/kernels/nchwc_winograd_generated.py"
OPS = ("load", "load_if", "store", "splat", "fma", "add", "sub", "mul", "maximum", "minimum",
       "activate")  # fmt: skip
WIDTHS = (16, 8, 4)
TILES = (2, 4)  # F6 took 21 s to compile per width: left out (conv/nchwc_winograd.py)
INPUT_GEOMETRY = "Cb H W tiles_h tiles_w ph pw n0 T VS".split()
# Kt, k0: the output array's channel blocks and the first one written (a Concat's buffer)
OUTPUT_GEOMETRY = "Kb OH OW tiles_h tiles_w n0 T has_res act MS Kt k0".split()
# 1-D F(m, r) for 1 x r and r x 1 kernels: a tile is m outputs along one axis; mh, mw: the
# tile's extent (1 x m or m x 1); dy, dx: the step along it (0, 1 or 1, 0)
# (m, r): Inception-v3's 1x3 / 3x1 layers. F(2, 7) for its 1x7 / 7x1 ones measured level with
# the direct kernel inside the network (9.20 vs 9.25 ms at batch 1, 131 vs 131 ms at 16)
TILES_1D = ((4, 3),)
AXIS = "mh mw dy dx".split()


def _name(value: float) -> str:
    text = repr(abs(float(value))).replace(".", "p").replace("-", "m")
    return ("kn" if value < 0 else "k") + text


def _combination(pairs: list[tuple[float, str]], constants: set[float]) -> str:
    """sum(coef * vector) as intrinsic calls: +-1 as add/sub, others as FMAs on splats."""
    expression = None
    for coef, name in pairs:
        coef = round(float(coef), 12)
        if coef == 0:
            continue
        if expression is None:
            if coef == 1:
                expression = name
            else:
                constants.add(coef)
                expression = f"mul({_name(coef)}, {name})"
        elif coef == 1:
            expression = f"add({expression}, {name})"
        elif coef == -1:
            expression = f"sub({expression}, {name})"
        else:
            constants.add(coef)
            expression = f"fma({_name(coef)}, {name}, {expression})"
    return expression or "zero"


def _tile_of_job(block: str) -> list[str]:
    """A job's channel block, tile t, image n and tile row ty (jobs walk one plane)."""
    return [
        f"    {block} = job // T",
        f"    t = job - {block} * T",
        "    per_image = tiles_h * tiles_w",
        "    n = n0 + t // per_image",
        "    rest = t - (t // per_image) * per_image",
        "    ty = rest // tiles_w",
    ]


def _constants(values: set[float], indent: str) -> list[str]:
    return [f"{indent}{_name(v)} = splat(np.float32({v!r}))" for v in sorted(values)]


def input_kernel(m: int, width: int) -> str:
    _, _, b_t = winograd_matrices(m)
    alpha = m + 2
    fields = [f"    {name} = g[{i}]" for i, name in enumerate(INPUT_GEOMETRY)]
    constants: set[float] = set()
    column = ["        c = (x0 + j >= 0) & (x0 + j < W)"]
    for i in range(alpha):
        at = f"base + ((y0 + {i}) * W + x0 + j) * {width}"
        column += [f"        ok = (y0 + {i} >= 0) & (y0 + {i} < H) & c",
                   f"        d{i} = load_if(x, ({at}) * ok, ok)"]  # fmt: skip
    for a in range(alpha):
        terms = [(b_t[a, i], f"d{i}") for i in range(alpha)]
        at = f"({a * alpha} + j) * VS + (cb * T + t) * {width}"
        column.append(f"        store(v, {at}, {_combination(terms, constants)})")
    row = [
        f"        d{j} = load(v, (a * {alpha} + {j}) * VS + (cb * T + t) * {width})"
        for j in range(alpha)
    ]
    for b in range(alpha):
        terms = [(b_t[b, j], f"d{j}") for j in range(alpha)]
        at = f"(a * {alpha} + {b}) * VS + (cb * T + t) * {width}"
        row.append(f"        store(v, {at}, {_combination(terms, constants)})")
    lines = [
        "@njit(cache=True)",
        f"def input_f{m}_c{width}_job(x, v, g, job):",
        f'    """One {alpha}x{alpha} tile of one channel block -> V, {width} lanes: B^T down the',
        '    columns into V, then B along its rows in place (short loops: small to compile)."""',
        *fields,
        *_tile_of_job("cb"),  # a thread's jobs walk along one channel plane: V's rows in order
        f"    y0 = ty * {m} - ph",
        f"    x0 = (rest - ty * tiles_w) * {m} - pw",
        f"    base = (n * Cb + cb) * H * W * {width}",
        *_constants(constants, "    "),
        f"    for j in range({alpha}):",
        *column,
        f"    for a in range({alpha}):",
        *row,
    ]
    lines += job_kernel(f"input_f{m}_c{width}", "x, v, g", ["    return np.int64(g[8] * g[0])"],
                        "x flat (N, Cb, H, W, c) -> v: alpha^2 rows of Cb * T * c, VS apart; "
                        "g: INPUT_GEOMETRY")  # fmt: skip
    return "\n".join(lines)


def output_kernel(m: int, width: int) -> str:
    a_t, _, _ = winograd_matrices(m)
    alpha = m + 2
    fields = [f"    {name} = g[{i}]" for i, name in enumerate(OUTPUT_GEOMETRY) if name != "Kb"]
    constants: set[float] = set()
    column = [
        f"        s{a} = load(mm, ({a * alpha} + b) * MS + (kb * T + t) * {width})"
        for a in range(alpha)
    ]
    for i in range(m):  # A^T down the column, in place in M (this job's vectors only)
        terms = [(a_t[i, a], f"s{a}") for a in range(alpha)]
        at = f"({i * alpha} + b) * MS + (kb * T + t) * {width}"
        column.append(f"        store(mm, {at}, {_combination(terms, constants)})")
    row = [
        f"        s{b} = load(mm, (i * {alpha} + {b}) * MS + (kb * T + t) * {width})"
        for b in range(alpha)
    ]
    row.append(f"        oy = ty * {m} + i")
    for j in range(m):
        terms = [(a_t[j, b], f"s{b}") for b in range(alpha)]
        row += [
            f"        ox = tx * {m} + {j}",
            "        if (oy < OH) & (ox < OW):",
            f"            e = add({_combination(terms, constants)}, shift)",
            f"            at = out_base + (oy * OW + ox) * {width}",
            "            if has_res:",
            "                e = add(e, load(res, at))",
            "            store(y, at, activate(e, act))",
        ]
    lines = [
        "@njit(cache=True)",
        f"def output_f{m}_c{width}_job(mm, y, bias, res, g, job):",
        f'    """M -> one {m}x{m} output tile of one channel block, {width} lanes; bias, the',
        '    residual and the activation applied before the one store per pixel."""',
        *fields,
        *_tile_of_job("kb"),
        "    tx = rest - ty * tiles_w",
        f"    out_base = (n * Kt + k0 + kb) * OH * OW * {width}",
        f"    shift = load(bias, kb * {width})",
        *_constants(constants, "    "),
        f"    for b in range({alpha}):",
        *column,
        f"    for i in range({m}):",
        *row,
    ]
    lines += job_kernel(f"output_f{m}_c{width}", "mm, y, bias, res, g",
                        ["    return np.int64(g[6] * g[0])"],
                        "mm: alpha^2 rows of Kb * T * c, MS apart -> y flat (N, Kb, OH, OW, c); "
                        "g: OUTPUT_GEOMETRY")  # fmt: skip
    return "\n".join(lines)


def input_kernel_1d(m: int, r: int, width: int) -> str:
    _, _, b_t = winograd_matrices(m, r)
    alpha = m + r - 1
    names = INPUT_GEOMETRY + AXIS
    fields = [f"    {name} = g[{i}]" for i, name in enumerate(names)]
    constants: set[float] = set()
    body = []
    for i in range(alpha):
        body += [
            f"    yy, xx = y0 + {i} * dy, x0 + {i} * dx",
            "    ok = (yy >= 0) & (yy < H) & (xx >= 0) & (xx < W)",
            f"    d{i} = load_if(x, (base + (yy * W + xx) * {width}) * ok, ok)",
        ]
    for a in range(alpha):
        terms = [(b_t[a, i], f"d{i}") for i in range(alpha)]
        body.append(f"    store(v, {a} * VS + at, {_combination(terms, constants)})")
    lines = [
        "@njit(cache=True)",
        f"def input_f{m}r{r}_c{width}_job(x, v, g, job):",
        f'    """One {alpha}-pixel tile along one axis of one channel block -> V."""',
        *fields,
        *_tile_of_job("cb"),
        "    y0 = ty * mh - ph",
        "    x0 = (rest - ty * tiles_w) * mw - pw",
        f"    base = (n * Cb + cb) * H * W * {width}",
        f"    at = (cb * T + t) * {width}",
        *_constants(constants, "    "),
        *body,
    ]
    lines += job_kernel(
        f"input_f{m}r{r}_c{width}",
        "x, v, g",
        ["    return np.int64(g[8] * g[0])"],
        "x flat (N, Cb, H, W, c) -> v: alpha rows of Cb * T * c, VS apart",
    )
    return "\n".join(lines)


def output_kernel_1d(m: int, r: int, width: int) -> str:
    a_t, _, _ = winograd_matrices(m, r)
    alpha = m + r - 1
    names = OUTPUT_GEOMETRY + AXIS
    fields = [f"    {name} = g[{i}]" for i, name in enumerate(names) if name != "Kb"]
    constants: set[float] = set()
    body = [f"    s{a} = load(mm, {a} * MS + at)" for a in range(alpha)]
    for j in range(m):
        terms = [(a_t[j, a], f"s{a}") for a in range(alpha)]
        body += [
            f"    oy, ox = oy0 + {j} * dy, ox0 + {j} * dx",
            "    if (oy < OH) & (ox < OW):",
            f"        e = add({_combination(terms, constants)}, shift)",
            f"        out = out_base + (oy * OW + ox) * {width}",
            "        if has_res:",
            "            e = add(e, load(res, out))",
            "        store(y, out, activate(e, act))",
        ]
    lines = [
        "@njit(cache=True)",
        f"def output_f{m}r{r}_c{width}_job(mm, y, bias, res, g, job):",
        f'    """M -> one {m}-pixel output tile of one channel block; bias, residual, act."""',
        *fields,
        *_tile_of_job("kb"),
        "    oy0 = ty * mh",
        "    ox0 = (rest - ty * tiles_w) * mw",
        f"    out_base = (n * Kt + k0 + kb) * OH * OW * {width}",
        f"    at = (kb * T + t) * {width}",
        f"    shift = load(bias, kb * {width})",
        *_constants(constants, "    "),
        *body,
    ]
    lines += job_kernel(
        f"output_f{m}r{r}_c{width}",
        "mm, y, bias, res, g",
        ["    return np.int64(g[6] * g[0])"],
        "mm: alpha rows of Kb * T * c, MS apart -> y flat (N, Kb, OH, OW, c)",
    )
    return "\n".join(lines)


IMPORTS = """
import numpy as np
from numba import njit

from tilewise.kernels.activation import HARD_SWISH, RELU, RELU6
from tilewise.kernels.launch import JobKernel
from tilewise.kernels.simd import VECTOR_OPS
"""


def render() -> str:
    doc = ("Winograd transforms on channel-blocked arrays, per tile size and vector width;\n"
           "see tools/gen_nchwc_winograd.py.\n")  # fmt: skip
    parts = [header("tools/gen_nchwc_winograd.py", doc) + IMPORTS,
             f"INPUT_GEOMETRY = {tuple(INPUT_GEOMETRY)!r}",
             f"OUTPUT_GEOMETRY = {tuple(OUTPUT_GEOMETRY)!r}",
             f"AXIS = {tuple(AXIS)!r}  # the 1-D kernels' geometry: the 2-D one, then these",
             source_digest("simd.py", "activation.py", "winograd_matrices.py")]  # fmt: skip
    for width in WIDTHS:
        sources = [activation()]
        for m in TILES:
            sources += [input_kernel(m, width), output_kernel(m, width)]
        for m, r in TILES_1D:
            sources += [input_kernel_1d(m, r, width), output_kernel_1d(m, r, width)]
        parts += per_width(width, sources, OPS)
    table = ", ".join(
        f"({m}, {w}): (input_f{m}_c{w}, output_f{m}_c{w})" for m in TILES for w in WIDTHS
    )
    table_1d = ", ".join(
        f"({m}, {r}, {w}): (input_f{m}r{r}_c{w}, output_f{m}r{r}_c{w})"
        for m, r in TILES_1D
        for w in WIDTHS
    )
    parts += ["", "", f"KERNELS = {{{table}}}  # (m, width) -> (input, output)",
              f"KERNELS_1D = {{{table_1d}}}  # (m, r, width) -> (input, output)", ""]  # fmt: skip
    return "\n".join(parts)
