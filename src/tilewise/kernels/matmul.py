"""Matrix products split over the cores, with BLAS itself single-threaded.

Numba kernels and BLAS calls alternate in every layer. With BLAS multi-threaded, its idle
threads spin while Numba's run and vice versa (measured on 2 cores: Winograd products 25%
slower and transforms up to 2x slower). So BLAS gets one thread per call and tilewise
splits each product `threads` ways on Numba's threads (kernels/gemm_split.py).
"""

from __future__ import annotations

import numpy as np

from tilewise.kernels.gemm_split import blas_operand, split_products

SMALL_FLOPS = 1_000_000  # below this one BLAS call on the calling thread is faster
DTYPES = (np.float32, np.complex64)

_threads = 1


def configure(threads: int) -> None:
    global _threads
    _threads = threads


def matmul(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
    """out = a @ b for 2-D operands, or stacks (a 2-D `a` applies to every matrix of `b`)."""
    rows, depth = a.shape[-2:]
    cols = b.shape[-1]
    stack = out.shape[0] if out.ndim == 3 else 1
    if _threads == 1 or 2 * rows * depth * cols * stack < SMALL_FLOPS or not _splits(a, b, out):
        np.matmul(a, b, out=out)
        return
    if out.ndim == 2:
        a, b, out = a[None], b[None], out[None]
    elif a.ndim == 2:
        a = np.broadcast_to(a, (stack, *a.shape))
    split_products(a, b, out, _threads)


def _splits(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> bool:
    """Operands BLAS reads in place, one dtype, out row-major, stacks matched."""
    if not a.dtype == b.dtype == out.dtype or out.dtype not in DTYPES:
        return False
    if out.ndim not in (2, 3) or b.ndim != out.ndim or a.ndim not in (2, out.ndim):
        return False
    if out.strides[-1] != out.itemsize or min(out.strides) < 0:
        return False
    return blas_operand(a) and blas_operand(b) and min(a.strides[-2:] + b.strides[-2:]) >= 0
