"""tilewise bench --compare: tilewise beside peer runtimes, interleaved, with a report."""

from __future__ import annotations

import argparse
from pathlib import Path

from tilewise.cli.options import CliError, batch_sizes, graphs, input_shape, progress


def run_compare_command(args: argparse.Namespace) -> int:
    from tilewise.bench.compare import run_compare
    from tilewise.bench.machine import describe
    from tilewise.bench.peers import PEERS
    from tilewise.bench.report import read_rows, text_table, write_report
    from tilewise.conv.registry import check_algo
    from tilewise.runtime.threads import set_threads

    peers = [p for p in args.compare.split(",") if p]
    unknown = [p for p in peers if p not in PEERS]
    if unknown:
        raise CliError(f"unknown peer(s) {', '.join(unknown)}; choose from: {', '.join(PEERS)}")
    algos = args.algo.split(",")
    for algo in algos:
        check_algo(algo)
    lines = ["tilewise-auto"] + [f"tilewise-{a}" for a in algos if a != "auto"]
    networks = [name for name, _ in graphs(args)]
    models = {}
    if args.model:  # every runtime runs the file itself
        if not str(args.model).endswith(".onnx"):
            raise CliError(f"--compare runs the peers on ONNX; {args.model} is not an .onnx file")
        models = {networks[0]: str(Path(args.model).resolve())}
    threads = set_threads(args.threads)
    out_dir = Path(args.out)
    rows, notes, interrupted = [], [], False
    try:
        rows, notes = run_compare(networks, batch_sizes(args.batch_sizes), lines + peers,
                                  threads, args.rounds, args.min_time, out_dir,
                                  describe(threads), progress, models,
                                  input_shape(args.input_shape))  # fmt: skip
    except KeyboardInterrupt:
        interrupted = True
        results = out_dir / "results.jsonl"
        rows = read_rows(results) if results.exists() else []
    progress("")
    for note in notes:
        print(f"note: {note}")
    if not rows:
        print("no measurements finished")
        return 130 if interrupted else 1
    print(text_table(rows))
    report = write_report(rows, out_dir, notes)
    print(f"results: {out_dir / 'results.jsonl'}; report with charts: {report}")
    return 130 if interrupted else 0
