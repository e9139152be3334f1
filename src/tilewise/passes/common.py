"""Helpers the passes share."""

from __future__ import annotations

from tilewise.ir.graph import Graph, Node


def remove_node(graph: Graph, node: Node, replacement: str) -> None:
    """Delete `node`; its readers read `replacement` instead."""
    graph.nodes.remove(node)
    graph.rename_uses(node.output, replacement)


def sole_reader(graph: Graph, value: str) -> Node | None:
    """The only node reading `value`, or None if there are several or it is a graph output."""
    if value in graph.outputs:
        return None
    readers = graph.consumers().get(value, [])
    return readers[0] if len(readers) == 1 else None
