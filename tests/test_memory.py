"""Memory stays bounded: calls keep resident memory flat, and compiled models that are
dropped are freed (nothing caches plans for ever)."""

from __future__ import annotations

import gc
import os
import sys
import tracemalloc

import pytest
from graphs import uniform

import tilewise
from tilewise.runtime.loaded import LoadedModel


def resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")
def test_many_calls_keep_resident_memory_flat(rng):
    model = tilewise.compile(tilewise.zoo.get("resnet-18"), batch_size=2)
    x = uniform(rng, (2, 3, 224, 224))
    for _ in range(20):
        model(x)
    before = resident_bytes()
    for _ in range(300):
        model(x)
    growth = resident_bytes() - before
    assert growth < 4 * 2**20, f"resident memory grew {growth / 2**20:.1f} MiB in 300 calls"


def test_compiled_models_that_are_dropped_are_freed(rng):
    """Arrays numpy allocates are traced: after 50 compile-run-drop cycles, what is still
    held is no more than after the first few (plans, packed weights, buffers all freed)."""
    graph = tilewise.zoo.get("tiny")
    x = uniform(rng, (3, *graph.input_shape))

    def cycle() -> None:
        loaded = LoadedModel(graph)
        loaded(x)
        loaded(x[:1])
        tilewise.compile(graph, batch_size=2)(x[:2])

    for _ in range(3):
        cycle()
    gc.collect()
    tracemalloc.start()
    baseline = tracemalloc.get_traced_memory()[0]
    for _ in range(50):
        cycle()
    gc.collect()
    held = tracemalloc.get_traced_memory()[0] - baseline
    tracemalloc.stop()
    model_bytes = sum(v.nbytes for v in graph.constants.values())
    assert held < model_bytes, f"{held} bytes still held after 50 models were dropped"


def test_plans_per_batch_size_are_a_bounded_cache(rng):
    graph = tilewise.zoo.get("tiny")
    model = LoadedModel(graph, max_plans=3)
    for batch in (1, 2, 3, 1, 4, 5):
        model(uniform(rng, (batch, *graph.input_shape)))
    assert [batch for batch, _ in model.plans] == [1, 4, 5]  # least recently used dropped first
    with pytest.raises(tilewise.InputError, match="max_plans must be at least 1, got 0"):
        LoadedModel(graph, max_plans=0)
