"""Every convolution algorithm, in one list. Selection, tuning, the accuracy tests, the
benchmarks and docs/algorithms.md all iterate it: adding an algorithm is its module, its
kernel and one line here."""

from __future__ import annotations

from tilewise.conv.algorithm import ConvAlgorithm
from tilewise.conv.depthwise import DEPTHWISE_DIRECT
from tilewise.conv.direct_1x1 import DIRECT_1X1
from tilewise.conv.fft import FFT8, FFT16
from tilewise.conv.gemm import IM2COL_GEMM
from tilewise.conv.nchwc import NCHWC_DIRECT
from tilewise.conv.nchwc_depthwise import NCHWC_DEPTHWISE
from tilewise.conv.nchwc_winograd import NCHWC_WINOGRAD_F2, NCHWC_WINOGRAD_F4
from tilewise.conv.nchwc_winograd_1d import NCHWC_WINOGRAD_F4_1X3
from tilewise.conv.winograd import WINOGRAD_F2, WINOGRAD_F4, WINOGRAD_F6
from tilewise.errors import TilewiseError

ALGORITHMS: dict[str, ConvAlgorithm] = {
    a.name: a
    for a in (
        DIRECT_1X1,
        DEPTHWISE_DIRECT,
        NCHWC_DIRECT,
        NCHWC_DEPTHWISE,
        NCHWC_WINOGRAD_F2,
        NCHWC_WINOGRAD_F4,
        NCHWC_WINOGRAD_F4_1X3,
        WINOGRAD_F2,
        WINOGRAD_F4,
        WINOGRAD_F6,
        FFT8,
        FFT16,
        IM2COL_GEMM,
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
