"""The compiled model: steps bound to preallocated buffers; calling it only runs kernels."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from tilewise.conv.profile import PhaseProfile
from tilewise.errors import InputError
from tilewise.kernels.chain import Chain
from tilewise.operators.base import Operator
from tilewise.runtime.chained import plan_chains
from tilewise.runtime.first_use import SLOW_STEP_SECONDS, log, uncached_kernels
from tilewise.runtime.threads import EXECUTION, set_threads


@dataclass
class Step:
    name: str
    op: str
    operator: Operator
    inputs: list[str]
    output: str
    into: str | None = None  # the value whose buffer it writes its output into (a Concat's)
    also: str | None = None  # a second value its epilogue writes (a later step's output)


class CompiledModel:
    """`model(x)` for x of shape (batch_size, *input_shape), float32; returns a new array,
    the first output; `model.run_outputs(x)` returns every output by name, and
    `model.run_feeds({name: array})` does so for a graph with several inputs."""

    def __init__(
        self,
        name: str,
        steps: list[Step],
        shapes: dict,
        views: dict,
        input_names: list[str],
        output_names: list[str],
        scratch: np.ndarray,
        threads: int,
        algo: str,
        output_labels: list[str] | None = None,
    ) -> None:
        self.name = name
        self.steps = steps
        self.shapes = shapes
        self.input_names = list(input_names)
        self.input_name = self.input_names[0]
        self.output_names = list(output_names)  # the values holding the outputs
        self.output_labels = list(output_labels or output_names)  # their names in the graph
        self.output_name = self.output_names[0]
        self.input_shape = shapes[self.input_name]
        self.output_shapes = [shapes[name] for name in self.output_names]
        self.output_shape = self.output_shapes[0]
        self.batch_size = self.input_shape[0]
        self.threads = threads
        self.algo = algo
        self._views = views  # value -> array, or None where the value is the caller's input
        self._scratch = scratch
        self._work = [s for s in steps if not s.operator.alias]
        self._args = [[views.get(n) for n in s.inputs] for s in self._work]
        self._outs = [views[s.output] for s in self._work]
        self._ran = False  # the first call may compile kernels: it reports them
        self._input_slots = [
            (i, j) for i, args in enumerate(self._args) for j, a in enumerate(args) if a is None
        ]
        # values that are the caller's arrays: the inputs and views of them (a Reshape)
        self._source = {name: name for name in self.input_names}
        for step in steps:
            if step.operator.alias and step.inputs and step.inputs[0] in self._source:
                self._source[step.output] = self._source[step.inputs[0]]

    def _check(self, feeds: dict) -> dict[str, np.ndarray]:
        if set(feeds) != set(self.input_names):
            raise InputError(f"{self.name}: inputs are {self.input_names}, got {sorted(feeds)}")
        checked = {}
        for name, x in feeds.items():
            label = f"input '{name}'" if len(self.input_names) > 1 else "input"
            if not isinstance(x, np.ndarray):
                raise InputError(f"{self.name}: {label} must be a numpy array, got "
                                 f"{type(x).__name__}")  # fmt: skip
            if x.dtype != np.float32:
                raise InputError(f"{self.name}: {label} dtype must be float32, got {x.dtype}"
                                 " (convert with x.astype(np.float32))")  # fmt: skip
            if x.shape != self.shapes[name]:
                raise InputError(
                    f"{self.name}: {label} shape must be {self.shapes[name]} "
                    f"(compiled for batch {self.batch_size}), got {x.shape}"
                )
            checked[name] = np.ascontiguousarray(x)
        return checked

    def _bind(self, feeds: dict[str, np.ndarray]) -> None:
        for i, j in self._input_slots:
            name = self._work[i].inputs[j]
            self._args[i][j] = feeds[self._source[name]].reshape(self.shapes[name])

    def _single(self, x: np.ndarray) -> dict[str, np.ndarray]:
        if len(self.input_names) > 1:
            raise InputError(f"{self.name} has inputs {self.input_names}: call "
                             "run_feeds({name: array, ...})")  # fmt: skip
        return {self.input_name: x}

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Safe from any number of threads: calls take turns (see threads.EXECUTION), as the
        buffers are the model's own."""
        return self._execute(self._single(x), self.output_names[:1])[0]

    def run_outputs(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """Every output of the graph, by name, in the graph's order."""
        return self.run_feeds(self._single(x))

    def run_feeds(self, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Every input by name to every output by name."""
        return dict(zip(self.output_labels, self._execute(feeds, self.output_names),
                        strict=True))  # fmt: skip

    def _execute(self, feeds: dict, names: list[str]) -> list[np.ndarray]:
        feeds = self._check(feeds)
        with EXECUTION:
            set_threads(self.threads)
            self._bind(feeds)
            scratch = self._scratch
            if not self._ran:
                self._first_run(scratch)
            else:
                for item in self._plan:
                    if isinstance(item, Chain):
                        item.run()
                    else:
                        run, args, out = item
                        run(args, out, scratch)
            results = []
            for name in names:
                value = self._views.get(name)
                if value is None:  # an input, or a view of one, is an output
                    value = feeds[self._source[name]]
                results.append(value.reshape(self.shapes[name]).copy())
            return results

    def _first_run(self, scratch: np.ndarray) -> None:
        """Run once; steps slow enough to have compiled kernels are logged, but only when some
        kernel was not in the disk cache (the first run of an install)."""
        started = time.perf_counter()
        total, compiling = len(self._work), None
        for i, (step, args, out) in enumerate(zip(self._work, self._args, self._outs,
                                                  strict=True)):  # fmt: skip
            start = time.perf_counter()
            step.operator.run(args, out, scratch)
            took = time.perf_counter() - start
            if took > SLOW_STEP_SECONDS and compiling is None:
                compiling = bool(uncached_kernels())
                if compiling:
                    log.info("compiling kernels (first run only; cached on disk afterwards)")
            if compiling and took > SLOW_STEP_SECONDS:
                log.info("  [%d/%d] %s (%s): %.1f s", i + 1, total, step.name, step.op, took)
        rebound = {i for i, _ in self._input_slots}
        self._plan = plan_chains(self._work, self._args, self._outs, scratch, rebound,
                                 self.threads)  # fmt: skip
        if compiling:
            log.info("kernels compiled in %.1f s", time.perf_counter() - started)
        self._ran = True

    def profile(self, x: np.ndarray, repeat: int = 3) -> list[dict]:
        """Per-layer best time over `repeat` runs, with algorithm, reason and GFLOP/s, and
        the seconds of each phase a convolution algorithm reports (`phases`)."""
        with EXECUTION:
            return self._profile(self._check(self._single(x)), repeat)

    def _profile(self, feeds: dict, repeat: int) -> list[dict]:
        set_threads(self.threads)
        self._bind(feeds)
        best = [math.inf] * len(self._work)
        phases: list[dict] = [{} for _ in self._work]
        steps = list(zip(self._work, self._args, self._outs, strict=True))
        for _ in range(repeat):
            for i, (step, args, out) in enumerate(steps):
                record = PhaseProfile()
                start = time.perf_counter()
                step.operator.run_profiled(args, out, self._scratch, record)
                elapsed = time.perf_counter() - start
                if elapsed < best[i]:
                    best[i] = elapsed
                    phases[i] = record.seconds
        rows = []
        for step, seconds, split in zip(self._work, best, phases, strict=True):
            row = self.describe(step)
            row["seconds"] = seconds
            row["gflops"] = step.operator.flops / seconds / 1e9 if step.operator.flops else 0.0
            row["phases"] = split
            row["phase_work"] = getattr(getattr(step.operator, "impl", None), "phase_work", {})
            rows.append(row)
        return rows

    def describe(self, step: Step) -> dict:
        return {
            "name": step.name,
            "op": step.op,
            "output_shape": self.shapes[step.output],
            "layout": self.layout_of(step.output),
            "algorithm": step.operator.algorithm,
            "reason": step.operator.reason,
            "flops": step.operator.flops,
        }

    def layout_of(self, value: str) -> str:
        """'nchwc16' (or 8, 4) for a channel-blocked value, else 'nchw'."""
        array = self._views.get(value)
        return f"nchwc{array.shape[-1]}" if array is not None and array.ndim == 5 else "nchw"

    def layers(self) -> list[dict]:
        """Every step with its algorithm and the reason it was chosen."""
        return [self.describe(s) for s in self.steps]

    @property
    def flops(self) -> int:
        return sum(s.operator.flops for s in self.steps)
