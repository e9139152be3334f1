"""Zoo networks against MXNet 1.9.1's layer tables, and against the float64 reference."""

import ast
import json

import numpy as np
import pytest
from accuracy import model_limit
from conftest import REFERENCE_DIR
from graphs import uniform
from reference import execute, relative_error

import tilewise
from tilewise.ir import infer_shapes

BENCHMARK = ["alexnet", "vgg-16", "inception-bn", "inception-v3", "resnet-50", "resnet-152"]


def _value(text):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


@pytest.mark.parametrize("name", BENCHMARK)
def test_matches_mxnet_layer_table(name):
    table = json.loads((REFERENCE_DIR / f"{name}.json").read_text())
    graph = tilewise.zoo.get(name)
    shapes = infer_shapes(graph, 1)
    assert graph.input_shape == tuple(table["input_shape"][1:])
    assert len(graph.nodes) == len(table["layers"])
    for layer, node in zip(table["layers"], graph.nodes, strict=True):
        where = f"{name}: layer {layer['name']} vs node {node.name}"
        assert node.op == layer["op"], where
        expected_attrs = {k: _value(v) for k, v in layer["attrs"].items()}
        assert {k: v for k, v in node.attrs.items()} == expected_attrs, where
        assert shapes[node.output] == tuple(layer["output_shape"]), where
        params = [tuple(graph.constants[i].shape) for i in node.inputs if i in graph.constants]
        assert params == [tuple(s) for s in layer["params"].values()], where
    assert graph.parameter_count() == table["trainable_parameters"]


@pytest.mark.parametrize(
    "name, count",
    [
        # torchvision's published counts for the same VGG layers
        ("vgg-11", 132_863_336),
        ("vgg-13", 133_047_848),
        ("vgg-19", 143_667_240),
        # resnet-50 plus 17 stage-3 bottleneck units of 1,117,184 parameters each
        ("resnet-101", 44_541_614),
    ],
)
def test_variant_parameter_counts(name, count):
    assert tilewise.zoo.get(name).parameter_count() == count


@pytest.mark.parametrize("name", ["resnet-18", "resnet-34"])
def test_basic_block_resnets_build(name):
    graph = tilewise.zoo.get(name)
    shapes = infer_shapes(graph, 2)
    assert shapes[graph.output_name] == (2, 1000)
    convs = graph.op_counts()["Convolution"]
    # 1 stem conv, 2 per unit, and MXNet projects the shortcut of every stage's first unit
    units = {"resnet-18": 8, "resnet-34": 16}[name]
    assert convs == 1 + 2 * units + 4


def test_unknown_network_lists_choices():
    with pytest.raises(tilewise.TilewiseError, match="unknown network 'resnet-51'.*resnet-50"):
        tilewise.zoo.get("resnet-51")


def _randomise_batchnorm(graph, rng):
    """Benchmark init leaves BatchNorm an identity; real statistics exercise the folding."""
    for name, array in graph.constants.items():
        if name.endswith(("_gamma", "_moving_var")):
            graph.constants[name] = uniform(rng, array.shape, 0.5, 1.5)
        elif name.endswith(("_beta", "_moving_mean")):
            graph.constants[name] = uniform(rng, array.shape, -0.2, 0.2)


def _logits(graph):
    """The same graph ending at the classifier, where errors are not squashed by softmax."""
    assert graph.nodes[-1].op == "SoftmaxOutput"
    graph.nodes.pop()
    graph.output_name = graph.nodes[-1].output
    return graph


@pytest.mark.parametrize("name", BENCHMARK)
def test_network_matches_float64_reference(name):
    rng = np.random.default_rng(7)
    graph = tilewise.zoo.get(name, seed=3)
    _randomise_batchnorm(graph, rng)
    x = uniform(rng, (1, *graph.input_shape))
    logits = _logits(graph.copy())
    expected = execute(logits, x)
    model = tilewise.compile(logits)
    assert relative_error(model(x), expected) <= model_limit(model)
    probs = tilewise.compile(graph)(x)
    assert probs.shape == (1, 1000)
    np.testing.assert_allclose(probs.sum(), 1.0, rtol=1e-5)
    e = np.exp(expected - expected.max())
    assert relative_error(probs, e / e.sum()) <= 1e-4


ODD_SPLITS = """
import sys, numpy as np
sys.path.insert(0, {tests!r})
from graphs import uniform
from reference import execute, relative_error
from accuracy import model_limit
import tilewise
graph = tilewise.zoo.get("resnet-18", seed=5)
graph.nodes.pop()
graph.output_name = graph.nodes[-1].output
x = uniform(np.random.default_rng(2), (3, *graph.input_shape))
expected = execute(graph, x)
for threads in (1, 3):
    model = tilewise.compile(graph, batch_size=3, threads=threads)
    assert tilewise.runtime.threads.set_threads(threads) == threads
    print(threads, relative_error(model(x), expected), model_limit(model))
"""


def test_one_and_three_threads_match_the_reference():
    """Work split 1 and 3 ways (odd splits of 64-channel blocks and 3 images), in a process
    allowed 3 Numba threads whatever this machine has."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = ODD_SPLITS.format(tests=str(Path(__file__).parent))
    env = {**os.environ, "NUMBA_NUM_THREADS": "3"}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [line.split() for line in done.stdout.splitlines()]
    assert [int(r[0]) for r in rows] == [1, 3]
    for _, error, limit in rows:
        assert float(error) <= float(limit)
