"""tilewise profile: per-layer time, algorithm, GFLOP/s and each algorithm's phases."""

from __future__ import annotations

import argparse

from tilewise.cli.options import (
    CliError,
    add_algorithm,
    add_model_file,
    add_threads,
    graphs,
    positive,
)


def register(sub) -> None:
    profile = sub.add_parser("profile", help="per-layer time, algorithm and GFLOP/s")
    profile.add_argument("network", nargs="?", help="a zoo network (or use --model)")
    add_model_file(profile)
    profile.add_argument("--batch-size", type=positive, default=1)
    add_threads(profile)
    add_algorithm(profile)
    profile.add_argument("--repeat", type=positive, default=5, help="best of N (default 5)")
    profile.set_defaults(func=run)


def _phases(seconds: dict[str, float], work: dict[str, tuple[float, float]]) -> str:
    """'name ms' per phase, with its GFLOP/s and GB/s where the algorithm reports its work."""
    parts = []
    for name, value in seconds.items():
        text = f"{name} {value * 1e3:.3f}"
        flops, moved = work.get(name, (0.0, 0.0))
        rates = [f"{flops / value / 1e9:.0f} GFLOP/s"] if flops and value else []
        rates += [f"{moved / value / 1e9:.1f} GB/s"] if moved and value else []
        parts.append(f"{text} ({', '.join(rates)})" if rates else text)
    return ", ".join(parts)


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from tilewise.bench.table import format_table
    from tilewise.runtime.compiler import compile_graph

    if not args.model and not args.network:
        raise CliError("profile needs a NETWORK or --model PATH")
    ((network, build),) = graphs(args)
    model = compile_graph(build(args.batch_size), batch_size=args.batch_size,
                          threads=args.threads, algo=args.algo,
                          tolerance=args.tolerance)  # fmt: skip
    x = np.random.default_rng(0).uniform(-1, 1, model.input_shape).astype(np.float32)
    model(x)
    layers = model.profile(x, repeat=args.repeat)
    total = sum(r["seconds"] for r in layers)
    rows = [[r["name"], r["op"], "x".join(map(str, r["output_shape"][1:])), r["layout"],
             r["algorithm"], r["seconds"] * 1e3, r["gflops"], 100 * r["seconds"] / total,
             _phases(r["phases"], r["phase_work"]), r["reason"]] for r in layers]  # fmt: skip
    headers = ["layer", "op", "output", "layout", "algorithm", "ms", "GFLOP/s", "%", "phases ms",
               "reason"]  # fmt: skip
    print(format_table(headers, rows, left={0, 1, 3, 4, 8, 9}))
    reorders = [r for r in layers if r["op"] == "Reorder"]
    print(f"{len(reorders)} reorder(s), {sum(r['seconds'] for r in reorders) * 1e3:.2f} ms")
    print(
        f"{network} batch {args.batch_size}, {model.threads} threads: {total * 1e3:.2f} ms, "
        f"{model.flops / total / 1e9:.1f} GFLOP/s overall"
    )
    return 0
