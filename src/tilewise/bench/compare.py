"""`tilewise bench --compare`: tilewise and peer runtimes on the same ONNX-exported weights,
each (runtime, network) in its own subprocess, in interleaved rounds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from tilewise.bench.peers import missing, runtime_version


def onnx_cache() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "tilewise" / "onnx"


def export_network(network: str) -> str:
    """The zoo network as ONNX (seed 0 weights), exported once and cached."""
    import tilewise
    from tilewise.frontend.onnx_export import export_onnx

    path = onnx_cache() / f"{network}-seed0-v{tilewise.__version__}.onnx"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        export_onnx(tilewise.zoo.get(network), str(partial))
        partial.replace(path)
    return str(path)


def relative_difference(output: np.ndarray, reference: np.ndarray) -> float:
    if output.shape != reference.shape:
        return float("inf")
    return float(np.max(np.abs(output - reference)) / max(np.max(np.abs(reference)), 1e-30))


def run_compare(networks: list[str], batches: list[int], runtimes: list[str], threads: int,
                rounds: int, min_time: float, out_dir: Path, machine: dict, progress,
                models: dict[str, str] | None = None,
                model_shape: tuple[int, ...] | None = None,
                ) -> tuple[list[dict], list[str]]:  # fmt: skip
    """Rows per (runtime, network, batch, round), appended to out_dir/results.jsonl as they
    finish; returns (rows, notes). Ctrl-C stops after killing the running worker. A network
    named in `models` is that ONNX file (per-sample input `model_shape`, else the file's),
    run by every runtime, tilewise included; the others are zoo networks."""
    import tilewise
    from tilewise.frontend.load import load_graph

    models = models or {}

    out_dir.mkdir(parents=True, exist_ok=True)
    outputs = out_dir / "outputs"
    outputs.mkdir(exist_ok=True)
    notes = [f"{r}: skipped, {why}" for r in runtimes if (why := missing(r))]
    runtimes = [r for r in runtimes if not missing(r)]
    reference = runtimes[0]
    rows: list[dict] = []
    steps = rounds * len(networks) * len(runtimes)
    started, done = time.perf_counter(), 0
    results = out_dir / "results.jsonl"
    for round_index in range(rounds):
        for network in networks:
            model = models.get(network, "")
            if model:
                onnx_path = model
                shape = load_graph(model, input_shape=model_shape).input_shape
            else:
                onnx_path = export_network(network) if any(
                    not r.startswith("tilewise") for r in runtimes) else ""  # fmt: skip
                shape = tilewise.zoo.get(network).input_shape
            for runtime in runtimes:
                elapsed = time.perf_counter() - started
                eta = f", about {elapsed / done * (steps - done):.0f} s left" if done else ""
                progress(f"[{done + 1}/{steps}] round {round_index + 1}: {runtime} on "
                         f"{network}{eta}")  # fmt: skip
                job = {"runtime": runtime, "onnx": onnx_path, "network": network,
                       "batches": batches, "threads": threads, "min_time": min_time,
                       "outdir": str(outputs), "input_shape": list(shape),
                       "model": model}  # fmt: skip
                worker = subprocess.Popen(
                    [sys.executable, "-m", "tilewise.bench.peer_worker", json.dumps(job)],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                try:
                    stdout, stderr = worker.communicate()
                except KeyboardInterrupt:
                    worker.kill()
                    worker.wait()
                    raise
                done += 1
                if worker.returncode:
                    notes.append(f"{runtime} on {network}: failed: {stderr.strip()[-300:]}")
                    continue
                for line in stdout.splitlines():
                    measured = json.loads(line)
                    batch = measured["batch"]
                    mine = outputs / f"{runtime}-{network}-{batch}.npy"
                    theirs = outputs / f"{reference}-{network}-{batch}.npy"
                    if theirs.exists():
                        difference = relative_difference(np.load(mine), np.load(theirs))
                    else:  # the reference's own run failed (noted): nothing to compare with
                        difference = float("nan")
                    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")  # noqa: UP017
                    row = {"runtime": runtime, "network": network, "batch_size": batch,
                           "round": round_index + 1,
                           "images_per_sec": measured["images_per_sec"],
                           "max_rel_diff": difference, "reference": reference,
                           "version": runtime_version(runtime), **machine,
                           "timestamp": stamp}  # fmt: skip
                    rows.append(row)
                    with results.open("a", encoding="utf-8") as out:
                        out.write(json.dumps(row) + "\n")
    return rows, notes
