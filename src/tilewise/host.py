"""Facts about the CPU this process runs on: model name and SIMD flags.

Lowest layer: planning (tuning keys) and benchmarks (reports) both read it.
"""

from __future__ import annotations

import platform
from pathlib import Path

SIMD_FLAGS = ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile",
              "neon", "asimd", "sve")  # fmt: skip


def _cpuinfo_line(prefixes: tuple[str, ...]) -> str | None:
    cpuinfo = Path("/proc/cpuinfo")
    if not cpuinfo.exists():
        return None
    for line in cpuinfo.read_text().splitlines():
        if line.startswith(prefixes):
            return line.split(":", 1)[1].strip()
    return None


def cpu_model() -> str:
    return _cpuinfo_line(("model name", "Model")) or platform.processor() or platform.machine()


def cpu_flags() -> str:
    """The SIMD flags that matter for these kernels, as /proc/cpuinfo lists them."""
    line = _cpuinfo_line(("flags", "Features"))
    if line is None:
        return "unknown"
    present = set(line.split())
    return " ".join(f for f in SIMD_FLAGS if f in present) or "none listed"
