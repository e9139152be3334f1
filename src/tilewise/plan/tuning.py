"""algo="tune": measure every applicable algorithm once per layer shape, batch and thread
count; keep the winner in a JSON file in the user's cache directory and reuse it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from tilewise.conv.algorithm import ConvAlgorithm
from tilewise.conv.registry import ALGORITHMS, applicable, plain_choice
from tilewise.host import cpu_model
from tilewise.plan.select import describe_layer

DEFAULT_TOLERANCE = 1e-3
log = logging.getLogger("tilewise")


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
        self.records = read_records(self.path)
        self.measured = 0

    def choose(self, attrs, weight, bias, in_shape, out_shape) -> tuple[ConvAlgorithm, str]:
        key = tuning_key(attrs, in_shape, self.threads)
        record = self.records.get(key)
        baseline = plain_choice(attrs, in_shape).name
        usable = {a.name for a in applicable(attrs, in_shape)} | {baseline}
        if (
            record is None
            or record.get("tolerance") != self.tolerance
            or baseline not in record["seconds"]
            or record["best"] not in usable
        ):
            record = self._measure(attrs, weight, bias, in_shape, out_shape)
            self.records[key] = record
            self.measured += 1
        best = ALGORITHMS[record["best"]]
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
        """Atomic: a temporary file of this process's own, renamed over the file; records
        another process wrote meanwhile are merged in first (last writer wins per layer)."""
        if not self.measured:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with _locked(self.path.with_name(self.path.name + ".lock")):
                records = {**read_records(self.path, quiet=True), **self.records}
                handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".tuning-",
                                                     suffix=".tmp")  # fmt: skip
                try:
                    with os.fdopen(handle, "w", encoding="utf-8") as out:
                        json.dump(records, out, indent=1, sort_keys=True)
                    os.replace(temporary, self.path)
                finally:
                    with contextlib.suppress(OSError):
                        os.unlink(temporary)
        except OSError as error:
            log.warning("tuning results not saved to %s: %s", self.path, error)


@contextlib.contextmanager
def _locked(lock_path: Path):
    """Writers take turns (POSIX advisory lock; elsewhere the rename alone keeps the file
    whole, and a concurrent writer's new records may be lost)."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    with open(lock_path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def read_records(path: Path, quiet: bool = False) -> dict:
    """The tuning file's records; a missing file is empty, a corrupt one (or corrupt
    records) is ignored with a warning and measured again."""
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        if not quiet:
            log.warning("ignoring the tuning file %s (%s); layers will be measured again",
                        path, error)  # fmt: skip
        return {}
    if not isinstance(records, dict):
        if not quiet:
            log.warning("ignoring the tuning file %s: not a JSON object", path)
        return {}
    valid = {key: r for key, r in records.items() if _valid(r)}
    if len(valid) != len(records) and not quiet:
        log.warning("ignoring %d malformed record(s) in the tuning file %s",
                    len(records) - len(valid), path)  # fmt: skip
    return valid


def _valid(record) -> bool:
    return (
        isinstance(record, dict)
        and record.get("best") in ALGORITHMS
        and isinstance(record.get("seconds"), dict)
        and record["best"] in record["seconds"]
        and all(isinstance(v, (int, float)) for v in record["seconds"].values())
    )


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
