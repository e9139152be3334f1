"""Whole networks at batch 4 with every algorithm choice, against the float64 reference.

Slow (several minutes on 2 cores): run with `python -m pytest -m slow`.
"""

import numpy as np
import pytest
from accuracy import model_limit
from graphs import uniform
from reference import execute, relative_error
from test_zoo import BENCHMARK, _logits, _randomise_batchnorm

import tilewise

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("algo", ["gemm", "auto", "winograd-f6", "fft16", "nchwc-direct"])
@pytest.mark.parametrize("name", BENCHMARK)
def test_network_at_batch_4(name, algo):
    rng = np.random.default_rng(11)
    graph = tilewise.zoo.get(name, seed=4)
    _randomise_batchnorm(graph, rng)
    graph = _logits(graph)
    x = uniform(rng, (4, *graph.input_shape))
    expected = execute(graph, x)
    model = tilewise.compile(graph, batch_size=4, algo=algo)
    assert relative_error(model(x), expected) <= model_limit(model)
