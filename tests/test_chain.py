"""Calls after the first run the blocked steps as compiled chains (kernels/chain.py): each
new input must reach them, and every kind of kernel call must run as the step would."""

import numpy as np
import pytest
from graphs import uniform
from reference import execute, relative_error
from test_zoo import _randomise_batchnorm

import tilewise
from tilewise import Graph, Node
from tilewise.kernels.chain import Chain


def _separable(rng) -> Graph:
    """Depthwise and 1x1 layers, 80 filters (4 + 1 blocks of 16, 8 + 2 of 8: two kernel
    parts in one region), a max pooling and a 3x3 layer."""
    nodes, constants, previous, fan_in = [], {}, "data", 3
    layers = [("pw", 32, 1, 1), ("dw", 32, 32, 3), ("pw", 80, 1, 1), ("pool", 80, 0, 3),
              ("conv", 48, 1, 3), ("pw", 16, 1, 1)]  # fmt: skip
    for i, (op, filters, groups, k) in enumerate(layers):
        name = f"{op}{i}"
        if op == "pool":
            nodes.append(Node(name, "Pooling", [previous], {"kernel": (3, 3), "pad": (1, 1),
                                                            "pool_type": "max"}))  # fmt: skip
        else:
            constants[f"{name}_weight"] = uniform(rng, (filters, fan_in // groups, k, k))
            nodes.append(Node(name, "Convolution", [previous, f"{name}_weight"],
                              {"kernel": (k, k), "pad": (k // 2, k // 2), "num_filter": filters,
                               "num_group": groups, "no_bias": True, "act": "relu6"}))  # fmt: skip
            fan_in = filters
        previous = name
    return Graph("separable", "data", (3, 20, 20), nodes, constants, previous)


def _branches(rng) -> Graph:
    """Inception's shape: three branches written in place into one Concat's buffer, read by
    a last layer (the Concat step has no work: the chain runs through it)."""

    def conv(name, source, fan_in, filters, k):
        constants[f"{name}_weight"] = uniform(rng, (filters, fan_in, k, k))
        return Node(name, "Convolution", [source, f"{name}_weight"],
                    {"kernel": (k, k), "pad": (k // 2, k // 2), "num_filter": filters,
                     "no_bias": True, "act": "relu"})  # fmt: skip

    constants: dict = {}
    nodes = [conv("stem", "data", 3, 32, 3), conv("a", "stem", 32, 16, 1),
             conv("b", "stem", 32, 48, 3),
             Node("c", "Pooling", ["stem"], {"kernel": (3, 3), "pad": (1, 1),
                                             "pool_type": "max"}),
             Node("cat", "Concat", ["a", "b", "c"], {"num_args": 3}),
             conv("d", "cat", 96, 24, 1)]  # fmt: skip
    return Graph("branches", "data", (3, 18, 18), nodes, constants, "d")


def _resnet(rng) -> Graph:
    graph = tilewise.zoo.get("resnet-18")
    graph.input_shape = (3, 64, 64)
    _randomise_batchnorm(graph, rng)
    return graph


@pytest.mark.parametrize("block", ["8", "16"])
@pytest.mark.parametrize(
    "network, algo, chained",
    [(_separable, "auto", 5), (_branches, "auto", 5), (_resnet, "nchwc-direct", 20),
     (_resnet, "nchwc-winograd-f4", 8)],
)  # fmt: skip
def test_each_call_runs_its_own_input_through_the_chains(network, algo, chained, block,
                                                         monkeypatch):  # fmt: skip
    monkeypatch.setenv("TILEWISE_BLOCK", block)
    rng = np.random.default_rng(6)
    graph = network(rng)
    model = tilewise.compile(graph, batch_size=2, algo=algo)
    first, *others = [uniform(rng, (2, *graph.input_shape)) for _ in range(3)]
    stepwise = model(first)  # the first call runs step by step and plans the chains
    for x in others:
        assert relative_error(model(x), execute(graph, x)) <= 1e-4  # Winograd F4 under auto
    np.testing.assert_array_equal(model(first), stepwise)  # the same kernels, in order
    chains = [item for item in model._plan if isinstance(item, Chain)]
    assert sum(chain.steps for chain in chains) >= chained
    if network is _separable:  # the 80-filter layer's two parts share one region
        assert any(row[0] == 3 for chain in chains for row in chain.meta)


FEWER_THREADS = """
import numpy as np, tilewise
from test_chain import _separable
graph = _separable(np.random.default_rng(7))
model = tilewise.compile(graph, batch_size=2, threads=2)
x = np.random.default_rng(8).uniform(-1, 1, (2, *graph.input_shape)).astype(np.float32)
stepwise = model(x)
model(x)  # the chains, planned for 2 thread slots
model.threads = 1  # the region now gets one thread for its two slots
assert np.array_equal(model(x), stepwise)
print("ok")
"""


def test_a_region_with_fewer_threads_than_slots_finishes():
    """One thread runs both slots in turn: it must take the jobs of the slot that has not
    started instead of waiting for them (in a process of its own: a hang fails it)."""
    import subprocess
    import sys
    from pathlib import Path

    done = subprocess.run([sys.executable, "-c", FEWER_THREADS], capture_output=True,
                          text=True, timeout=300, cwd=Path(__file__).parent)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("ok")
