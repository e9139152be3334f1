"""One setting for every pool: Numba's and BLAS's, so they never oversubscribe the cores."""

from __future__ import annotations

import os
import threading

import numba
from threadpoolctl import threadpool_limits

from tilewise.errors import TilewiseError
from tilewise.kernels import matmul as gemm

_current: int | None = None

# Model calls, compilation and tuning run one at a time in a process. Numba's kernels hold
# the GIL, so two calls could not overlap anyway; each call sets every pool to its model's
# thread count, so overlapping calls could reconfigure the pools under each other and
# oversubscribe the cores. Re-entrant: compiling runs the model once.
EXECUTION = threading.RLock()


def default_threads() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def set_threads(threads: int | None = None) -> int:
    """Apply `threads` (default: the number of cores) to every pool; returns it.

    Numba's kernels get `threads`; BLAS is held to one thread per call and tilewise's
    own pool splits each matrix product `threads` ways (see kernels/matmul.py).
    """
    global _current
    threads = default_threads() if threads is None else threads
    if not isinstance(threads, int) or threads < 1:
        raise TilewiseError(f"threads must be a positive integer, got {threads!r}")
    threads = min(threads, numba.config.NUMBA_NUM_THREADS)
    if threads != _current:
        # gemm imported SciPy's BLAS (if there): the limit covers numpy's and SciPy's
        threadpool_limits(limits=1, user_api="blas")
        gemm.configure(threads)
        _current = threads
    numba.set_num_threads(threads)  # per calling thread in Numba, so always applied
    return threads
