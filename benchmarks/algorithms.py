"""tilewise's algorithm choices side by side in one process: gemm (the plain path), auto and
tune, compiled once each and timed in interleaved rounds so machine drift hits all alike.

    python benchmarks/algorithms.py --networks all --batch-sizes 1,4,16 --rounds 5

Prints the median images/sec per choice and the ratios to gemm.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import tilewise
from tilewise.zoo import BENCHMARK_NETWORKS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--networks", default="all")
    parser.add_argument("--batch-sizes", default="1,4,16")
    parser.add_argument("--algos", default="gemm,auto,tune")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=0.5, help="per choice and round")
    args = parser.parse_args()
    networks = BENCHMARK_NETWORKS if args.networks == "all" else args.networks.split(",")
    algos = args.algos.split(",")
    for network in networks:
        graph = tilewise.zoo.get(network)
        for batch in [int(b) for b in args.batch_sizes.split(",")]:
            models = {a: tilewise.compile(graph, batch_size=batch, threads=args.threads, algo=a)
                      for a in algos}  # fmt: skip
            x = np.random.default_rng(0).uniform(-1, 1, models[algos[0]].input_shape)
            x = x.astype(np.float32)
            rates: dict[str, list[float]] = {a: [] for a in algos}
            for _ in range(args.rounds):
                for algo, model in models.items():
                    model(x)
                    start, runs = time.perf_counter(), 0
                    while runs < 2 or time.perf_counter() - start < args.seconds:
                        model(x)
                        runs += 1
                    rates[algo].append(runs * batch / (time.perf_counter() - start))
            median = {a: float(np.median(r)) for a, r in rates.items()}
            base = median[algos[0]]
            cells = "  ".join(
                f"{a} {median[a]:7.2f} (+-{np.std(rates[a]):.1f}, {median[a] / base:.2f}x)"
                for a in algos
            )
            print(f"{network:>13} batch {batch:>3}: {cells}", flush=True)


if __name__ == "__main__":
    main()
