"""Matrix products split over the cores, with BLAS itself single-threaded.

Numba kernels and BLAS calls alternate in every layer. With BLAS multi-threaded, its idle
threads spin while Numba's run and vice versa (measured on 2 cores: Winograd products 25%
slower and transforms up to 2x slower). So BLAS gets one thread per call and tilewise
splits each product into `threads` parts itself: on Numba's threads when SciPy is there
(kernels/gemm_split.py: no extra wake-up), else on a small Python thread pool (numpy
releases the GIL inside BLAS).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

SMALL_FLOPS = 10_000_000  # below this a split costs more than it saves (~30 us to wake a worker)
SMALL_FLOPS_NUMBA = 1_000_000  # Numba's threads are awake already: splits pay off sooner
# Larger products split better over the pool (measured: VGG-16 and ResNet-50 10-25% slower
# when every product went through Numba); the wake-up matters only for short ones.
LARGE_FLOPS_NUMBA = 64_000_000
ROWS_PER_PART = 16

try:  # Numba's np.dot reaches BLAS through SciPy
    import scipy.linalg.cython_blas  # noqa: F401

    from tilewise.kernels.gemm_split import dot_rows, dot_stack

    NUMBA_BLAS = True
except ImportError:
    NUMBA_BLAS = False

_threads = 1
_executor: ThreadPoolExecutor | None = None


def configure(threads: int) -> None:
    global _threads, _executor
    if threads != _threads:
        if _executor is not None:
            _executor.shutdown(wait=True)
        _executor = ThreadPoolExecutor(threads - 1, "tilewise-gemm") if threads > 1 else None
        _threads = threads


def _bounds(size: int, parts: int, align: int = 1) -> list[tuple[int, int]]:
    step = -(-size // parts)
    step = -(-step // align) * align
    return [(lo, min(lo + step, size)) for lo in range(0, size, step)]


def _run_parts(jobs: list[tuple]) -> None:
    """Run np.matmul(a, b, out=out) for each (a, b, out); the caller takes the first."""
    if _executor is None or len(jobs) == 1:
        for a, b, out in jobs:
            np.matmul(a, b, out=out)
        return
    futures = [_executor.submit(np.matmul, a, b, out=out) for a, b, out in jobs[1:]]
    a, b, out = jobs[0]
    np.matmul(a, b, out=out)
    for future in futures:
        future.result()


def _numba_split(a: np.ndarray, b: np.ndarray, out: np.ndarray, rows: int, flops: int) -> bool:
    """Split on Numba's threads when the operands allow it; False when they do not."""
    if not NUMBA_BLAS or not SMALL_FLOPS_NUMBA <= flops < LARGE_FLOPS_NUMBA:
        return False
    if rows < ROWS_PER_PART * _threads:
        return False
    operands = (a, b, out)
    if any(x.dtype != np.float32 or not x.flags.c_contiguous for x in operands):
        return False
    if out.ndim == 2 and a.ndim == 2 and b.ndim == 2:
        dot_rows(a, b, out, _threads)
        return True
    if out.ndim == 3 and b.ndim == 3 and a.ndim in (2, 3):
        dot_stack(a, b, out, _threads)
        return True
    return False


def matmul(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
    """out = a @ b for 2-D operands, or stacks (a 2-D `a` applies to every matrix of `b`)."""
    rows, depth = a.shape[-2:]
    cols = b.shape[-1]
    stack = out.shape[0] if out.ndim == 3 else 1
    flops = 2 * rows * depth * cols * stack
    if _threads > 1 and _numba_split(a, b, out, rows, flops):
        return
    if _threads == 1 or flops < SMALL_FLOPS:
        np.matmul(a, b, out=out)
        return
    if out.ndim == 3 and stack >= _threads:
        parts = _bounds(stack, _threads)
        a_part = (lambda lo, hi: a) if a.ndim == 2 else (lambda lo, hi: a[lo:hi])
        _run_parts([(a_part(lo, hi), b[lo:hi], out[lo:hi]) for lo, hi in parts])
    elif cols >= rows:  # split columns; BLAS takes the strided slices as they are
        parts = _bounds(cols, _threads, 16)
        _run_parts([(a, b[..., lo:hi], out[..., lo:hi]) for lo, hi in parts])
    else:
        parts = _bounds(rows, _threads, 16)
        _run_parts([(a[..., lo:hi, :], b, out[..., lo:hi, :]) for lo, hi in parts])
