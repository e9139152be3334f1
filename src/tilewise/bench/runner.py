"""benchmark_score's measurement: random U(-1, 1) batches, warm-up, timed runs."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np

import tilewise

WARMUP_SECONDS = 0.5


@dataclass
class Measurement:
    network: str
    batch_size: int
    algo: str
    threads: int
    images_per_sec: float
    ms_per_batch: float
    runs: int
    compile_s: float
    first_call_s: float

    def as_row(self) -> dict:
        return asdict(self)


def measure(
    network: str,
    batch_size: int,
    threads: int,
    algo: str = "auto",
    warmup: int = 2,
    min_time: float = 1.0,
    min_runs: int = 3,
    graph=None,
    tolerance: float = 1e-3,
) -> Measurement:
    """Compile, run once (cold), warm up, then time runs until both minimums are met."""
    graph = graph if graph is not None else tilewise.zoo.get(network)
    start = time.perf_counter()
    model = tilewise.compile(
        graph, batch_size=batch_size, threads=threads, algo=algo, tolerance=tolerance
    )
    compiled = time.perf_counter()
    x = np.random.default_rng(0).uniform(-1, 1, model.input_shape).astype(np.float32)
    model(x)
    first_call = time.perf_counter() - compiled
    # warm-up: at least `warmup` runs and half a second, so clocks and caches settle
    began, runs = time.perf_counter(), 0
    while runs < warmup or time.perf_counter() - began < WARMUP_SECONDS:
        model(x)
        runs += 1
    times = []
    while len(times) < min_runs or sum(times) < min_time:
        begin = time.perf_counter()
        model(x)
        times.append(time.perf_counter() - begin)
    seconds = float(np.median(times))
    return Measurement(
        network, batch_size, algo, model.threads, batch_size / seconds, seconds * 1e3,
        len(times), compiled - start, first_call,
    )  # fmt: skip
