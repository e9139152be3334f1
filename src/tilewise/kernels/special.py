"""erf and GELU as float32 kernels: a rational approximation on [-4, 4] (outside it erf is
+-1 in float32), a polynomial LLVM vectorises, where SciPy's erf is a scalar call per value.
Coefficients: the published minimax fit Eigen uses for float erf; max error a few ulp."""

import numpy as np
from numba import njit, prange

from tilewise.kernels.activation import clamp, odd_rational

F = np.float32
NUMERATOR = (F(-2.72614225801306e-10), F(2.77068142495902e-08), F(-2.10102402082508e-06),
             F(-5.69250639462346e-05), F(-7.34990630326855e-04), F(-2.95459980854025e-03),
             F(-1.60960333262415e-02))  # fmt: skip
DENOMINATOR = (F(-1.45660718464996e-05), F(-2.13374055278905e-04), F(-1.68282697438203e-03),
               F(-7.37332916720468e-03), F(-1.42647390514189e-02))  # fmt: skip
CHUNK = 4096  # values per parallel task


@njit(inline="always")
def erf32(value):
    return odd_rational(clamp(value, F(-4.0), F(4.0)), NUMERATOR, DENOMINATOR)  # NaN passes


@njit(cache=True, fastmath={"contract", "arcp", "reassoc"}, parallel=True)
def erf_kernel(x, out, gelu):
    """out = erf(x), or GELU x * (1 + erf(x / sqrt 2)) / 2; flat float32 arrays."""
    n = x.size
    for chunk in prange((n + CHUNK - 1) // CHUNK):
        for i in range(chunk * CHUNK, min(n, (chunk + 1) * CHUNK)):
            v = x[i]
            if gelu:
                out[i] = F(0.5) * v * (F(1.0) + erf32(v * F(0.7071067811865476)))
            else:
                out[i] = erf32(v)
