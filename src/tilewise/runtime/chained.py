"""The model's steps as a plan: runs of steps whose work is only blocked kernel calls become
one compiled chain (kernels/chain.py); the others run as before, one Python call each."""

from __future__ import annotations

import numpy as np
from numba import typeof

from tilewise.kernels.chain import Chain
from tilewise.kernels.region import run_region


def plan_chains(work: list, args: list, outs: list, scratch: np.ndarray, rebound: set[int],
                threads: int) -> list:  # fmt: skip
    """Per item, a Chain or (run, inputs, out) for a step run by its operator; `rebound`:
    the steps that read the caller's arrays, bound anew each call (never in a chain)."""
    plan: list = []
    chain = None
    for index, (step, inputs, out) in enumerate(zip(work, args, outs, strict=True)):
        calls = None
        if index not in rebound:
            calls = step.operator.launches(inputs, out, scratch)
        if calls is None:
            chain = None
            plan.append((step.operator.run, inputs, out))
            continue
        if chain is None:
            chain = Chain()
            plan.append(chain)
        chain.add(calls)
    plan = [item for item in plan if not isinstance(item, Chain) or item.meta]
    for item in plan:
        if isinstance(item, Chain):
            item.freeze(threads)
            # compiled (or loaded from the disk cache) now, with the first call's kernels
            run_region.compile(tuple(typeof(a) for a in item.arguments()))
    return plan
