"""tilewise: fast CPU inference for convolutional networks."""

import os

# Numba's OpenMP workers otherwise spin after each kernel and starve OpenBLAS's threads
# (measured: ResNet-50 7x slower on 2 cores). Must be set before the pool starts.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

# ruff: noqa: E402

from tilewise import zoo
from tilewise.errors import GraphError, InputError, TilewiseError, UnsupportedOpError
from tilewise.ir.graph import Graph, Node
from tilewise.runtime.compiler import compile_graph as compile  # noqa: A001
from tilewise.runtime.model import CompiledModel
from tilewise.runtime.threads import set_threads

__version__ = "0.1.0"

__all__ = [
    "CompiledModel",
    "Graph",
    "GraphError",
    "InputError",
    "Node",
    "TilewiseError",
    "UnsupportedOpError",
    "compile",
    "set_threads",
    "zoo",
]
