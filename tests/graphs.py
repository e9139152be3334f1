"""Build one-op and small graphs for tests."""

from __future__ import annotations

import numpy as np

from tilewise import Graph, Node


def single_op(op, in_shape, rng, params=None, n_inputs=1, **attrs):
    """A graph of one node reading the input (`n_inputs` times) and named parameters."""
    params = params or {}
    constants = {f"p_{k}": np.asarray(v, np.float32) for k, v in params.items()}
    inputs = ["data"] * n_inputs + list(constants)
    node = Node("layer", op, inputs, attrs)
    return Graph("test", "data", tuple(in_shape[1:]), [node], constants, "layer")


def uniform(rng, shape, low=-1.0, high=1.0):
    return rng.uniform(low, high, shape).astype(np.float32)
