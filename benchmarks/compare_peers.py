"""tilewise (auto, gemm, optionally tune) beside ONNX Runtime on the zoo networks, each run
in its own process, the same weights (exported to ONNX), the same thread count.

    python benchmarks/compare_peers.py --networks all --batch-sizes 1,16 --threads 2

Prints images/sec and the ratios tilewise-auto / gemm and tilewise-auto / onnxruntime.
Benchmark with OpenBLAS choosing its own kernels: unset OPENBLAS_CORETYPE first if set.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np


def _time(call, x, min_time: float, min_runs: int) -> float:
    call(x)
    call(x)
    times = []
    while len(times) < min_runs or sum(times) < min_time:
        start = time.perf_counter()
        call(x)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def worker(runtime: str, network: str, batch: int, threads: int, onnx_path: str,
           min_time: float) -> dict:  # fmt: skip
    x = np.random.default_rng(0).uniform(-1, 1, (batch, 3, *_size(network))).astype(np.float32)
    if runtime == "onnxruntime":
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        session = ort.InferenceSession(onnx_path, options, providers=["CPUExecutionProvider"])
        name = session.get_inputs()[0].name
        seconds = _time(lambda a: session.run(None, {name: a}), x, min_time, 3)
        version = ort.__version__
    else:
        import tilewise

        algo = runtime.split("-", 1)[1]
        model = tilewise.compile(tilewise.zoo.get(network), batch_size=batch, threads=threads,
                                 algo=algo)  # fmt: skip
        seconds = _time(model, x, min_time, 3)
        version = tilewise.__version__
    return {"runtime": runtime, "network": network, "batch": batch, "threads": threads,
            "images_per_sec": batch / seconds, "version": version}  # fmt: skip


def _size(network: str) -> tuple[int, int]:
    return (299, 299) if network == "inception-v3" else (224, 224)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--networks", default="all")
    parser.add_argument("--batch-sizes", default="1,16")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--runtimes", default="tilewise-auto,tilewise-gemm,onnxruntime")
    parser.add_argument("--min-time", type=float, default=2.0)
    parser.add_argument("--json", help="append rows to this file")
    parser.add_argument("--worker", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        runtime, network, batch, threads, path = args.worker
        print(json.dumps(worker(runtime, network, int(batch), int(threads), path, args.min_time)))
        return

    import tilewise
    from tilewise.frontend.onnx_export import export_onnx
    from tilewise.zoo import BENCHMARK_NETWORKS

    networks = list(BENCHMARK_NETWORKS) if args.networks == "all" else args.networks.split(",")
    runtimes = args.runtimes.split(",")
    batches = [int(b) for b in args.batch_sizes.split(",")]
    folder = tempfile.mkdtemp(prefix="tilewise-peers-")
    results = {}
    for network in networks:
        path = os.path.join(folder, f"{network}.onnx")
        export_onnx(tilewise.zoo.get(network), path)
        for batch in batches:
            for runtime in runtimes:
                command = [sys.executable, __file__, "--min-time", str(args.min_time), "--worker",
                           runtime, network, str(batch), str(args.threads), path]  # fmt: skip
                done = subprocess.run(command, capture_output=True, text=True)
                if done.returncode:
                    print(f"{runtime} {network} {batch}: failed\n{done.stderr[-2000:]}")
                    continue
                row = json.loads(done.stdout.strip().splitlines()[-1])
                results[(network, batch, runtime)] = row["images_per_sec"]
                if args.json:
                    with open(args.json, "a") as out:
                        out.write(json.dumps(row) + "\n")
            line = f"{network:>13} batch {batch:>3}: " + "  ".join(
                f"{r} {results.get((network, batch, r), float('nan')):7.2f}" for r in runtimes
            )
            auto = results.get((network, batch, "tilewise-auto"))
            for other in ("tilewise-gemm", "onnxruntime"):
                if auto and results.get((network, batch, other)):
                    ratio = auto / results[(network, batch, other)]
                    line += f"  auto/{other.split('-')[-1]} {ratio:.2f}x"
            print(line, flush=True)


if __name__ == "__main__":
    main()
