"""What the numbers were measured on: CPU, cores, library versions."""

from __future__ import annotations

import platform

import numba
import numpy as np
from threadpoolctl import threadpool_info

from tilewise.host import cpu_flags, cpu_model
from tilewise.version import __version__


def blas_description() -> str:
    pools = [p for p in threadpool_info() if p.get("user_api") == "blas"]
    if not pools:
        return "unknown"
    pool = pools[0]
    return f"{pool.get('internal_api')} {pool.get('version')} ({pool.get('architecture')})"


def _threading_layer() -> str:
    try:
        return numba.threading_layer()
    except ValueError:  # no parallel kernel has run yet
        return str(numba.config.THREADING_LAYER)


def describe(threads: int) -> dict:
    from tilewise.runtime.threads import default_threads

    return {
        "cpu": cpu_model(),
        "machine": platform.machine(),
        "cores": default_threads(),
        "cpu_flags": cpu_flags(),
        "threads": threads,
        "python": platform.python_version(),
        "tilewise": __version__,
        "numpy": np.__version__,
        "numba": numba.__version__,
        "numba_threading": _threading_layer(),
        "blas": blas_description(),
    }
