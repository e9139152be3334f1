"""One runtime on one network, every batch size, in a process of its own.

Run by bench/compare.py as `python -m tilewise.bench.peer_worker '<json job>'`; prints one
JSON line per batch size. The first batch's output is saved for the accuracy check.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np


def batch_input(network_shape: tuple[int, ...], batch: int) -> np.ndarray:
    """The same U(-1, 1) batch for every runtime."""
    rng = np.random.default_rng(batch)
    return rng.uniform(-1, 1, (batch, *network_shape)).astype(np.float32)


def main(job: dict) -> None:
    from tilewise.bench.peers import load

    shape = tuple(job["input_shape"])
    for batch in job["batches"]:
        run = load(
            job["runtime"],
            job["onnx"],
            job["network"],
            batch,
            job["threads"],
            job.get("model", ""),
            shape,
        )
        x = batch_input(shape, batch)
        first = np.asarray(run(x))
        np.save(Path(job["outdir"]) / f"{job['runtime']}-{job['network']}-{batch}.npy", first)
        began, runs = time.perf_counter(), 0
        while runs < 2 or time.perf_counter() - began < 0.3:
            run(x)
            runs += 1
        times = []
        while len(times) < 3 or sum(times) < job["min_time"]:
            start = time.perf_counter()
            run(x)
            times.append(time.perf_counter() - start)
        seconds = float(np.median(times))
        print(json.dumps({"batch": batch, "images_per_sec": batch / seconds,
                          "runs": len(times)}), flush=True)  # fmt: skip


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
