"""Per-step dispatch cost: a plan of N tiny layers, so the time is almost all overhead.

    python benchmarks/dispatch.py --steps 200

Reports microseconds per step for a chain of tiny ReLUs (NCHW, one Numba kernel call each)
and a chain of tiny blocked convolutions (one kernel call each, blocked in and out).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import tilewise
from tilewise import Graph, Node


def chain(op: str, steps: int, channels: int) -> Graph:
    nodes, constants, previous = [], {}, "data"
    rng = np.random.default_rng(0)
    for i in range(steps):
        name = f"{op.lower()}{i}"
        if op == "Convolution":
            constants[f"{name}_weight"] = rng.uniform(-0.3, 0.3, (channels, channels, 1, 1)).astype(
                np.float32
            )
            attrs = {"kernel": (1, 1), "num_filter": channels, "no_bias": True}
            nodes.append(Node(name, op, [previous, f"{name}_weight"], attrs))
        else:
            nodes.append(Node(name, "Activation", [previous], {"act_type": "relu"}))
        previous = name
    return Graph(f"{op}-chain", "data", (channels, 4, 4), nodes, constants, previous)


def per_step_us(graph: Graph, steps: int, algo: str, threads: int | None) -> float:
    model = tilewise.compile(graph, algo=algo, threads=threads)
    x = np.random.default_rng(1).uniform(-1, 1, model.input_shape).astype(np.float32)
    model(x)
    best = min(_timed(model, x) for _ in range(20))
    return best / steps * 1e6


def _timed(model, x) -> float:
    start = time.perf_counter()
    model(x)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    relu = per_step_us(chain("Activation", args.steps, 16), args.steps, "auto", args.threads)
    conv = per_step_us(chain("Convolution", args.steps, 16), args.steps, "nchwc-direct",
                       args.threads)  # fmt: skip
    gemm = per_step_us(chain("Convolution", args.steps, 16), args.steps, "gemm", args.threads)
    print(
        f"{args.steps} steps of 16x4x4: relu {relu:.1f} us/step, blocked 1x1 conv "
        f"{conv:.1f} us/step, GEMM 1x1 conv {gemm:.1f} us/step"
    )


if __name__ == "__main__":
    main()
