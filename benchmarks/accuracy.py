"""Error of every convolution algorithm on every distinct conv layer of the benchmark networks,
full size, batch 1, in the two measures of tests/accuracy.py. Writes a Markdown table.

    python benchmarks/accuracy.py [--networks alexnet,vgg-16] [--out docs/accuracy-table.md]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from accuracy import measure  # noqa: E402

from tilewise.zoo import BENCHMARK_NETWORKS  # noqa: E402
from tilewise.zoo.layers import conv_shapes  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--networks", default=",".join(BENCHMARK_NETWORKS))
    parser.add_argument("--out", default="docs/accuracy-table.md")
    args = parser.parse_args()
    worst: dict[tuple[str, str], tuple[float, float]] = {}
    lines = ["| layer | algorithm | NNPACK measure | max err / max out |", "|---|---|---|---|"]
    for network in args.networks.split(","):
        for shape in conv_shapes(network):
            for name, (nnpack, zero_mean) in measure(shape).items():
                lines.append(f"| {shape.label()} | {name} | {nnpack:.2e} | {zero_mean:.2e} |")
                key = (network, name)
                old = worst.get(key, (0.0, 0.0))
                worst[key] = (max(old[0], nnpack), max(old[1], zero_mean))
            print(shape.label(), flush=True)
    summary = ["| network | algorithm | worst NNPACK measure | worst max err / max out |",
               "|---|---|---|---|"]  # fmt: skip
    summary += [f"| {n} | {a} | {v[0]:.2e} | {v[1]:.2e} |" for (n, a), v in worst.items()]
    text = "\n".join(["# Convolution accuracy, every layer", "", *summary, "", *lines, ""])
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text)
    print("\n".join(summary))


if __name__ == "__main__":
    main()
