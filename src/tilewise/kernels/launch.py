"""One parallel launcher for every blocked kernel: each kernel is a job function (one job's
work) and a count function, both called by address from a single prange loop.

Why: a `parallel=True` wrapper per kernel links its job into the parfor's module, and LLVM
optimises the whole job again there (and once more in the wrapper): measured on 2 cores,
ResNet-50's cold compile spent 7.3 of its 20 s in those wrappers. Called by address, a job
is compiled once, on its own; the launcher is compiled once per argument types.
"""

from __future__ import annotations

import zlib

import numpy as np
from llvmlite import ir
from numba import njit, prange, typeof, types
from numba.experimental.function_type import _get_wrapper_address
from numba.extending import intrinsic


def _call_at(context, builder, address, arg_types, values, return_type):
    """Call the C wrapper Numba compiles beside every function, at an integer address."""
    models = context.data_model_manager
    fnty = ir.FunctionType(models.lookup(return_type).get_value_type(),
                           [models.lookup(t).get_value_type() for t in arg_types])  # fmt: skip
    return builder.call(builder.inttoptr(address, fnty.as_pointer()), values)


@intrinsic
def call_job(typingctx, address, args, job):
    """job_function(*args, job) at `address`."""

    def codegen(context, builder, signature, values):
        items = [builder.extract_value(values[1], i) for i in range(len(args.types))]
        _call_at(context, builder, values[0], (*args.types, job), [*items, values[2]],
                 types.none)  # fmt: skip
        return context.get_dummy_value()

    return types.void(address, args, job), codegen


@intrinsic
def call_count(typingctx, address, args):
    """count_function(*args) -> int64 at `address`."""

    def codegen(context, builder, signature, values):
        items = [builder.extract_value(values[1], i) for i in range(len(args.types))]
        return _call_at(context, builder, values[0], args.types, items, types.int64)

    return types.int64(address, args), codegen


def types_key(arg_types) -> int:
    return zlib.crc32(str(tuple(arg_types)).encode())


@intrinsic
def args_key(typingctx, args):
    """types_key of the arguments' types, a constant of the compiled code."""

    def codegen(context, builder, signature, values):
        return context.get_constant(types.int64, types_key(args.types))

    return types.int64(args), codegen


@njit(parallel=True, cache=True)
def run_jobs(job, count, key, args):
    """job(*args, j) for every j below count(*args), over the one thread pool; `key`: the
    types the job and count functions were compiled for."""
    if key != args_key(args):
        raise TypeError("kernel compiled for other argument types")
    for j in prange(call_count(count, args)):
        call_job(job, args, np.int64(j))


@njit(parallel=True, cache=True)
def run_two(jobs, key, split, bounds, first, second):
    """Two kernels of one signature in one parallel region (a layer's main and last output
    blocks): jobs below `split` are the first's, the rest the second's, and thread slot t
    runs bounds[t]..bounds[t + 1] (one fork and join, and the split weighs job costs)."""
    if key != args_key(first) or key != args_key(second):
        raise TypeError("kernel compiled for other argument types")
    for t in prange(bounds.size - 1):
        for i in range(bounds[t], bounds[t + 1]):
            if i < split:
                call_job(jobs[0], first, np.int64(i))
            else:
                call_job(jobs[1], second, np.int64(i - split))


def rows_per_job(rows: int, work_per_row: int, min_work: int) -> int:
    """Output rows per job so each job has at least `min_work` (a call by address costs
    ~15 ns), the rows split evenly over the jobs."""
    chunks = min(-(-rows * work_per_row // min_work), rows)
    return -(-rows // chunks)


def balanced_bounds(counts: list[int], costs: list[float], threads: int) -> np.ndarray:
    """Global job bounds per thread: contiguous runs of about equal total cost, where part
    p has counts[p] jobs of costs[p] each."""
    weights = np.repeat(np.asarray(costs, np.float64), counts)
    ends = np.cumsum(weights)
    targets = ends[-1] * np.arange(1, threads) / threads
    # a job goes to the thread whose share holds its middle
    cuts = np.searchsorted(ends - weights / 2, targets)
    return np.concatenate([[0], cuts, [len(weights)]]).astype(np.int64)


class JobKernel:
    """A kernel as the callers know it, `kernel(*arrays)`, run by the shared launcher.

    The job and count functions are compiled for the types of the arguments they are called
    with (callers pass the same types each time); the launcher checks the types it was given
    against those, so a call with other types compiles for them instead of misreading them."""

    def __init__(self, job, count) -> None:
        self.job, self.count = job, count
        self.__name__ = job.__name__.removesuffix("_job")
        self._launch: tuple = (0, 0, 0)  # (job address, count address, types key)
        self._launches: dict[tuple, tuple] = {}

    def __call__(self, *args) -> None:
        try:
            run_jobs(*self._launch, args)
        except TypeError:
            if self._select(args):
                run_jobs(*self._launch, args)
            else:
                raise

    def launch_for(self, args: tuple) -> tuple:
        """(job address, count address, types key) for these argument types."""
        self._select(args)
        return self._launch

    def _select(self, args: tuple) -> bool:
        """Make the launch for these argument types current; False if it already was."""
        arg_types = tuple(typeof(a) for a in args)
        if arg_types not in self._launches:
            self._launches[arg_types] = (
                _get_wrapper_address(self.job, types.none(*arg_types, types.int64)),
                _get_wrapper_address(self.count, types.int64(*arg_types)),
                types_key(arg_types),
            )
        previous, self._launch = self._launch, self._launches[arg_types]
        return previous != self._launch
