"""A loaded model: compiles a plan per batch size on first use and keeps the most recently
used ones (a bounded cache: a caller cycling through batch sizes cannot grow memory)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

import numpy as np

from tilewise.errors import InputError
from tilewise.ir.graph import Graph
from tilewise.runtime.compiler import compile_graph
from tilewise.runtime.model import CompiledModel
from tilewise.runtime.threads import EXECUTION


class LoadedModel:
    """`graph` is one graph for every batch size, or a function building one per batch
    size (ONNX: shapes are concrete, so shape arithmetic folds at load)."""

    def __init__(self, graph: Graph | Callable[[int], Graph], threads: int | None = None,
                 algo: str = "auto", max_plans: int = 8) -> None:  # fmt: skip
        if max_plans < 1:
            raise InputError(f"max_plans must be at least 1, got {max_plans}")
        self.graph_for = graph if callable(graph) else (lambda batch_size: graph)
        self.graph = self.graph_for(1)
        self.threads = threads
        self.algo = algo
        self.max_plans = max_plans
        self.plans: OrderedDict[int, CompiledModel] = OrderedDict()  # least recent first

    @property
    def input_name(self) -> str:
        return self.graph.input_name

    @property
    def output_name(self) -> str:
        return self.graph.output_name

    def compile(self, batch_size: int) -> CompiledModel:
        with EXECUTION:  # two threads asking for a new batch size compile it once
            return self._plan(batch_size)

    def _plan(self, batch_size: int) -> CompiledModel:
        if batch_size in self.plans:
            self.plans.move_to_end(batch_size)
            return self.plans[batch_size]
        graph = self.graph if batch_size == 1 else self.graph_for(batch_size)
        plan = compile_graph(graph, batch_size=batch_size, threads=self.threads, algo=self.algo)
        self.plans[batch_size] = plan
        while len(self.plans) > self.max_plans:
            self.plans.popitem(last=False)
        return plan

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if not isinstance(x, np.ndarray) or x.ndim != len(self.graph.input_shape) + 1:
            expected = ("N", *self.graph.input_shape)
            got = x.shape if isinstance(x, np.ndarray) else type(x).__name__
            raise InputError(f"{self.graph.name}: input must have shape {expected}, got {got}")
        return self.compile(x.shape[0])(x)

    def run(self, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Named inputs to named outputs."""
        if set(feeds) != {self.input_name}:
            raise InputError(
                f"{self.graph.name}: inputs are ['{self.input_name}'], got {sorted(feeds)}"
            )
        return {self.output_name: self(feeds[self.input_name])}
