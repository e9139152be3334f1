"""How well `algo="auto"` picks among the blocked 3x3 algorithms, timed inside whole networks.

    python benchmarks/selection_fit.py --networks resnet-50,inception-bn,inception-v3,vgg-16

Each network is compiled once per algorithm (nchwc-direct, nchwc-winograd-f2, -f4, forced)
and profiled, so every stride-1 3x3 layer is timed in network order, with its weights
coming from memory or L3 as in a real run; timed alone, a layer's transformed weights stay
hot in cache and Winograd looks faster than it is. Prints measured / estimated time per
algorithm and what the estimate's choice costs against the best measured one.
"""

from __future__ import annotations

import argparse
import json
import statistics

import numpy as np

import tilewise
from tilewise.conv.nchwc import estimate as direct_estimate
from tilewise.conv.nchwc_winograd import estimate as winograd_estimate
from tilewise.ir.verify import infer_shapes

ALGORITHMS = {"nchwc-direct": None, "nchwc-winograd-f2": 2, "nchwc-winograd-f4": 4}


def estimates(node, shapes: dict, threads: int) -> dict[str, float]:
    in_shape, out_shape = shapes[node.inputs[0]], shapes[node.output]
    return {
        name: direct_estimate(node.typed, in_shape, out_shape, threads)
        if m is None
        else winograd_estimate(m, in_shape, out_shape, threads)
        for name, m in ALGORITHMS.items()
    }


def measure(network: str, batch: int, threads: int, repeat: int) -> list[dict]:
    graph = tilewise.zoo.get(network)
    seconds: dict[str, dict[str, float]] = {}
    for algorithm in ALGORITHMS:
        model = tilewise.compile(graph, batch_size=batch, threads=threads, algo=algorithm)
        x = np.random.default_rng(0).uniform(-1, 1, model.input_shape).astype(np.float32)
        model(x)
        for row in model.profile(x, repeat=repeat):
            if row["op"] == "Convolution" and row["algorithm"] == algorithm:
                seconds.setdefault(row["name"], {})[algorithm] = row["seconds"]
    shapes = infer_shapes(graph, batch)
    rows = []
    for node in graph.nodes:
        if node.op != "Convolution" or len(seconds.get(node.name, {})) != len(ALGORITHMS):
            continue
        if node.typed["kernel"] != (3, 3) or node.typed["stride"] != (1, 1):
            continue
        rows.append({"layer": f"{network} b{batch} {node.name}", "measured": seconds[node.name],
                     "estimated": estimates(node, shapes, threads)})  # fmt: skip
    return rows


def report(rows: list[dict]) -> None:
    for name in ALGORITHMS:
        ratios = [row["measured"][name] / row["estimated"][name] for row in rows]
        low, _, high = statistics.quantiles(ratios, n=4)
        print(f"{name:18s} measured / estimated: median {statistics.median(ratios):.2f} "
              f"(quartiles {low:.2f}-{high:.2f})")  # fmt: skip
    picked = best = loss = 0.0
    for row in rows:
        choice = min(row["estimated"], key=row["estimated"].get)
        fastest = min(row["measured"].values())
        picked += row["measured"][choice]
        best += fastest
        loss += row["measured"][choice] / fastest - 1
    print(f"{len(rows)} layers: the estimate's choices take {picked * 1e3:.1f} ms, the best "
          f"{best * 1e3:.1f} ms (+{100 * (picked / best - 1):.1f}%); mean loss per layer "
          f"{100 * loss / len(rows):.1f}%")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--networks", default="resnet-50,inception-bn,inception-v3,vgg-16")
    parser.add_argument("--batch-sizes", default="1,16")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--json", help="also write the per-layer times here (for a refit)")
    args = parser.parse_args()
    threads = tilewise.set_threads(args.threads)
    rows = []
    for network in args.networks.split(","):
        for batch in (int(b) for b in args.batch_sizes.split(",")):
            rows += measure(network, batch, threads, repeat=8 if batch == 1 else 3)
            print(f"{network} batch {batch}: {len(rows)} layers so far", flush=True)
    report(rows)
    if args.json:
        with open(args.json, "w") as file:
            json.dump(rows, file, indent=1)


if __name__ == "__main__":
    main()
