"""Time estimates per convolution algorithm, for algo="auto".

Fitted on a 2-core AVX-512 machine over 28 3x3 layers of VGG, ResNet and Inception at
batch 1 and 16, once with OpenBLAS's AVX-512 kernels and once with its AVX2 ones: the
estimates then pick layers within 1% of the best measured total time. Rates scale with
the thread count; `algo="tune"` replaces the estimate with a measurement.
"""

from __future__ import annotations

import math
from functools import cache

from threadpoolctl import threadpool_info

WIDE_SIMD_BLAS = ("skylakex", "cooperlake", "sapphirerapids", "zen4", "mkl")
WEIGHT_BYTES_PER_SECOND = 25e9  # packed weights stream from memory once per call
HALF_EFFICIENCY_COLUMNS = 20  # GEMM width at which half the rate is reached
TRANSFORM_SECONDS = 1.0e-9  # per transformed element per thread, for 6x6 tiles
IM2COL_SECONDS = 0.4e-9  # per copied element per thread
FFT_TRANSFORM_SECONDS = 1.0e-9  # per real spectrum value per thread, for 8x8 tiles
GEMM_CALL_SECONDS = 3e-6  # fixed cost of one BLAS call: grouped convolutions make many
DEPTHWISE_MAC_SECONDS = 0.1e-9  # per multiply-add per thread, vectorised along rows


@cache
def gemm_flops_per_thread() -> float:
    """Sustained sgemm rate per thread: AVX-512 kernels run about twice AVX2's."""
    for pool in threadpool_info():
        if pool.get("user_api") == "blas":
            kind = f"{pool.get('internal_api')} {pool.get('architecture')}".lower()
            return 95e9 if any(w in kind for w in WIDE_SIMD_BLAS) else 50e9
    return 50e9


def _gemm_seconds(flops: float, columns: int, threads: int) -> float:
    efficiency = columns / (columns + HALF_EFFICIENCY_COLUMNS)
    return flops / (gemm_flops_per_thread() * threads * efficiency)


def gemm_estimate(attrs: dict, in_shape: tuple, out_shape: tuple, threads: int,
                  chunk_columns: int, copies: bool) -> float:  # fmt: skip
    batch, channels = in_shape[:2]
    filters, plane = out_shape[1], out_shape[2] * out_shape[3]
    depth = channels // attrs["num_group"] * math.prod(attrs["kernel"])
    flops = 2 * batch * filters * plane * depth
    seconds = _gemm_seconds(flops, chunk_columns, threads)
    seconds += filters * depth * 4 / WEIGHT_BYTES_PER_SECOND
    if copies:
        seconds += IM2COL_SECONDS / threads * batch * plane * depth * attrs["num_group"]
    return seconds + GEMM_CALL_SECONDS * attrs["num_group"] * math.ceil(
        batch * plane / chunk_columns
    )


def depthwise_estimate(attrs: dict, in_shape: tuple, out_shape: tuple, threads: int) -> float:
    macs = math.prod(out_shape) * math.prod(attrs["kernel"])
    return DEPTHWISE_MAC_SECONDS * macs / threads


def winograd_estimate(m: int, in_shape: tuple, out_shape: tuple, threads: int,
                      chunk_tiles: int) -> float:  # fmt: skip
    batch, channels = in_shape[:2]
    filters, out_h, out_w = out_shape[1:]
    alpha = m + 2
    positions = alpha * alpha
    tiles = batch * math.ceil(out_h / m) * math.ceil(out_w / m)
    seconds = _gemm_seconds(2 * filters * channels * positions * tiles, chunk_tiles, threads)
    seconds += positions * filters * channels * 4 / WEIGHT_BYTES_PER_SECOND
    per_element = TRANSFORM_SECONDS / threads * alpha / 6
    return seconds + per_element * (channels + filters) * positions * tiles


def fft_estimate(size: int, kernel: tuple, in_shape: tuple, out_shape: tuple, threads: int,
                 chunk_tiles: int) -> float:  # fmt: skip
    """Complex products count 4 real multiply-adds; the DFT transforms are dense."""
    batch, channels = in_shape[:2]
    filters, out_h, out_w = out_shape[1:]
    bins = size * (size // 2 + 1)
    tiles = batch * -(-out_h // (size - kernel[0] + 1)) * -(-out_w // (size - kernel[1] + 1))
    seconds = _gemm_seconds(8 * filters * channels * bins * tiles, chunk_tiles, threads)
    seconds += bins * filters * channels * 8 / WEIGHT_BYTES_PER_SECOND
    per_element = FFT_TRANSFORM_SECONDS / threads * size / 8
    return seconds + per_element * (channels + filters) * 2 * bins * tiles
