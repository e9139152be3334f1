"""The shared part of the time estimates for algo="auto": how fast a matrix product runs.

Fitted on a 2-core AVX-512 machine over 28 3x3 layers of VGG, ResNet and Inception at
batch 1 and 16, once with OpenBLAS's AVX-512 kernels and once with its AVX2 ones: the
estimates then pick layers within 1% of the best measured total time. Rates scale with
the thread count; `algo="tune"` replaces the estimate with a measurement. Each algorithm's
own terms (transforms, copies) live in its module.
"""

from __future__ import annotations

from functools import cache

from threadpoolctl import threadpool_info

WIDE_SIMD_BLAS = ("skylakex", "cooperlake", "sapphirerapids", "zen4", "mkl")
WEIGHT_BYTES_PER_SECOND = 25e9  # packed weights stream from memory once per call
HALF_EFFICIENCY_COLUMNS = 20  # GEMM width at which half the rate is reached
GEMM_CALL_SECONDS = 3e-6  # fixed cost of one BLAS call: grouped convolutions make many


@cache
def gemm_flops_per_thread() -> float:
    """Sustained sgemm rate per thread inside these networks' layers, 2 threads busy: AVX-512
    kernels run about twice AVX2's (re-measured on a 2-core Sapphire Rapids, 2026-11-30:
    the 95e9 fitted on an EPYC made every NCHW estimate 1.3-2x optimistic)."""
    for pool in threadpool_info():
        if pool.get("user_api") == "blas":
            kind = f"{pool.get('internal_api')} {pool.get('architecture')}".lower()
            return 70e9 if any(w in kind for w in WIDE_SIMD_BLAS) else 37e9
    return 37e9


def gemm_seconds(flops: float, columns: int, threads: int) -> float:
    efficiency = columns / (columns + HALF_EFFICIENCY_COLUMNS)
    return flops / (gemm_flops_per_thread() * threads * efficiency)


def weight_seconds(elements: int, bytes_per_element: int = 4) -> float:
    return elements * bytes_per_element / WEIGHT_BYTES_PER_SECOND
