"""A run of blocked steps as one compiled call: each step's kernels are recorded once (job
and count addresses, bound arrays) and run in order in one parallel region
(kernels/region.py).

Why: between two blocked kernels a model call spent ~1-2 us in Python (the operator's
`run`, the launcher's dispatch) and ~3 us forking and joining Numba's threads;
EfficientNet-Lite0 has 65 kernel calls in a 5 ms batch-1 call.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import typeof, types
from numba.typed import List

from tilewise.kernels.launch import JobKernel
from tilewise.kernels.region import LINE, run_region, thread_ranges

_FLAT = typeof(np.zeros(1, np.float32))
_GEOMETRY = typeof(np.zeros(1, np.int64))
_RECORD = types.Tuple((*(_FLAT,) * 7, _GEOMETRY))  # (x, w, bias, y, res, out2, aff, g)
_PAD = np.zeros(1, np.float32)  # the arrays a kernel with fewer than 7 does not have
# a kernel's argument count -> how the loop passes its record: (x, w, bias, y, res, out2,
# aff, g) for convolutions, (x, y, g) pooling and transforms, (x, w, bias, y, g) depthwise
# and output transforms
_KINDS = {8: 0, 3: 1, 5: 2}
_TWO, _SECOND = 3, 4  # a layer's two convolution parts in one region, and the second's record


class Call(NamedTuple):
    """One parallel region: a kernel and its arguments, or two conv parts (`split`: the
    first part's job count and the thread bounds, as run_two takes them)."""

    kernels: tuple[JobKernel, ...]
    args: tuple[tuple, ...]
    split: tuple[int, np.ndarray] | None = None


def chainable(arrays: tuple) -> bool:
    """Flat float32 arrays and an int64 geometry: the only records the loop takes."""
    return all(typeof(a) == _FLAT for a in arrays[:-1]) and typeof(arrays[-1]) == _GEOMETRY


class Chain:
    """Calls recorded in order; `run()` runs them all in one parallel region
    (kernels/region.py)."""

    def __init__(self) -> None:
        self.meta: list[list[int]] = []  # kind, job, count, key, split (per record)
        self.counts: list[int] = []  # jobs per record (a two-part call's all on its first)
        self.bounds: dict[int, np.ndarray] = {}  # a two-part call's cost-balanced bounds
        self.records = List.empty_list(_RECORD)
        self.steps = 0

    def add(self, calls: list[Call]) -> None:
        for call in calls:
            first = len(self.meta)
            jobs = [int(k.count(*a)) for k, a in zip(call.kernels, call.args, strict=True)]
            for i, (kernel, args) in enumerate(zip(call.kernels, call.args, strict=True)):
                job, count, key = kernel.launch_for(args)
                kind, split = _KINDS[len(args)], 0
                if call.split is not None:
                    kind, split = (_TWO, jobs[0]) if i == 0 else (_SECOND, 0)
                self.meta.append([kind, job, count, key, split])
                self.counts.append(sum(jobs) if i == 0 else 0)
                self.records.append((*args[:-1], *(_PAD,) * (8 - len(args)), args[-1]))
            if call.split is not None:
                self.bounds[first] = call.split[1]
        self.steps += 1

    def freeze(self, threads: int) -> None:
        """Arrays for run_region, its thread ranges for `threads` slots."""
        self.meta_array = np.array(self.meta, np.int64).reshape(-1, 5)
        self.counts_array = np.array(self.counts, np.int64)
        self.starts = thread_ranges(self.counts_array, self.bounds, threads)
        self.state = np.zeros(len(self.meta) * (threads + 1) * LINE, np.int64)

    def arguments(self) -> tuple:
        return self.meta_array, self.counts_array, self.starts, self.records, self.state

    def run(self) -> None:
        run_region(*self.arguments())
