"""Winograd F(m x m, r x r) transform matrices, built in float64 from interpolation points.

A^T and G follow Cook-Toom (the last point is infinity); B^T is then the unique solution
of the 1-D identity  sum_j A^T[i,j] G[j,k] B^T[j,l] = [l == i + k].
"""

from __future__ import annotations

from fractions import Fraction
from functools import cache

import numpy as np

# the finite interpolation points, the first alpha - 1 of them for F(m, r), alpha = m + r - 1:
# F(2, 3) takes 3, F(4, 3) 5, F(6, 3) and F(2, 7) 7
POINTS = (0, 1, -1, 2, -2, Fraction(1, 2), Fraction(-1, 2))


@cache
def winograd_matrices(m: int, r: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(A^T: m x alpha, G: alpha x r, B^T: alpha x alpha) in float64."""
    alpha = m + r - 1
    points = [Fraction(p) for p in POINTS[: alpha - 1]]
    a_t, g = np.zeros((m, alpha)), np.zeros((alpha, r))
    for j, pj in enumerate(points):
        scale = np.prod([pj - pl for other, pl in enumerate(points) if other != j])
        a_t[:, j] = [float(pj**i) for i in range(m)]
        g[j] = [float(pj**k / scale) for k in range(r)]
    a_t[m - 1, alpha - 1] = g[alpha - 1, r - 1] = 1.0
    equations, rhs = [], []
    for i in range(m):
        for k in range(r):
            for col in range(alpha):
                row = np.zeros((alpha, alpha))
                row[:, col] = a_t[i] * g[:, k]
                equations.append(row.ravel())
                rhs.append(float(col == i + k))
    b_t = np.linalg.lstsq(np.array(equations), np.array(rhs), rcond=None)[0].reshape(alpha, alpha)
    # The exact entries are small dyadic rationals; drop the solver's rounding noise.
    b_t = np.vectorize(lambda v: float(Fraction(v).limit_denominator(64)))(b_t)
    return a_t, g, b_t
