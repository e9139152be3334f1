"""The cost of making model calls thread-safe (one process-wide execution lock): single-
thread latency with the lock against without it, in interleaved rounds, and throughput
from 1 and 8 threads sharing one model.

    python benchmarks/concurrency.py --network resnet-18 --calls 200
"""

from __future__ import annotations

import argparse
import contextlib
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--network", default="resnet-18")
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    import tilewise
    from tilewise.runtime import model as model_module

    graph = tilewise.zoo.get(args.network)
    model = tilewise.compile(graph, batch_size=1)
    x = np.random.default_rng(0).uniform(-1, 1, (1, *graph.input_shape)).astype(np.float32)
    model(x)
    locked = model_module.EXECUTION

    def per_call(lock) -> float:
        model_module.EXECUTION = lock
        started = time.perf_counter()
        for _ in range(args.calls):
            model(x)
        return (time.perf_counter() - started) / args.calls

    with_lock, without = [], []
    for _ in range(args.rounds):
        with_lock.append(per_call(locked))
        without.append(per_call(contextlib.nullcontext()))
    model_module.EXECUTION = locked
    print(
        f"{args.network} batch 1, single thread, best of {args.rounds} rounds of "
        f"{args.calls}: with the lock {min(with_lock) * 1e3:.3f} ms, without "
        f"{min(without) * 1e3:.3f} ms ({min(with_lock) / min(without):.3f}x)"
    )
    for threads in (1, 8):
        with ThreadPoolExecutor(threads) as pool:
            started = time.perf_counter()
            list(pool.map(lambda _: model(x), range(args.calls)))
            took = time.perf_counter() - started
        print(f"  {threads} caller thread(s): {args.calls / took:.1f} calls/s")


if __name__ == "__main__":
    main()
