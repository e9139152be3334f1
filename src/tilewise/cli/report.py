"""tilewise report: redraw the charts and report from saved --compare results."""

from __future__ import annotations

import argparse
from pathlib import Path

from tilewise.cli.options import CliError


def register(sub) -> None:
    report = sub.add_parser("report", help="redraw the charts and report from saved results")
    report.add_argument("results", help="a results.jsonl written by bench --compare")
    report.add_argument("--out", help="output folder (default: beside the results)")
    report.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tilewise.bench.report import read_rows, text_table, write_report

    try:
        rows = read_rows(args.results)
    except (OSError, ValueError) as error:
        raise CliError(str(error)) from None
    if not rows:
        raise CliError(f"{args.results}: no results")
    out_dir = Path(args.out) if args.out else Path(args.results).parent
    print(text_table(rows))
    print(f"report with charts: {write_report(rows, out_dir)}")
    return 0
