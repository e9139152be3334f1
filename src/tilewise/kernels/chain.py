"""A run of blocked steps as one compiled call: each step's kernels are recorded once (job
and count addresses, bound arrays) and a jitted loop launches them in order.

Why: between two blocked kernels a model call spent ~4.5 us in Python (the operator's
`run`, the launcher's dispatch); EfficientNet-Lite0 has 52 steps at 5 ms a batch-1 call.
Here a step costs the parallel region's fork and join (~1.7 us on 2 cores) and little more.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit, typeof, types
from numba.typed import List

from tilewise.kernels.launch import JobKernel, run_jobs, run_two

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
    """Calls recorded in order; `run()` launches them all from one jitted loop."""

    def __init__(self) -> None:
        self.meta: list[list[int]] = []  # kind, job, count, key, split, bounds from, to
        self.bounds: list[int] = []
        self.records = List.empty_list(_RECORD)
        self.steps = 0

    def add(self, calls: list[Call]) -> None:
        for call in calls:
            for i, (kernel, args) in enumerate(zip(call.kernels, call.args, strict=True)):
                job, count, key = kernel.launch_for(args)
                kind = _KINDS[len(args)]
                split, lo, hi = 0, 0, 0
                if call.split is not None:
                    kind = _TWO if i == 0 else _SECOND
                    split, bounds = call.split
                    lo, hi = len(self.bounds), len(self.bounds) + len(bounds)
                    if i == 0:
                        self.bounds += [int(b) for b in bounds]
                self.meta.append([kind, job, count, key, split, lo, hi])
                self.records.append((*args[:-1], *(_PAD,) * (8 - len(args)), args[-1]))
        self.steps += 1

    def freeze(self) -> None:
        self.meta_array = np.array(self.meta, np.int64).reshape(-1, 7)
        self.bounds_array = np.array(self.bounds or [0], np.int64)

    def arguments(self) -> tuple:
        return self.meta_array, self.bounds_array, self.records

    def run(self) -> None:
        run_chain(self.meta_array, self.bounds_array, self.records)


@njit(cache=True)
def run_chain(meta, bounds, records):
    """Each record's kernel over its jobs, in order (see Chain)."""
    s = 0
    while s < meta.shape[0]:
        kind, job, count, key = meta[s, 0], meta[s, 1], meta[s, 2], meta[s, 3]
        r = records[s]
        if kind == 0:
            run_jobs(job, count, key, r)
        elif kind == 1:
            run_jobs(job, count, key, (r[0], r[1], r[7]))
        elif kind == 2:
            run_jobs(job, count, key, (r[0], r[1], r[2], r[3], r[7]))
        else:  # _TWO: this record and the next in one region
            jobs = np.array([job, meta[s + 1, 1]], np.int64)
            run_two(jobs, key, meta[s, 4], bounds[meta[s, 5] : meta[s, 6]], r, records[s + 1])
            s += 1
        s += 1
