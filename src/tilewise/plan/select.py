"""Per-layer convolution algorithm choice: candidates with an applicability rule and a priority.

Adding an algorithm is one implementation plus one `ConvAlgorithm` entry here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tilewise.errors import TilewiseError
from tilewise.operators.conv_gemm import GemmConvolution


@dataclass(frozen=True)
class ConvAlgorithm:
    name: str
    priority: int  # highest applicable wins under algo="auto"
    plain: bool  # part of the algo="gemm" baseline path
    why_not: Callable[[dict, tuple], str | None]  # None when it applies
    create: Callable  # (attrs, weight, bias, in_shape, out_shape) -> implementation
    summary: str


def _direct_1x1_why_not(attrs: dict, in_shape: tuple) -> str | None:
    if attrs["kernel"] != (1, 1):
        return f"kernel {attrs['kernel']} is not 1x1"
    if attrs["stride"] != (1, 1) or attrs["pad"] != (0, 0):
        return f"stride {attrs['stride']} / pad {attrs['pad']} is not 1 / 0"
    return None


ALGORITHMS: dict[str, ConvAlgorithm] = {
    a.name: a
    for a in (
        ConvAlgorithm(
            "direct-1x1",
            20,
            True,
            _direct_1x1_why_not,
            lambda *a: GemmConvolution(*a, direct=True),
            "1x1 stride 1: the input is the GEMM operand, no im2col",
        ),
        ConvAlgorithm(
            "im2col-gemm",
            0,
            True,
            lambda attrs, shape: None,
            lambda *a: GemmConvolution(*a, direct=False),
            "general: im2col then BLAS GEMM",
        ),
    )
}
CHOICES = ("auto", "gemm", *ALGORITHMS)


def check_algo(algo: str) -> None:
    if algo not in CHOICES:
        raise TilewiseError(f"unknown algo '{algo}'; choose from: {', '.join(CHOICES)}")


def select_convolution(attrs: dict, in_shape: tuple, algo: str) -> tuple[ConvAlgorithm, str]:
    """The algorithm for one layer and a sentence saying why."""
    check_algo(algo)
    ranked = sorted(ALGORITHMS.values(), key=lambda a: -a.priority)
    if algo in ALGORITHMS:
        forced = ALGORITHMS[algo]
        problem = forced.why_not(attrs, in_shape)
        if problem is None:
            return forced, f"{forced.name}: forced by algo='{algo}'"
        fallback, reason = select_convolution(attrs, in_shape, "gemm")
        return fallback, f"{fallback.name}: algo='{algo}' does not apply ({problem}); {reason}"
    pool = [a for a in ranked if a.plain] if algo == "gemm" else ranked
    for candidate in pool:
        if candidate.why_not(attrs, in_shape) is None:
            return candidate, f"{candidate.name}: {candidate.summary}"
    raise AssertionError("im2col-gemm applies to every convolution")
