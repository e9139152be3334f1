"""Resident memory against calls: a compiled model called N times, RSS every N/10 calls.

python benchmarks/memory.py --network resnet-18 --calls 10000 --batch-size 1
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np


def resident_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--network", default="resnet-18")
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=1)
    args = parser.parse_args()

    import tilewise

    graph = tilewise.zoo.get(args.network)
    model = tilewise.compile(graph, batch_size=args.batch_size)
    x = np.random.default_rng(0).uniform(-1, 1, (args.batch_size, *graph.input_shape))
    x = x.astype(np.float32)
    model(x)
    print(
        f"{args.network} batch {args.batch_size}: RSS after compile and one call "
        f"{resident_mib():.1f} MiB"
    )
    started = time.perf_counter()
    step = max(1, args.calls // 10)
    for call in range(1, args.calls + 1):
        model(x)
        if call % step == 0:
            print(
                f"  {call:>6d} calls  RSS {resident_mib():7.1f} MiB  "
                f"({time.perf_counter() - started:.0f} s)",
                flush=True,
            )


if __name__ == "__main__":
    main()
