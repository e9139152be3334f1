"""Pure array kernels (Numba and BLAS); no graph knowledge."""
