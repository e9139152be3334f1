"""Matrix products split over Numba's own threads, each part one single-threaded BLAS call.

Numba's threads are the only pool: a Python pool beside it woke in 20-55 us, and its
threads and Numba's spun against each other on every other step. Each part calls
SciPy's BLAS through Numba's `numba_xxgemm` (as np.dot does), with leading dimensions,
so a part may be a column slice: a wide product splits by columns and each thread reads
only its half of the right operand. Operands are 2-D views with one unit stride (either
order); out is row-major.
"""

import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.core import cgutils
from numba.extending import intrinsic
from numba.np.linalg import ensure_blas, make_constant_slot

ensure_blas()  # SciPy's BLAS: a core dependency

PANEL = 16  # parts split on whole 16-row or 16-column BLAS panels
KINDS = {types.float32: "s", types.complex64: "c"}
NO_TRANSPOSE, TRANSPOSE = ord("n"), ord("t")


@intrinsic
def _xgemm(typingctx, trans_a, trans_b, m, n, k, a, lda, b, ldb, c, ldc):
    """Column-major BLAS gemm: c (m x n) = op(a) @ op(b), alpha 1, beta 0."""
    dtype = c.dtype
    sig = types.int32(types.intp, types.intp, types.intp, types.intp, types.intp, a,
                      types.intp, b, types.intp, c, types.intp)  # fmt: skip

    def codegen(context, builder, signature, args):
        char, void_p = ir.IntType(8), ir.IntType(8).as_pointer()
        intp = context.get_value_type(types.intp)
        fnty = ir.FunctionType(ir.IntType(32), [char, char, char, intp, intp, intp, void_p,
                                                void_p, intp, void_p, intp, void_p, void_p,
                                                intp])  # fmt: skip
        fn = cgutils.get_or_insert_function(builder.module, fnty, "numba_xxgemm")
        ta, tb, m_, n_, k_, a_, lda_, b_, ldb_, c_, ldc_ = args

        def data(index, value):
            array = context.make_array(signature.args[index])(context, builder, value)
            return builder.bitcast(array.data, void_p)

        alpha = builder.bitcast(make_constant_slot(context, builder, dtype, 1.0), void_p)
        beta = builder.bitcast(make_constant_slot(context, builder, dtype, 0.0), void_p)
        return builder.call(fn, (ir.Constant(char, ord(KINDS[dtype])),
                                 builder.trunc(ta, char), builder.trunc(tb, char), m_, n_, k_,
                                 alpha, data(5, a_), lda_, data(7, b_), ldb_, beta,
                                 data(9, c_), ldc_))  # fmt: skip

    return sig, codegen


@njit(inline="always")
def _as_column_major(x):
    """(op, leading dimension) of the column-major BLAS operand that is x transposed."""
    item = x.itemsize
    if x.strides[1] == item:  # row-major x is its transpose in column-major order
        return NO_TRANSPOSE, max(1, x.shape[1], x.strides[0] // item)
    return TRANSPOSE, max(1, x.shape[0], x.strides[1] // item)


@njit(inline="always")
def _gemm(a, b, out):
    """out = a @ b as out^T = b^T @ a^T in BLAS's column-major terms."""
    rows, depth, cols = a.shape[0], a.shape[1], b.shape[1]
    if rows == 0 or cols == 0:
        return
    op_b, ld_b = _as_column_major(b)
    op_a, ld_a = _as_column_major(a)
    ld_out = max(1, cols, out.strides[0] // out.itemsize)
    _xgemm(op_b, op_a, cols, rows, depth, b, ld_b, a, ld_a, out, ld_out)


@njit(parallel=True, cache=True)
def split_products(a, b, out, parts):
    """out[s] = a[s] @ b[s] for every s (3-D views): whole matrices per thread when the
    stack has `parts` of them, else each matrix's columns (or rows, if taller than wide)
    split `parts` ways."""
    stack, rows, cols = out.shape
    pieces = 1 if stack >= parts else parts
    by_columns = cols >= rows
    size = cols if by_columns else rows
    step = ((size + pieces - 1) // pieces + PANEL - 1) // PANEL * PANEL
    for job in prange(stack * pieces):
        s = job // pieces
        lo = (job - s * pieces) * step
        hi = min(size, lo + step)
        if lo < hi:
            if by_columns:
                _gemm(a[s], b[s, :, lo:hi], out[s, :, lo:hi])
            else:
                _gemm(a[s, lo:hi], b[s], out[s, lo:hi])


def blas_operand(x: np.ndarray) -> bool:
    """Whether BLAS reads x's matrices in place: one unit stride among the last two."""
    item = x.itemsize
    return x.strides[-1] == item or x.strides[-2] == item
