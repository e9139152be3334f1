"""Matrix products on one thread pool of our own, with BLAS itself single-threaded.

Numba kernels and BLAS calls alternate in every layer. With BLAS multi-threaded, its idle
threads spin while Numba's run and vice versa (measured on 2 cores: Winograd products 25%
slower and transforms up to 2x slower). So BLAS gets one thread per call and tilewise
splits each product into `threads` parts itself; numpy releases the GIL inside BLAS.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

SMALL_FLOPS = 10_000_000  # below this a split costs more than it saves (~30 us to wake a worker)

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


def matmul(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
    """out = a @ b for 2-D operands, or stacks (a 2-D `a` applies to every matrix of `b`)."""
    rows, depth = a.shape[-2:]
    cols = b.shape[-1]
    stack = out.shape[0] if out.ndim == 3 else 1
    if _threads == 1 or 2 * rows * depth * cols * stack < SMALL_FLOPS:
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
