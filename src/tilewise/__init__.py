"""tilewise: fast CPU inference for convolutional networks."""

import os

# Numba's OpenMP threads are tilewise's only pool (BLAS runs single-threaded inside it).
# Between two steps they spin ~0.3 ms before sleeping: with 1000 spins (~12 us) they
# slept between most steps and each launch waited for a wake-up, which left many steps
# of a batch-1 network on one core (ResNet-50 33 -> 29 ms, Inception-BN 15.6 -> 13.1 ms
# medians on 2 cores). PASSIVE keeps them from spinning forever after the last call.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("GOMP_SPINCOUNT", "30000")
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
