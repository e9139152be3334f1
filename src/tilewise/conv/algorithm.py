"""What every convolution algorithm declares: the registry, selection, tuning, the accuracy
tests and the docs all read these fields, so an algorithm is one module and one entry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tilewise.conv.profile import PhaseProfile


class Convolution:
    """A packed layer: created once for fixed shapes, then run on arrays only."""

    scratch: int = 0  # float32 elements of workspace `run` needs
    flops: int = 0
    # per phase of `run`'s profile: (flops, bytes read and written), so `tilewise profile`
    # can show each phase's GFLOP/s and GB/s; phases not listed show their time only
    phase_work: dict[str, tuple[float, float]] = {}

    def run(self, x: np.ndarray, out: np.ndarray, scratch: np.ndarray,
            profile: PhaseProfile | None = None) -> None:  # fmt: skip
        raise NotImplementedError


@dataclass(frozen=True)
class ConvAlgorithm:
    name: str
    summary: str  # one line: what it does, shown as the reason it was chosen
    priority: int  # breaks ties between equal estimates
    plain: bool  # part of the algo="gemm" baseline path
    why_not: Callable[[dict, tuple], str | None]  # (attrs, in_shape) -> None when it applies
    estimate: Callable[[dict, tuple, tuple, int], float]  # (attrs, in, out, threads) -> seconds
    create: Callable[..., Convolution]  # (attrs, weight, bias, in_shape, out_shape)
    # max |y - ref| / max |ref| on zero-mean data, any layer: the tests' limit, and what
    # algo="tune" may be asked to accept
    error_limit: float
    # runs on channel-blocked activations: create() takes input_blocked / output_blocked
    blocked: bool = False
