"""NaN and Inf in inputs propagate as IEEE arithmetic carries them, image by image, on every
algorithm; results are deterministic run to run."""

import numpy as np
import pytest
from graphs import uniform
from reference import execute

import tilewise


def _logits(name: str):
    graph = tilewise.zoo.get(name, seed=1)
    graph.nodes.pop()
    graph.output_name = graph.nodes[-1].output
    return graph


@pytest.mark.parametrize("name", ["resnet-18", "inception-bn", "alexnet"])
@pytest.mark.parametrize("algo", ["auto", "gemm"])
def test_nan_and_inf_reach_the_output_of_their_own_image_only(name, algo, rng):
    graph = _logits(name)
    model = tilewise.compile(graph, batch_size=3, algo=algo)
    x = uniform(rng, (3, *graph.input_shape))
    clean = model(x)
    x[0, 1, 100, 100] = np.nan
    x[1, 0, 10, 10] = np.inf
    got = model(x)
    with np.errstate(invalid="ignore"):
        expected = execute(graph, x)
    # the float64 reference: NaN everywhere in image 0's logits; image 1's inf turns into NaN
    # (inf - inf, 0 * inf) somewhere on the way
    assert np.isnan(expected[0]).all() and np.isnan(expected[1]).all()
    assert np.isnan(got[0]).all() and np.isnan(got[1]).all()
    np.testing.assert_array_equal(got[2], clean[2])


def test_same_input_same_answer_across_compiles_and_calls(rng):
    graph = tilewise.zoo.get("resnet-18")
    x = uniform(rng, (2, 3, 224, 224))
    first = tilewise.compile(graph, batch_size=2)
    second = tilewise.compile(graph, batch_size=2)
    answers = [first(x), second(x), first(x)]
    for answer in answers[1:]:
        np.testing.assert_array_equal(answer, answers[0])
