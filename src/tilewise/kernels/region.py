"""A chain's calls in one parallel region: threads go from call to call without a fork and
join each; a call's jobs start on the thread that owns their range and are taken over by
idle threads (atomic counters), and a thread starts the next call once every job of this
one is done.

Why: Numba forks and joins its threads for each parallel loop (~3 us a call on 2 cores),
and EfficientNet-Lite0's batch-1 chain has 65 calls. No thread ever waits for a thread that
has not started: jobs are only waited on once taken, so a region that gets fewer threads
than it asked for still finishes (the running ones take every job).
"""

from __future__ import annotations

import platform

import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.core import cgutils
from numba.extending import intrinsic

from tilewise.kernels.launch import call_job

LINE = 8  # int64 per counter: each on a cache line of its own


def _pointer(context, builder, array_type, array, index):
    view = context.make_array(array_type)(context, builder, array)
    return cgutils.get_item_pointer(context, builder, array_type, view, [index])


@intrinsic
def fetch_add(typingctx, array, index, value):
    """array[index] += value atomically; returns the value before."""

    def codegen(context, builder, signature, values):
        pointer = _pointer(context, builder, signature.args[0], values[0], values[1])
        return builder.atomic_rmw("add", pointer, values[2], "seq_cst")

    return types.int64(array, index, value), codegen


@intrinsic
def load_acquire(typingctx, array, index):
    """array[index], ordered after every write released before it was stored."""

    def codegen(context, builder, signature, values):
        pointer = _pointer(context, builder, signature.args[0], values[0], values[1])
        return builder.load_atomic(pointer, "acquire", 8)

    return types.int64(array, index), codegen


X86 = platform.machine().lower() in ("x86_64", "amd64", "i686", "x86")


@intrinsic
def relax(typingctx):
    """A spin loop's pause (x86 `pause`): the waiting thread yields the core's issue slots
    and memory pipeline to the threads still working."""

    def codegen(context, builder, signature, values):
        if X86:
            fnty = ir.FunctionType(ir.VoidType(), [])
            builder.call(cgutils.get_or_insert_function(builder.module, fnty,
                                                        "llvm.x86.sse2.pause"), [])  # fmt: skip
        return context.get_dummy_value()

    return types.void(), codegen


@njit(cache=True)
def _thread(t, threads, meta, counts, starts, records, state):
    """Thread slot t's part of every call, in order. Each call's argument tuples are built
    once, outside its job loop: a tuple built per job increfs and decrefs its arrays, and
    two threads doing so on the same arrays made Inception-BN's chain 1.35x slower."""
    for c in range(meta.shape[0]):
        kind = meta[c, 0]
        if kind == 4:  # the second part of the call before
            continue
        r = records[c]
        r2 = records[c + 1] if kind == 3 else r
        three = (r[0], r[1], r[7])
        five = (r[0], r[1], r[2], r[3], r[7])
        job, second, split = meta[c, 1], meta[c + 1, 1] if kind == 3 else 0, meta[c, 4]
        base = c * (threads + 1) * LINE
        done = 0
        for k in range(threads):  # its own range first, then the others'
            owner = (t + k) % threads
            lo, hi = starts[c, owner], starts[c, owner + 1]
            while True:
                i = lo + fetch_add(state, base + owner * LINE, 1)
                if i >= hi:
                    break
                if kind == 0:
                    call_job(job, r, i)
                elif kind == 1:
                    call_job(job, three, i)
                elif kind == 2:
                    call_job(job, five, i)
                elif i < split:
                    call_job(job, r, i)
                else:
                    call_job(second, r2, i - split)
                done += 1
        # counted once per thread: a shared counter per job cost ~0.2 us in cache traffic
        fetch_add(state, base + threads * LINE, done)
        while load_acquire(state, base + threads * LINE) < counts[c]:
            relax()


@njit(parallel=True, cache=True)
def run_region(meta, counts, starts, records, state):
    """Every call of a chain (kernels/chain.py's meta and records); counts[c]: call c's
    jobs, starts[c]: where each thread slot's range begins; `state`: the counters."""
    state[:] = 0
    threads = starts.shape[1] - 1
    for t in prange(threads):
        _thread(t, threads, meta, counts, starts, records, state)


def thread_ranges(counts: np.ndarray, bounds_of: dict, threads: int) -> np.ndarray:
    """starts[c, t]: thread slot t's first job of call c (even ranges, or a two-part call's
    cost-balanced bounds)."""
    starts = np.zeros((len(counts), threads + 1), np.int64)
    for c, count in enumerate(counts):
        bounds = bounds_of.get(c)
        if bounds is not None and len(bounds) == threads + 1:
            starts[c] = bounds
        else:
            starts[c] = np.arange(threads + 1) * count // threads
    return starts
