"""Convolution operator: holds the algorithm chosen for this layer and its packed weights."""

from __future__ import annotations

import numpy as np

from tilewise.conv.algorithm import Convolution
from tilewise.conv.profile import PhaseProfile
from tilewise.operators.base import Operator


class Conv2d(Operator):
    def __init__(self, implementation: Convolution, algorithm: str, reason: str) -> None:
        self.impl = implementation
        self.algorithm = algorithm
        self.reason = reason
        self.scratch = implementation.scratch
        self.flops = implementation.flops

    def run(self, inputs: list[np.ndarray], out: np.ndarray, scratch: np.ndarray) -> None:
        if len(inputs) > 1:  # a residual the blocked kernel accumulates onto
            self.impl.run(inputs[0], out, scratch, residual=inputs[1])
        else:
            self.impl.run(inputs[0], out, scratch)

    def launches(self, inputs: list[np.ndarray], out: np.ndarray,
                 scratch: np.ndarray) -> list | None:  # fmt: skip
        launches = getattr(self.impl, "launches", None)
        if launches is None:
            return None
        return launches(inputs[0], out, scratch, inputs[1] if len(inputs) > 1 else None)

    def add_residual(self) -> None:
        """Accumulate onto a blocked residual (the second input). The epilogue reads each
        residual element just before it stores the sum there, so the sum may take the
        residual's buffer: one activation-sized buffer less in cache, and its stores hit
        lines just read instead of fetching fresh ones."""
        self.impl.add_residual()
        self.inplace, self.inplace_input = True, 1

    def add_second_output(self, scale: np.ndarray, shift: np.ndarray, act: int) -> bool:
        add = getattr(self.impl, "add_second_output", None)
        return bool(add and add(scale, shift, act))

    def bind_second(self, array: np.ndarray) -> None:
        self.impl.bind_second(array)

    def write_into(self, total_blocks: int, first_block: int) -> bool:
        write = getattr(self.impl, "write_into", None)
        return bool(write and write(total_blocks, first_block))

    def run_profiled(self, inputs: list[np.ndarray], out: np.ndarray, scratch: np.ndarray,
                     profile: PhaseProfile) -> None:  # fmt: skip
        if len(inputs) > 1:
            self.impl.run(inputs[0], out, scratch, profile, residual=inputs[1])
        else:
            self.impl.run(inputs[0], out, scratch, profile)
