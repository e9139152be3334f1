"""tilewise bench: images/sec per network and batch size (MXNet's benchmark_score)."""

from __future__ import annotations

import argparse
import json
import time
from datetime import datetime, timezone

from tilewise.cli.options import (
    DEFAULT_NETWORK,
    add_algorithm,
    add_model_file,
    add_threads,
    batch_sizes,
    graphs,
    positive,
    progress,
)

DEFAULT_BATCHES = "1,2,4,8,16,32"


def register(sub) -> None:
    bench = sub.add_parser(
        "bench",
        help="images/sec per network and batch size (MXNet benchmark_score)",
        description="Random U(-1, 1) images; warm-up, then timed runs; median time per batch.",
    )
    bench.add_argument(
        "--network",
        default=DEFAULT_NETWORK,
        help=f"network(s), comma-separated, or 'all' (default {DEFAULT_NETWORK})",
    )
    bench.add_argument("--batch-sizes", default=DEFAULT_BATCHES,
                       help=f"comma-separated (default {DEFAULT_BATCHES})")  # fmt: skip
    add_threads(bench)
    add_algorithm(bench, "; with --compare a list, e.g. auto,gemm")
    bench.add_argument(
        "--warmup", type=int, default=2, help="untimed runs, at least 0.5 s (default 2)"
    )
    bench.add_argument("--min-time", type=float, default=1.0, help="seconds timed (default 1)")
    bench.add_argument("--min-runs", type=positive, default=3, help="timed runs (default 3)")
    bench.add_argument("--json", metavar="FILE", help="append one JSON row per measurement")
    add_model_file(bench)
    bench.add_argument(
        "--compare",
        metavar="PEERS",
        help="also run peers: onnxruntime,openvino,torch (same weights, via ONNX)",
    )
    bench.add_argument("--rounds", type=positive, default=3, help="--compare: rounds (3)")
    bench.add_argument("--out", default="bench-results", help="--compare: output folder")
    bench.add_argument("--no-cold-start", action="store_true",
                       help="skip the cold-start run in a new process")  # fmt: skip
    bench.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.compare:
        from tilewise.cli.compare import run_compare_command

        return run_compare_command(args)
    from tilewise.bench.cold_start import measure_cold_start
    from tilewise.bench.machine import describe
    from tilewise.bench.runner import measure
    from tilewise.bench.table import format_table
    from tilewise.conv.registry import check_algo
    from tilewise.runtime.threads import set_threads

    networks, batches = graphs(args), batch_sizes(args.batch_sizes)
    check_algo(args.algo)
    threads = set_threads(args.threads)
    machine = describe(threads)
    print(
        f"tilewise {machine['tilewise']} bench: {machine['cpu']} ({machine['machine']}), "
        f"{machine['cores']} cores, {threads} threads, algo={args.algo}"
    )
    print(
        f"python {machine['python']}, numpy {machine['numpy']}, numba {machine['numba']}, "
        f"BLAS {machine['blas']}"
    )
    rows, results = [], []
    total = len(networks) * len(batches)
    started = time.perf_counter()
    for index, (network, build) in enumerate(networks):
        for j, batch in enumerate(batches):
            graph = build(batch)
            done = index * len(batches) + j
            elapsed = time.perf_counter() - started
            eta = f", ~{elapsed / done * (total - done):.0f}s left" if done else ""
            progress(f"[{done + 1}/{total}] {network} batch {batch}{eta}")
            m = measure(network, batch, threads, args.algo, args.warmup, args.min_time,
                        args.min_runs, graph, args.tolerance)  # fmt: skip
            results.append(m)
            rows.append([network, batch, m.images_per_sec, m.ms_per_batch, m.compile_s,
                         m.first_call_s, m.runs])  # fmt: skip
            if args.json:
                row = {**m.as_row(), **machine, "timestamp": _now()}
                with open(args.json, "a", encoding="utf-8") as out:
                    out.write(json.dumps(row) + "\n")
    progress("")
    headers = ["network", "batch", "images/sec", "ms/batch", "compile s", "first call s", "runs"]
    print(format_table(headers, rows))
    if not args.no_cold_start and not args.model:
        cold = measure_cold_start(networks[0][0], batches[0], threads, args.algo)
        print(
            f"cold start in a new process ({networks[0][0]}, batch {batches[0]}): "
            f"{cold['total_s']:.2f} s = import {cold['import_s']:.2f} s + build "
            f"{cold['build_s']:.2f} s + compile {cold['compile_s']:.2f} s + first batch "
            f"{cold['first_batch_s']:.2f} s; warm: {results[0].ms_per_batch / 1e3:.3f} s/batch"
        )
    if args.json:
        print(f"rows appended to {args.json}")
    return 0


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")  # noqa: UP017
