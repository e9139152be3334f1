"""Fuse hard-swish written out in elementary ops, x * clip(x + 3, 0, 6) / 6, as Paddle's
exporter writes it (4 steps), into one hard_swish activation, which fuse_activation then
moves into the producing convolution's epilogue."""

from __future__ import annotations

import logging
import math

from tilewise.ir.graph import Graph, Node
from tilewise.passes.common import replace_chain, scalar_operand, sole_reader

log = logging.getLogger("tilewise.passes")
SCALE = ("broadcast_mul", "broadcast_div")


def _sixth(graph: Graph, node: Node | None) -> str | None:
    """The value `node` divides by 6 (or multiplies by 1/6)."""
    split = scalar_operand(graph, node, SCALE)
    if split is None:
        return None
    value, factor = split
    factor = 1 / factor if node.op == "broadcast_div" and factor else factor
    return value if math.isclose(factor, 1 / 6, rel_tol=1e-6) else None


def _times(node: Node | None, a: str, b: str) -> bool:
    return node is not None and node.op == "broadcast_mul" and sorted(node.inputs) == sorted((a, b))


def _chain(graph: Graph, gate: Node, producers: dict) -> tuple[str, list[Node]] | None:
    add = producers.get(gate.inputs[0])
    split = scalar_operand(graph, add, ("broadcast_add",))
    if split is None or split[1] != 3.0 or sole_reader(graph, add.output) is not gate:
        return None
    x = split[0]
    first = sole_reader(graph, gate.output)
    second = sole_reader(graph, first.output) if first is not None else None
    if _times(first, x, gate.output) and _sixth(graph, second) == first.output:
        return x, [add, gate, first, second]  # (x * gate) / 6
    if _sixth(graph, first) == gate.output and _times(second, x, first.output):
        return x, [add, gate, first, second]  # x * (gate / 6)
    return None


def fuse_hard_swish(graph: Graph) -> int:
    fused = 0
    gates = [n for n in graph.nodes if n.op == "Activation" and n.attrs.get("act_type") == "relu6"]
    for gate in gates:
        found = _chain(graph, gate, graph.producer_map())
        if found is None:
            continue
        x, nodes = found
        last = max(nodes, key=graph.nodes.index)
        replace_chain(graph, nodes, Node(last.name, "Activation", [x],
                                         {"act_type": "hard_swish"}, last.output))  # fmt: skip
        log.debug("fuse_hard_swish: %s", last.name)
        fused += 1
    return fused
