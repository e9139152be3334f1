"""Summaries, charts and the Markdown report of `tilewise bench --compare` results."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from tilewise.bench.table import format_table


def read_rows(path: str | Path) -> list[dict]:
    rows = []
    for number, line in enumerate(Path(path).read_text().splitlines(), start=1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except ValueError:
                raise ValueError(f"{path}: line {number} is not JSON") from None
    return rows


def summarize(rows: list[dict]) -> dict[tuple[str, str, int], dict]:
    """(network, runtime, batch) -> median, min, max images/sec over rounds, largest diff."""
    groups: dict[tuple[str, str, int], list[dict]] = defaultdict(list)
    for row in rows:
        groups[(row["network"], row["runtime"], row["batch_size"])].append(row)
    summary = {}
    for key, group in groups.items():
        rates = [r["images_per_sec"] for r in group]
        summary[key] = {"median": float(np.median(rates)), "min": min(rates), "max": max(rates),
                        "rounds": len(rates),
                        "max_rel_diff": max(r.get("max_rel_diff", 0.0) for r in group)}  # fmt: skip
    return summary


def _order(rows: list[dict], field: str) -> list:
    seen = []
    for row in rows:
        if row[field] not in seen:
            seen.append(row[field])
    return seen


def text_table(rows: list[dict]) -> str:
    summary = summarize(rows)
    runtimes, batches = _order(rows, "runtime"), sorted(set(r["batch_size"] for r in rows))
    out = []
    for network in _order(rows, "network"):
        table = []
        for runtime in runtimes:
            cells = []
            for batch in batches:
                s = summary.get((network, runtime, batch))
                cells.append(f"{s['median']:.1f} ({s['min']:.1f}-{s['max']:.1f})" if s else "-")
            diff = max((summary[k]["max_rel_diff"] for k in summary
                        if k[0] == network and k[1] == runtime), default=0.0)  # fmt: skip
            table.append([runtime, *cells, f"{diff:.1e}"])
        headers = ["runtime", *(f"batch {b} img/s" for b in batches), "max rel diff"]
        out.append(f"{network} (median over rounds, min-max)")
        out.append(format_table(headers, table, left=frozenset({0})))
    return "\n\n".join(out)


def draw_charts(rows: list[dict], out_dir: Path) -> list[Path]:
    """Per network: images/sec against batch size, one line per runtime (min-max bars)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    summary = summarize(rows)
    paths = []
    for network in _order(rows, "network"):
        figure, axes = plt.subplots(figsize=(6, 4), dpi=100)
        for runtime in _order(rows, "runtime"):
            points = sorted((k[2], v) for k, v in summary.items()
                            if k[0] == network and k[1] == runtime)  # fmt: skip
            if not points:
                continue
            xs = [b for b, _ in points]
            ys = [v["median"] for _, v in points]
            spread = [[v["median"] - v["min"] for _, v in points],
                      [v["max"] - v["median"] for _, v in points]]  # fmt: skip
            axes.errorbar(xs, ys, yerr=spread, marker="o", capsize=3, label=runtime)
        axes.set_xscale("log", base=2)
        axes.set_xticks(sorted({k[2] for k in summary if k[0] == network}))
        axes.get_xaxis().set_major_formatter(matplotlib.ticker.ScalarFormatter())
        axes.set_xlabel("batch size")
        axes.set_ylabel("images / sec")
        threads = rows[0].get("threads", "?")
        axes.set_title(f"{network}, {threads} threads")
        axes.grid(True, alpha=0.3)
        axes.legend(fontsize=8)
        figure.tight_layout()
        path = out_dir / f"{network}.png"
        figure.savefig(path)
        plt.close(figure)
        paths.append(path)
    return paths


def write_report(rows: list[dict], out_dir: Path, notes: list[str] = ()) -> Path:
    """Markdown report with the charts, the table, the machine and the versions."""
    out_dir.mkdir(parents=True, exist_ok=True)
    charts = draw_charts(rows, out_dir)
    first = rows[0]
    versions = {r["runtime"]: r.get("version", "?") for r in rows}
    lines = [
        "# tilewise bench --compare",
        "",
        f"- date: {first.get('timestamp', '?')}",
        f"- machine: {first.get('cpu', '?')} ({first.get('machine', '?')}), "
        f"{first.get('cores', '?')} cores, CPU flags: {first.get('cpu_flags', '?')}",
        f"- threads: {first.get('threads', '?')}; BLAS: {first.get('blas', '?')}",
        "- versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()),
        f"- rounds: {max(r['round'] for r in rows)}, interleaved; each runtime in its own process",
        f"- accuracy: largest |difference| / max |output| against {first.get('reference')} "
        "on the first batch",
        *(f"- note: {n}" for n in notes),
        "",
    ]
    for chart in charts:
        lines += [f"![{chart.stem}]({chart.name})", ""]
    lines += ["```", text_table(rows), "```", ""]
    path = out_dir / "report.md"
    path.write_text("\n".join(lines))
    return path
