"""The shared parallel launcher (kernels/launch.py): jobs called by address."""

import numpy as np
import pytest
from numba import njit

from tilewise.kernels.launch import JobKernel, run_jobs


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
