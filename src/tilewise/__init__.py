"""tilewise: fast CPU inference for convolutional networks."""

import os

# Numba kernels and BLAS calls alternate; each pool's idle threads must sleep, not spin,
# or they starve the other pool (measured on 2 cores: ResNet-50 7x slower with Numba's
# OpenMP spinning, Winograd transforms 2x slower with OpenBLAS spinning). Both are read
# when the pool starts, so OpenBLAS's only takes effect if numpy is imported after tilewise.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
# ...but a short spin before sleeping: a parallel launch then costs ~1 us, not ~50 us.
os.environ.setdefault("GOMP_SPINCOUNT", "1000")
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")  # spin 2^4 cycles, then sleep

# ruff: noqa: E402

from tilewise import zoo
from tilewise.errors import GraphError, InputError, TilewiseError, UnsupportedOpError
from tilewise.frontend.load import load
from tilewise.ir.graph import Graph, Node
from tilewise.runtime.compiler import compile_graph as compile  # noqa: A001
from tilewise.runtime.model import CompiledModel
from tilewise.runtime.threads import set_threads
from tilewise.version import __version__

__all__ = [
    "CompiledModel",
    "Graph",
    "GraphError",
    "InputError",
    "Node",
    "TilewiseError",
    "UnsupportedOpError",
    "__version__",
    "compile",
    "load",
    "set_threads",
    "zoo",
]
