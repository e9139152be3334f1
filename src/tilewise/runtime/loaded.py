"""A loaded model: compiles a plan per batch size (and per input shape, where the model
takes its shape from the data) on first use, and keeps the most recently used ones: a
bounded cache, so a caller cycling through sizes cannot grow memory."""

from __future__ import annotations

from collections import OrderedDict
from typing import Protocol

import numpy as np

from tilewise.errors import InputError, TilewiseError
from tilewise.ir.graph import Graph
from tilewise.runtime.compiler import compile_graph
from tilewise.runtime.model import CompiledModel
from tilewise.runtime.threads import EXECUTION


class GraphSource(Protocol):
    """What a loaded file offers: graphs built per batch size and per-sample shape."""

    input_name: str
    input_names: list[str]  # the first is `input_name`; every input has a batch dimension
    output_names: list[str]
    default_shape: tuple[int, ...] | None  # None: the shape comes from the data
    reshapes: bool  # other per-sample shapes may be built from the data

    def build(self, batch_size: int, sample_shape: tuple[int, ...],
              extra_shapes: dict | None = None) -> Graph: ...  # fmt: skip


class FixedGraph:
    """One graph, one per-sample shape, every batch size (the zoo, hand-built graphs)."""

    reshapes = False

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.input_name, self.output_names = graph.input_name, graph.outputs
        self.input_names = list(graph.inputs)
        self.default_shape = tuple(graph.input_shape)

    def build(self, batch_size: int, sample_shape: tuple[int, ...],
              extra_shapes: dict | None = None) -> Graph:  # fmt: skip
        return self.graph

    def extra_shapes(self) -> dict[str, tuple[int, ...]]:
        return dict(self.graph.extra_inputs)


class LoadedModel:
    def __init__(self, source: Graph | GraphSource, threads: int | None = None,
                 algo: str = "auto", max_plans: int = 8) -> None:  # fmt: skip
        if max_plans < 1:
            raise InputError(f"max_plans must be at least 1, got {max_plans}")
        self.source = FixedGraph(source) if isinstance(source, Graph) else source
        shape = self.source.default_shape
        several = len(self.input_names) > 1
        extras_known = not several or self.source.extra_shapes() is not None
        self.graph = self.source.build(1, shape) if shape is not None and extras_known else None
        self.threads = threads
        self.algo = algo
        self.max_plans = max_plans
        # (batch size, per-sample shape) -> plan, least recently used first
        self.plans: OrderedDict[tuple, CompiledModel] = OrderedDict()

    @property
    def input_name(self) -> str:
        return self.source.input_name

    @property
    def input_names(self) -> list[str]:
        return list(getattr(self.source, "input_names", [self.source.input_name]))

    @property
    def output_name(self) -> str:
        """The first output: what calling the model returns."""
        return self.source.output_names[0]

    @property
    def output_names(self) -> list[str]:
        return list(self.source.output_names)

    @property
    def input_shape(self) -> tuple[int, ...] | None:
        """The per-sample shape compiled by default; None when it comes from the data."""
        return self.source.default_shape

    @property
    def name(self) -> str:
        return self.graph.name if self.graph is not None else self.input_name

    def compile(self, batch_size: int,
                sample_shape: tuple[int, ...] | None = None) -> CompiledModel:  # fmt: skip
        shape = tuple(sample_shape) if sample_shape is not None else self.input_shape
        if shape is None:
            raise TilewiseError(f"{self.name}: the input shape comes from the data; give "
                                "compile() a per-sample shape, or call the model")  # fmt: skip
        with EXECUTION:  # two threads asking for a new plan compile it once
            return self._plan(batch_size, shape)

    def _plan(self, batch_size: int, shape: tuple[int, ...],
              extra: dict | None = None) -> CompiledModel:  # fmt: skip
        key = (batch_size, shape, tuple(sorted(extra.items()))) if extra else (batch_size, shape)
        if key in self.plans:
            self.plans.move_to_end(key)
            return self.plans[key]
        if batch_size == 1 and shape == self.input_shape and self.graph is not None and not extra:
            graph = self.graph
        elif extra:
            graph = self.source.build(batch_size, shape, extra)
        else:
            graph = self.source.build(batch_size, shape)
        plan = compile_graph(graph, batch_size=batch_size, threads=self.threads, algo=self.algo)
        self.plans[key] = plan
        while len(self.plans) > self.max_plans:
            self.plans.popitem(last=False)
        return plan

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """The first output (`run` gives every output of a model that has several)."""
        if len(self.input_names) > 1:
            raise InputError(f"{self.name} has inputs {self.input_names}: call "
                             "model.run({name: array, ...})")  # fmt: skip
        self._check_input(x)
        return self._typed(self.output_name, self.compile(x.shape[0], x.shape[1:])(x))

    def _check_input(self, x) -> None:
        default = self.input_shape
        if not isinstance(x, np.ndarray) or (default is not None and not self.source.reshapes
                                             and x.shape[1:] != default):  # fmt: skip
            expected = ("N", *default) if default is not None else "(N, ...)"
            got = x.shape if isinstance(x, np.ndarray) else type(x).__name__
            raise InputError(f"{self.name}: input must have shape {expected}, got {got}")
        if x.ndim < 1:
            raise InputError(f"{self.name}: input must have a batch dimension, got {x.shape}")

    def run(self, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Named inputs to every named output, as onnxruntime's `run(None, feeds)`."""
        if set(feeds) != set(self.input_names):
            raise InputError(f"{self.name}: inputs are {self.input_names}, got {sorted(feeds)}")
        x = feeds[self.input_name]
        self._check_input(x)
        if len(self.input_names) == 1:
            outputs = self.compile(x.shape[0], x.shape[1:]).run_outputs(x)
        else:
            outputs = self._run_several(feeds)
        return {name: self._typed(name, value) for name, value in outputs.items()}

    def _run_several(self, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Every input shares the batch size; each combination of shapes gets its plan."""
        batch = feeds[self.input_name].shape[0]
        extra = {}
        for name in self.input_names[1:]:
            value = feeds[name]
            if not isinstance(value, np.ndarray) or value.ndim < 1 or value.shape[0] != batch:
                got = value.shape if isinstance(value, np.ndarray) else type(value).__name__
                raise InputError(f"{self.name}: input '{name}' must be an array with the batch "
                                 f"size {batch} first, got {got}")  # fmt: skip
            extra[name] = tuple(value.shape[1:])
        with EXECUTION:
            plan = self._plan(batch, tuple(feeds[self.input_name].shape[1:]), extra)
        return plan.run_feeds(feeds)

    def _typed(self, name: str, value: np.ndarray) -> np.ndarray:
        """Outputs the file declares integer or boolean (ArgMax, TopK indices, Equal)."""
        dtype = getattr(self.source, "output_dtypes", {}).get(name)
        return value if dtype is None else value.astype(dtype)
