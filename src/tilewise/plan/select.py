"""Per-layer convolution algorithm choice: candidates with an applicability rule, a cost
estimate and a priority; a measured tuning record wins where one exists.

Adding an algorithm is one implementation plus one `ConvAlgorithm` entry here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from tilewise.errors import TilewiseError
from tilewise.ir.ops import asymmetric
from tilewise.operators.conv_depthwise import DepthwiseConvolution, depthwise_why_not
from tilewise.operators.conv_fft import FFTConvolution, fft_tiles_per_chunk, fft_why_not
from tilewise.operators.conv_gemm import GemmConvolution, images_per_chunk
from tilewise.operators.conv_winograd import (
    WinogradConvolution,
    tiles_per_chunk,
    winograd_why_not,
)
from tilewise.plan.cost import depthwise_estimate, fft_estimate, gemm_estimate, winograd_estimate


@dataclass(frozen=True)
class ConvAlgorithm:
    name: str
    priority: int  # breaks ties between equal estimates
    plain: bool  # part of the algo="gemm" baseline path
    why_not: Callable[[dict, tuple], str | None]  # None when it applies
    create: Callable  # (attrs, weight, bias, in_shape, out_shape) -> implementation
    estimate: Callable[[dict, tuple, tuple, int], float]  # seconds, for algo="auto"
    summary: str


def _direct_1x1_why_not(attrs: dict, in_shape: tuple) -> str | None:
    if attrs["kernel"] != (1, 1):
        return f"kernel {attrs['kernel']} is not 1x1"
    if attrs["stride"] != (1, 1) or attrs["pad"] != (0, 0) or asymmetric(attrs):
        return f"stride {attrs['stride']} / pad {attrs['pad']} is not 1 / 0"
    return None


def _gemm_cost(direct: bool):
    def estimate(attrs, in_shape, out_shape, threads):
        plane = out_shape[2] * out_shape[3]
        columns = images_per_chunk(in_shape[0], plane) * plane
        return gemm_estimate(attrs, in_shape, out_shape, threads, columns, copies=not direct)

    return estimate


def _winograd(m: int) -> ConvAlgorithm:
    def estimate(attrs, in_shape, out_shape, threads):
        chunk = tiles_per_chunk(m, in_shape[0], out_shape)
        return winograd_estimate(m, in_shape, out_shape, threads, chunk)

    return ConvAlgorithm(
        f"winograd-f{m}",
        m,
        False,
        winograd_why_not,
        lambda *a: WinogradConvolution(m, *a),
        estimate,
        f"Winograd F({m}x{m},3x3), {(m + 2) ** 2 / m**2:.2f} multiplies per output instead of 9",
    )


def _fft(size: int) -> ConvAlgorithm:
    def estimate(attrs, in_shape, out_shape, threads):
        kernel = attrs["kernel"]
        chunk = fft_tiles_per_chunk(size, kernel, in_shape[0], out_shape)
        return fft_estimate(size, kernel, in_shape, out_shape, threads, chunk)

    return ConvAlgorithm(
        f"fft{size}",
        1,
        False,
        fft_why_not(size),
        lambda *a: FFTConvolution(size, *a),
        estimate,
        f"FFT on {size}x{size} tiles, products per frequency bin",
    )


ALGORITHMS: dict[str, ConvAlgorithm] = {
    a.name: a
    for a in (
        ConvAlgorithm(
            "direct-1x1",
            20,
            True,
            _direct_1x1_why_not,
            lambda *a: GemmConvolution(*a, direct=True),
            _gemm_cost(direct=True),
            "1x1 stride 1: the input is the GEMM operand, no im2col",
        ),
        ConvAlgorithm(
            "depthwise-direct",
            30,
            False,
            depthwise_why_not,
            DepthwiseConvolution,
            depthwise_estimate,
            "depthwise: one filter per channel, direct loops along output rows",
        ),
        _winograd(2),
        _winograd(4),
        _winograd(6),
        _fft(8),
        _fft(16),
        ConvAlgorithm(
            "im2col-gemm",
            0,
            True,
            lambda attrs, shape: None,
            lambda *a: GemmConvolution(*a, direct=False),
            _gemm_cost(direct=False),
            "im2col then BLAS GEMM",
        ),
    )
}
CHOICES = ("auto", "tune", "gemm", *ALGORITHMS)


def check_algo(algo: str) -> None:
    if algo not in CHOICES:
        raise TilewiseError(f"unknown algo '{algo}'; choose from: {', '.join(CHOICES)}")


def applicable(attrs: dict, in_shape: tuple) -> list[ConvAlgorithm]:
    return [a for a in ALGORITHMS.values() if a.why_not(attrs, in_shape) is None]


def plain_choice(attrs: dict, in_shape: tuple) -> ConvAlgorithm:
    return max((a for a in applicable(attrs, in_shape) if a.plain), key=lambda a: a.priority)


def select_convolution(
    attrs: dict, in_shape: tuple, out_shape: tuple, algo: str, threads: int
) -> tuple[ConvAlgorithm, str]:
    """The algorithm for one layer under algo="auto", "gemm" or a name, and why."""
    check_algo(algo)
    baseline = plain_choice(attrs, in_shape)
    if algo in ALGORITHMS:
        forced = ALGORITHMS[algo]
        problem = forced.why_not(attrs, in_shape)
        if problem is None:
            return forced, f"forced by algo='{algo}'"
        return baseline, f"algo='{algo}' does not apply ({problem}); {baseline.summary}"
    if algo == "gemm":
        return baseline, baseline.summary
    candidates = applicable(attrs, in_shape)
    estimates = {a.name: a.estimate(attrs, in_shape, out_shape, threads) for a in candidates}
    best = min(candidates, key=lambda a: (estimates[a.name], -a.priority))
    if best is baseline:
        return best, best.summary
    gain = estimates[baseline.name] / estimates[best.name]
    return best, f"{best.summary}; estimated {gain:.2f}x faster than {baseline.name}"


def describe_layer(attrs: dict, in_shape: tuple) -> str:
    kh, kw = attrs["kernel"]
    return (
        f"{in_shape[1]}->{attrs['num_filter']} {kh}x{kw}/s{attrs['stride'][0]} "
        f"on {in_shape[2]}x{in_shape[3]}"
    )


def flops(attrs: dict, in_shape: tuple, out_shape: tuple) -> int:
    depth = in_shape[1] // attrs["num_group"] * math.prod(attrs["kernel"])
    return 2 * out_shape[0] * out_shape[1] * out_shape[2] * out_shape[3] * depth
