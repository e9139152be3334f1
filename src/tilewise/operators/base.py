"""What every operator offers to the planner and the runtime."""

from __future__ import annotations

import numpy as np

from tilewise.conv.profile import PhaseProfile


class Operator:
    """Created once for fixed shapes; `run` touches only the arrays it is given.

    `inplace`: the output may share an input's buffer (`inplace_input`: which one).
    `alias`: the output is a view of the first input (no work at all).
    `scratch`: float32 elements of workspace `run` needs.
    """

    inplace = False
    inplace_input = 0
    alias = False
    scratch = 0
    algorithm = ""
    reason = ""
    flops = 0

    def run(self, inputs: list[np.ndarray], out: np.ndarray, scratch: np.ndarray) -> None:
        raise NotImplementedError

    def write_into(self, total_blocks: int, first_block: int) -> bool:
        """Write the output as channel blocks first_block.. of an array of total_blocks
        (a channel Concat's buffer: no copy step); False where this operator cannot."""
        return False

    def launches(self, inputs: list[np.ndarray], out: np.ndarray,
                 scratch: np.ndarray) -> list | None:  # fmt: skip
        """`run` as kernel calls (kernels/chain.py's Call) on these arrays, to be run from a
        compiled chain; None where `run` does anything else."""
        return None

    def run_profiled(self, inputs: list[np.ndarray], out: np.ndarray, scratch: np.ndarray,
                     profile: PhaseProfile) -> None:  # fmt: skip
        """`run`, with the time of each phase added to `profile` where there are phases."""
        self.run(inputs, out, scratch)


def as_rows(array: np.ndarray) -> np.ndarray:
    """(N, C, ...) view as (N, C, P) for per-channel kernels; (N,) as (N, 1, 1)."""
    channels = array.shape[1] if array.ndim > 1 else 1
    return array.reshape(array.shape[0], channels, -1)
