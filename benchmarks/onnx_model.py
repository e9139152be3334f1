"""An ONNX file run by tilewise (auto and its GEMM-only path) and by onnxruntime, side by
side in one process, in interleaved rounds so machine drift hits all alike. Each runtime's
threads spin for a while after a run and slow the other one's next run a little; for
numbers to quote, `tilewise bench --model FILE.onnx --compare onnxruntime` runs every
runtime in its own process.

    python tests/pretrained.py                      # makes the EfficientNet-Lite0 file
    python benchmarks/onnx_model.py ~/.cache/tilewise/fixtures/efficientnet-lite0.onnx

Prints the median images/sec per runner and batch size, and the ratios.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import onnxruntime as ort

import tilewise
from tilewise.runtime.threads import set_threads


def rate(run, batch: int, seconds: float) -> float:
    run()
    start, runs = time.perf_counter(), 0
    while runs < 2 or time.perf_counter() - start < seconds:
        run()
        runs += 1
    return runs * batch / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("model")
    parser.add_argument("--batch-sizes", default="1,16")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=1.0, help="per runner and round")
    args = parser.parse_args()
    threads = set_threads(args.threads)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    session = ort.InferenceSession(args.model, options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    loaded = {algo: tilewise.load(args.model, threads=threads, algo=algo)
              for algo in ("auto", "gemm")}  # fmt: skip
    print(f"{args.model}: {threads} threads, tilewise {tilewise.__version__}, "
          f"onnxruntime {ort.__version__}")  # fmt: skip
    for batch in [int(b) for b in args.batch_sizes.split(",")]:
        shape = (batch, *loaded["auto"].graph.input_shape)
        x = np.random.default_rng(0).uniform(-1, 1, shape).astype(np.float32)
        runners = {f"tilewise-{a}": (lambda m=m, x=x: m(x)) for a, m in loaded.items()}
        runners["onnxruntime"] = lambda x=x: session.run(None, {name: x})
        rates: dict[str, list[float]] = {r: [] for r in runners}
        for _ in range(args.rounds):
            for runner, run in runners.items():
                rates[runner].append(rate(run, batch, args.seconds))
        median = {r: float(np.median(v)) for r, v in rates.items()}
        cells = "  ".join(f"{r} {median[r]:7.1f} (+-{np.std(rates[r]):.1f})" for r in runners)
        auto = median["tilewise-auto"]
        ratios = (f"auto/gemm {auto / median['tilewise-gemm']:.2f}x, "
                  f"auto/onnxruntime {auto / median['onnxruntime']:.2f}x")  # fmt: skip
        print(f"batch {batch:>3}: {cells}  |  {ratios}", flush=True)


if __name__ == "__main__":
    main()
