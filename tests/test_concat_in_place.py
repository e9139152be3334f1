"""Free concatenation: producers of a blocked channel Concat write into its buffer."""

import numpy as np
import pytest
from graphs import uniform
from reference import execute, relative_error

import tilewise
from tilewise import Graph, Node


def _branching_graph(rng) -> Graph:
    """An outer Concat holding a pooling, an inner Concat (a conv and a conv whose sigmoid
    runs as a pass after it), a value read twice and a conv."""
    constants = {}

    def conv(name, source, fan_in, filters, kernel, act=None):
        constants[f"{name}_w"] = uniform(rng, (filters, fan_in, kernel, kernel))
        attrs = {"kernel": (kernel, kernel), "pad": (kernel // 2,) * 2, "num_filter": filters,
                 "no_bias": True, "act": act}  # fmt: skip
        return Node(name, "Convolution", [source, f"{name}_w"], attrs)

    pool = {"kernel": (3, 3), "stride": (1, 1), "pad": (1, 1), "pool_type": "max"}
    nodes = [
        conv("a", "data", 3, 16, 3, "relu"),
        Node("p", "Pooling", ["a"], pool),
        conv("c1", "a", 16, 16, 1, "relu"),
        conv("c2", "a", 16, 32, 3),
        conv("c3", "c1", 16, 16, 3, "sigmoid"),
        Node("inner", "Concat", ["c2", "c3"], {"dim": 1, "num_args": 2}),
        conv("shared", "a", 16, 16, 1),
        conv("d", "shared", 16, 16, 1, "relu"),
        Node("outer", "Concat", ["p", "inner", "shared", "d"], {"dim": 1, "num_args": 4}),
        conv("final", "outer", 96, 8, 1),
    ]
    return Graph("branches", "data", (3, 12, 12), nodes, constants, "final")


@pytest.mark.parametrize("algo", ["nchwc-direct", "nchwc-winograd-f4"])
@pytest.mark.parametrize("block", ["8", "16"])
@pytest.mark.parametrize("batch", [1, 3])
def test_producers_write_into_the_concat_buffer(algo, block, batch, monkeypatch):
    monkeypatch.setenv("TILEWISE_BLOCK", block)
    rng = np.random.default_rng(5)
    graph = _branching_graph(rng)
    model = tilewise.compile(graph, batch_size=batch, algo=algo, passes=[])
    into = {s.name: s.into for s in model.steps if s.into}
    concat = {s.name: s.operator.in_place for s in model.steps if s.op == "Concat"}
    if algo == "nchwc-direct":
        # c3's sigmoid is a pass over its own output, `shared` has a second reader
        assert into == {"p": "outer", "c2": "outer", "inner": "outer", "d": "outer"}
        assert concat == {"inner": {0}, "outer": {0, 1, 3}}
    else:  # the 1x1 layers fall back to the NCHW path: their outputs arrive by reorders
        assert into == {"p": "outer", "c2": "outer", "inner": "outer"}
    x = uniform(rng, (batch, 3, 12, 12))
    assert relative_error(model(x), execute(graph, x)) <= 1e-5
    assert relative_error(model(x), execute(graph, x)) <= 1e-5  # a second call: same buffers
