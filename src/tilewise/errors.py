"""Exceptions users see. Each message names the node, op and shapes involved."""

from __future__ import annotations


class TilewiseError(ValueError):
    """Base class for every error tilewise raises on bad input."""


class GraphError(TilewiseError):
    """A node whose attributes or input shapes are illegal."""

    def __init__(self, node_name: str, op: str, input_shapes: list, message: str,
                 source: str | None = None) -> None:  # fmt: skip
        shapes = ", ".join(str(tuple(s)) for s in input_shapes) or "none"
        where = f"{source}: " if source else ""
        super().__init__(f"{where}node '{node_name}' ({op}), input shapes [{shapes}]: {message}")
        self.node_name = node_name
        self.op = op
        self.input_shapes = input_shapes
        self.message = message
        self.source = source

    def located(self, source: str) -> GraphError:
        """The same error, naming the file it came from."""
        if self.source:
            return self
        return GraphError(self.node_name, self.op, self.input_shapes, self.message, source)


class UnsupportedOpError(TilewiseError):
    """One or more ops that tilewise cannot run, listed all at once."""

    def __init__(self, items: list[tuple[str, str]], source: str = "graph") -> None:
        listed = "; ".join(f"{op} (node '{name}')" for op, name in items)
        super().__init__(f"{source}: {len(items)} unsupported op(s): {listed}")
        self.items = items


class InputError(TilewiseError):
    """An input array that does not fit the compiled model."""
