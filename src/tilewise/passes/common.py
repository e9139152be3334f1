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


def _scalar(graph: Graph, name: str) -> float | None:
    value = graph.constants.get(name)
    return float(value.reshape(-1)[0]) if value is not None and value.size == 1 else None


def scalar_operand(graph: Graph, node: Node | None, ops: tuple) -> tuple[str, float] | None:
    """(value operand, scalar constant operand) of a binary `ops` node, either order (the
    constant second only for a division); None if it is not one."""
    if node is None or node.op not in ops or len(node.inputs) != 2:
        return None
    a, b = node.inputs
    if _scalar(graph, b) is not None and a not in graph.constants:
        return a, _scalar(graph, b)
    if _scalar(graph, a) is not None and b not in graph.constants and node.op != "broadcast_div":
        return b, _scalar(graph, a)
    return None


def replace_chain(graph: Graph, nodes: list[Node], replacement: Node) -> None:
    """Put `replacement` where the last of `nodes` was (it takes that node's output) and
    drop the others: a chain of elementary ops becomes one op."""
    last = max(nodes, key=graph.nodes.index)
    graph.nodes[graph.nodes.index(last)] = replacement
    for node in nodes:
        if node is not last:
            graph.nodes.remove(node)
