"""What the numbers were measured on: CPU, cores, library versions."""

from __future__ import annotations

import platform
from pathlib import Path

import numba
import numpy as np
from threadpoolctl import threadpool_info


def cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith(("model name", "Model")):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


SIMD_FLAGS = ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile",
              "neon", "asimd", "sve")  # fmt: skip


def cpu_flags() -> str:
    """The SIMD flags that matter for these kernels, as /proc/cpuinfo lists them."""
    cpuinfo = Path("/proc/cpuinfo")
    if not cpuinfo.exists():
        return "unknown"
    for line in cpuinfo.read_text().splitlines():
        if line.startswith(("flags", "Features")):
            present = set(line.split(":", 1)[1].split())
            return " ".join(f for f in SIMD_FLAGS if f in present) or "none listed"
    return "unknown"


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
    from tilewise import __version__
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
