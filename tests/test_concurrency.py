"""Models shared by threads: every answer equals the single-threaded one for that input."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from graphs import uniform

import tilewise
from tilewise.runtime.loaded import LoadedModel


def test_threads_sharing_models_get_their_own_answers(rng):
    """Eight threads, two compiled plans of one model and a plan of another, 96 calls; each
    must equal the answer computed alone for its own input."""
    tiny = LoadedModel(tilewise.zoo.get("tiny"))
    resnet = tilewise.compile(tilewise.zoo.get("resnet-18"), batch_size=1)
    inputs = [uniform(rng, (1 + i % 2, 3, 32, 32), -3, 3) for i in range(64)]
    inputs += [uniform(rng, (1, 3, 224, 224)) for _ in range(32)]
    run = [resnet if x.shape[-1] == 224 else tiny for x in inputs]
    alone = [model(x) for model, x in zip(run, inputs, strict=True)]
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(lambda i: run[i](inputs[i]), range(len(inputs))))
    for i, (got, expected) in enumerate(zip(together, alone, strict=True)):
        np.testing.assert_array_equal(got, expected, err_msg=f"call {i}")


def test_new_batch_sizes_from_many_threads_compile_once(rng):
    model = LoadedModel(tilewise.zoo.get("tiny"))
    x = uniform(rng, (5, 3, 32, 32))
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: model(x), range(8)))
    assert [batch for batch, _ in model.plans] == [5]
    for answer in answers:
        np.testing.assert_array_equal(answer, answers[0])
