"""Graph of nodes over named values; weights are named constant arrays."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Node:
    """One op application. `inputs` name values or constants, in the op's order."""

    name: str
    op: str
    inputs: list[str]
    attrs: dict = field(default_factory=dict)
    output: str = ""

    def __post_init__(self) -> None:
        if not self.output:
            self.output = self.name

    @property
    def typed(self) -> dict:
        """Attributes parsed and with the op's defaults filled in."""
        from tilewise.ir.attrs import resolve
        from tilewise.ir.ops import SCHEMAS

        return resolve(SCHEMAS[self.op].attrs, self.attrs)


@dataclass
class Graph:
    """A network: float32 inputs (`input_name`, then `extra_inputs`, each with a batch
    dimension), nodes in topological order, one or more outputs (`output_name`, then
    `extra_outputs`: detectors return several maps)."""

    name: str
    input_name: str
    input_shape: tuple[int, ...]  # per-sample shape, without the batch dimension
    nodes: list[Node] = field(default_factory=list)
    constants: dict[str, np.ndarray] = field(default_factory=dict)
    output_name: str = ""
    extra_outputs: list[str] = field(default_factory=list)
    extra_inputs: dict[str, tuple[int, ...]] = field(default_factory=dict)  # per-sample shapes

    @property
    def inputs(self) -> dict[str, tuple[int, ...]]:
        """Every input's per-sample shape, the first input first."""
        return {self.input_name: tuple(self.input_shape), **self.extra_inputs}

    @property
    def outputs(self) -> list[str]:
        return [self.output_name, *self.extra_outputs]

    def copy(self) -> Graph:
        """Nodes are copied; constant arrays are shared (passes replace them, never mutate)."""
        clone = copy.copy(self)
        clone.nodes = [copy.deepcopy(n) for n in self.nodes]
        clone.constants = dict(self.constants)
        clone.extra_outputs = list(self.extra_outputs)
        clone.extra_inputs = dict(self.extra_inputs)
        return clone

    def producer_map(self) -> dict[str, Node]:
        return {n.output: n for n in self.nodes}

    def consumers(self) -> dict[str, list[Node]]:
        users: dict[str, list[Node]] = {}
        for node in self.nodes:
            for name in node.inputs:
                users.setdefault(name, []).append(node)
        return users

    def rename_uses(self, old: str, new: str) -> None:
        """Point every reader of value `old` at value `new`."""
        for node in self.nodes:
            node.inputs = [new if name == old else name for name in node.inputs]
        if self.output_name == old:
            self.output_name = new
        self.extra_outputs = [new if name == old else name for name in self.extra_outputs]

    def parameter_count(self, trainable_only: bool = True) -> int:
        """Elements in constants; running mean/var are not trainable."""
        total = 0
        for name, array in self.constants.items():
            if trainable_only and name.endswith(("_moving_mean", "_moving_var")):
                continue
            total += int(array.size)
        return total

    def op_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for node in self.nodes:
            counts[node.op] = counts.get(node.op, 0) + 1
        return counts
