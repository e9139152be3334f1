"""State of one ONNX import: known constants, value shapes, and the graph being built."""

from __future__ import annotations

import numpy as np

from tilewise.errors import GraphError
from tilewise.ir.attrs import AttrProblem, resolve
from tilewise.ir.graph import Graph, Node
from tilewise.ir.ops import SCHEMAS
from tilewise.ir.verify import split_inputs


class ImportContext:
    """Handlers read constants (`const`) and shapes (`shape`), and `emit` tilewise nodes.

    Constants keep their ONNX dtype until a node uses one as a weight (then float32).
    Each emitted node's output shape is inferred at once, so errors name the ONNX node.
    """

    def __init__(self, graph: Graph, consts: dict, batch_size: int, opset: int,
                 source: str | None = None) -> None:  # fmt: skip
        self.graph = graph
        self.source = source  # the file, named in every error
        self.consts = consts
        self.opset = opset
        self.shapes = {name: (batch_size, *shape) for name, shape in graph.inputs.items()}
        self.onnx_node = None
        self._fresh = 0

    def const(self, name: str) -> np.ndarray | None:
        return self.consts.get(name) if name else None

    def shape(self, name: str) -> tuple[int, ...]:
        if name in self.shapes:
            return self.shapes[name]
        return tuple(self.consts[name].shape)

    def constant_input(self, node, index: int, what: str) -> np.ndarray | None:
        """Input `index` of `node` as a constant, None where it is omitted; one computed
        from the data is an error naming the node."""
        name = node.input[index] if len(node.input) > index else ""
        if not name:
            return None
        value = self.const(name)
        if value is None:
            raise self.fail(f"{what} (input {index}) must be a constant or fold to one")
        return value

    def new_name(self, hint: str) -> str:
        self._fresh += 1
        return f"{hint}__{self._fresh}"

    def add_const(self, hint: str, value: np.ndarray) -> str:
        name = self.new_name(hint)
        self.consts[name] = np.asarray(value, np.float32)
        return name

    def fail(self, message: str) -> GraphError:
        node = self.onnx_node
        known = [self.shape(n) for n in node.input if n in self.shapes or n in self.consts]
        return GraphError(node.name or node.output[0], node.op_type, known, message, self.source)

    def emit(self, op: str, inputs: list[str], output: str | None = None, **attrs) -> str:
        """Append a tilewise node; returns its output value (a new name unless given)."""
        source = self.onnx_node
        name = source.name or source.output[0]
        output = output or self.new_name(name)
        for value in inputs:
            if value in self.consts and value not in self.graph.constants:
                self.graph.constants[value] = np.ascontiguousarray(self.consts[value], np.float32)
        node = Node(name if output == source.output[0] else output, op, list(inputs), attrs, output)
        try:
            typed = resolve(SCHEMAS[op].attrs, attrs)
            data, _ = split_inputs(node, typed)
            self.shapes[output] = tuple(SCHEMAS[op].infer(typed, [self.shape(n) for n in data]))
        except AttrProblem as problem:
            raise self.fail(f"{problem} (as tilewise {op})") from None
        self.graph.nodes.append(node)
        return output
