"""The real-model corpus (tools/corpus.py): tilewise against onnxruntime on each model,
side by side in one process, interleaved rounds, on the same photograph.

    python tools/fetch_corpus.py
    python benchmarks/corpus.py --threads 2

Prints per model: milliseconds per image (median of the rounds) for both, the ratio
(onnxruntime time / tilewise time: above 1 is tilewise faster), the first-call time
(compile included) and the agreement of every output.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from corpus import CORPUS, model_path  # noqa: E402
from test_corpus import photograph  # noqa: E402

import tilewise  # noqa: E402
from tilewise.bench.machine import describe  # noqa: E402
from tilewise.runtime.threads import set_threads  # noqa: E402


def seconds_per_call(run, budget: float) -> float:
    run()
    start, runs = time.perf_counter(), 0
    while runs < 2 or time.perf_counter() - start < budget:
        run()
        runs += 1
    return (time.perf_counter() - start) / runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=0.5, help="per runner and round")
    parser.add_argument("--only", default="", help="comma-separated model keys")
    args = parser.parse_args()
    threads = set_threads(args.threads)
    machine = describe(threads)
    print(f"{machine['cpu']}, {machine['cores']} cores, {threads} threads; tilewise "
          f"{tilewise.__version__}, onnxruntime {ort.__version__}, numpy {np.__version__}, "
          f"numba {machine['numba']}")  # fmt: skip
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    print(f"{'model':18s} {'input':>14s} {'tilewise ms':>12s} {'ort ms':>8s} {'ratio':>6s} "
          f"{'first call s':>12s} {'max rel diff':>12s}")  # fmt: skip
    for model in CORPUS:
        if args.only and model.key not in args.only.split(","):
            continue
        path = model_path(model)
        if not path.exists():
            print(f"{model.key:18s} not cached: python tools/fetch_corpus.py")
            continue
        x = photograph(model)
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        name = session.get_inputs()[0].name
        loaded = tilewise.load(str(path), threads=threads)
        start = time.perf_counter()
        ours = loaded.run({name: x})
        first = time.perf_counter() - start
        theirs = session.run(None, {name: x})
        diff = max(float(np.abs(a - b).max() / np.abs(b).max())
                   for a, b in zip(ours.values(), theirs, strict=True))  # fmt: skip
        runners = {"tilewise": lambda m=loaded, n=name, x=x: m.run({n: x}),
                   "ort": lambda s=session, n=name, x=x: s.run(None, {n: x})}  # fmt: skip
        times = {k: [] for k in runners}
        for _ in range(args.rounds):
            for key, run in runners.items():
                times[key].append(seconds_per_call(run, args.seconds))
        ms = {k: 1e3 * float(np.median(v)) for k, v in times.items()}
        shape = "x".join(map(str, x.shape[1:]))
        print(
            f"{model.key:18s} {shape:>14s} {ms['tilewise']:12.2f} {ms['ort']:8.2f} "
            f"{ms['ort'] / ms['tilewise']:6.2f} {first:12.2f} {diff:12.1e}",
            flush=True,
        )


if __name__ == "__main__":
    main()
