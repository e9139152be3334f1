"""A small symbol-style builder, so zoo networks read like MXNet's symbol code."""

from __future__ import annotations

import numpy as np

from tilewise.errors import GraphError
from tilewise.ir.attrs import AttrProblem, resolve
from tilewise.ir.graph import Graph, Node
from tilewise.ir.ops import SCHEMAS
from tilewise.zoo.init import initial_value


class Builder:
    """Appends nodes in creation order, creating each parameter with MXNet's initialiser."""

    def __init__(self, name: str, input_shape: tuple[int, ...], seed: int = 0) -> None:
        self.graph = Graph(name=name, input_name="data", input_shape=tuple(input_shape))
        self._shapes = {"data": (1, *input_shape)}
        self._counters: dict[str, int] = {}
        self._rng = np.random.default_rng(seed)

    def add(self, op: str, inputs: str | list[str], name: str | None = None, **attrs) -> str:
        """Add one node; returns its output value's name."""
        data = [inputs] if isinstance(inputs, str) else list(inputs)
        if name is None:
            key = op.lower().lstrip("_")
            name = f"{key}{self._counters.get(key, 0)}"
            self._counters[key] = self._counters.get(key, 0) + 1
        schema = SCHEMAS[op]
        in_shapes = [self._shapes[v] for v in data]
        try:
            typed = resolve(schema.attrs, attrs)
            out_shape = schema.infer(typed, in_shapes)
            param_shapes = schema.param_shapes(typed, in_shapes[0])
        except AttrProblem as problem:
            raise GraphError(name, op, in_shapes, str(problem)) from None
        params = []
        for role in schema.params(typed):
            pname = f"{name}_{role}"
            self.graph.constants[pname] = initial_value(role, param_shapes[role], self._rng)
            params.append(pname)
        self.graph.nodes.append(Node(name=name, op=op, inputs=data + params, attrs=attrs))
        self._shapes[name] = out_shape
        return name

    def finish(self, output: str) -> Graph:
        self.graph.output_name = output
        return self.graph
