"""algo="tune": measure every applicable algorithm once per layer shape, batch and thread
count; keep the winner in a JSON file in the user's cache directory and reuse it.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np

from tilewise.conv.algorithm import ConvAlgorithm
from tilewise.conv.registry import ALGORITHMS, applicable, plain_choice
from tilewise.host import cpu_model
from tilewise.plan.select import describe_layer

DEFAULT_TOLERANCE = 1e-3


def tuning_path() -> Path:
    """$TILEWISE_TUNING_FILE, else $XDG_CACHE_HOME/tilewise/tuning.json (~/.cache)."""
    if os.environ.get("TILEWISE_TUNING_FILE"):
        return Path(os.environ["TILEWISE_TUNING_FILE"])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "tilewise" / "tuning.json"


def tuning_key(attrs: dict, in_shape: tuple, threads: int) -> str:
    geometry = [attrs[k] for k in ("kernel", "stride", "pad", "dilate")]
    layer = [in_shape[1], attrs["num_filter"], in_shape[2], in_shape[3], *geometry,
             attrs["num_group"]]  # fmt: skip
    return json.dumps([cpu_model(), threads, "float32", layer, in_shape[0]])


class Tuner:
    """Reads the tuning file once; measures and appends records for unseen layers."""

    def __init__(self, threads: int, tolerance: float = DEFAULT_TOLERANCE, path=None) -> None:
        self.threads = threads
        self.tolerance = tolerance
        self.path = Path(path) if path else tuning_path()
        try:
            self.records = json.loads(self.path.read_text())
        except (OSError, ValueError):
            self.records = {}
        self.measured = 0

    def choose(self, attrs, weight, bias, in_shape, out_shape) -> tuple[ConvAlgorithm, str]:
        key = tuning_key(attrs, in_shape, self.threads)
        record = self.records.get(key)
        if record is None or record.get("tolerance") != self.tolerance:
            record = self._measure(attrs, weight, bias, in_shape, out_shape)
            self.records[key] = record
            self.measured += 1
        best = ALGORITHMS[record["best"]]
        baseline = plain_choice(attrs, in_shape).name
        speedup = record["seconds"][baseline] / record["seconds"][best.name]
        rejected = record.get("rejected", {})
        note = f"; rejected for error: {', '.join(rejected)}" if rejected else ""
        return best, f"tuned: {speedup:.2f}x over {baseline} (measured){note}"

    def _measure(self, attrs, weight, bias, in_shape, out_shape) -> dict:
        x = np.random.default_rng(0).uniform(-1, 1, in_shape).astype(np.float32)
        reference = None
        seconds, rejected = {}, {}
        candidates = applicable(attrs, in_shape)
        baseline = plain_choice(attrs, in_shape)
        for algorithm in [baseline] + [a for a in candidates if a is not baseline]:
            out, elapsed = _time(algorithm, attrs, weight, bias, x, in_shape, out_shape)
            if reference is None:
                reference = out
            error = float(np.max(np.abs(out - reference)) / max(np.max(np.abs(reference)), 1e-30))
            if error > self.tolerance:
                rejected[algorithm.name] = error
                continue
            seconds[algorithm.name] = elapsed
        return {
            "layer": describe_layer(attrs, in_shape),
            "best": min(seconds, key=seconds.get),
            "seconds": seconds,
            "rejected": rejected,
            "tolerance": self.tolerance,
            "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        }

    def save(self) -> None:
        if not self.measured:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(self.records, indent=1, sort_keys=True))
        temporary.replace(self.path)


def _time(algorithm, attrs, weight, bias, x, in_shape, out_shape, budget: float = 0.2):
    """Best of several runs (at least 2, up to `budget` seconds); returns (output, seconds)."""
    impl = algorithm.create(attrs, weight, bias, in_shape, out_shape)
    out = np.empty(out_shape, np.float32)
    scratch = np.empty(max(impl.scratch, 1), np.float32)
    impl.run(x, out, scratch)
    best, spent, runs = float("inf"), 0.0, 0
    while runs < 2 or (spent < budget and runs < 10):
        start = time.perf_counter()
        impl.run(x, out, scratch)
        elapsed = time.perf_counter() - start
        best, spent, runs = min(best, elapsed), spent + elapsed, runs + 1
    return out, best
