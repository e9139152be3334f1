"""Facts about the CPU this process runs on: model name and SIMD flags.

Lowest layer: planning (tuning keys) and benchmarks (reports) both read it.
"""

from __future__ import annotations

import os
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


def simd_width() -> int:
    """float32 lanes of the widest vector unit the kernels use: 16 with AVX-512, 8 with AVX2
    (or any other x86-64: LLVM splits the vectors), 4 on ARM (NEON). $TILEWISE_BLOCK forces it."""
    forced = os.environ.get("TILEWISE_BLOCK")
    if forced:
        if forced not in ("4", "8", "16"):
            raise ValueError(f"TILEWISE_BLOCK must be 4, 8 or 16, got '{forced}'")
        return int(forced)
    flags = set(cpu_flags().split())
    if "avx512f" in flags:
        return 16
    if platform.machine().lower() in ("aarch64", "arm64"):
        return 4
    return 8
