"""The shared parallel launcher (kernels/launch.py): jobs called by address."""

import numpy as np
import pytest
from numba import njit

from tilewise.kernels.launch import JobKernel, balanced_bounds, run_jobs, run_two


@njit
def _scale_job(x, y, g, job):
    """Job j: y[i] = x[i] * g[1] + j over its g[0] elements."""
    for i in range(job * g[0], min((job + 1) * g[0], x.size)):
        y[i] = x[i] * g[1] + job


@njit
def _scale_jobs(x, y, g):
    return np.int64((x.size + g[0] - 1) // g[0])


def _expected(x, chunk, factor):
    return x * factor + np.arange(x.size) // chunk


def test_every_job_runs_once_with_its_index():
    kernel = JobKernel(_scale_job, _scale_jobs)
    x = np.arange(103, dtype=np.float32)
    y = np.full_like(x, np.nan)
    kernel(x, y, np.array([10, 3], np.int64))
    np.testing.assert_array_equal(y, _expected(x, 10, 3))
    assert kernel.__name__ == "_scale"


def test_other_argument_types_get_their_own_compiled_job():
    """float64 after float32: the float32 job's address would misread the arrays."""
    kernel = JobKernel(_scale_job, _scale_jobs)
    g = np.array([4, 2], np.int64)
    for dtype in (np.float32, np.float64, np.float32):
        x = (np.arange(37) / 8 - 2).astype(dtype)  # exact in both
        y = np.zeros_like(x)
        kernel(x, y, g)
        np.testing.assert_array_equal(y, _expected(x, 4, 2))


def test_launcher_refuses_a_job_compiled_for_other_types():
    kernel = JobKernel(_scale_job, _scale_jobs)
    x = np.ones(8, np.float32)
    kernel(x, x.copy(), np.array([2, 1], np.int64))
    job, count, key = kernel._launch
    with pytest.raises(TypeError, match="kernel compiled for other argument types"):
        run_jobs(job, count, key, (x.astype(np.float64), x.astype(np.float64),
                                   np.array([2, 1], np.int64)))  # fmt: skip


@njit
def _negate_job(x, y, g, job):
    for i in range(job * g[0], min((job + 1) * g[0], x.size)):
        y[i] = -x[i] - job


def test_two_kernels_share_one_region_and_every_job_runs_once():
    first, second = JobKernel(_scale_job, _scale_jobs), JobKernel(_negate_job, _scale_jobs)
    x = np.arange(50, dtype=np.float32)
    y1, y2 = np.full_like(x, np.nan), np.full_like(x, np.nan)
    g1, g2 = np.array([10, 3], np.int64), np.array([7, 0], np.int64)
    counts = [5, 8]  # 50 elements in jobs of 10, then of 7
    jobs, key = [], 0
    for kernel, args in ((first, (x, y1, g1)), (second, (x, y2, g2))):
        job, _, key = kernel.launch_for(args)
        jobs.append(job)
    for threads in (1, 2, 3):
        y1[:], y2[:] = np.nan, np.nan
        bounds = balanced_bounds(counts, [10.0, 7.0], threads)
        run_two(np.array(jobs, np.int64), key, counts[0], bounds, (x, y1, g1), (x, y2, g2))
        np.testing.assert_array_equal(y1, _expected(x, 10, 3))
        np.testing.assert_array_equal(y2, -x - np.arange(50) // 7)


def test_bounds_balance_cost_not_job_count():
    """11 jobs of cost 4 then 10 of cost 1 (a layer's RK 4 and RK 1 parts) on 2 threads:
    7 heavy jobs (28) against 4 heavy and 10 light (26), not 11 jobs (44) against 10 (10)."""
    np.testing.assert_array_equal(balanced_bounds([11, 10], [4.0, 1.0], 2), [0, 7, 21])
    bounds = balanced_bounds([3, 5], [1.0, 1.0], 4)
    assert bounds[0] == 0 and bounds[-1] == 8 and np.all(np.diff(bounds) >= 0)
