"""Fuse GELU written out in elementary ops, x * 0.5 * (1 + erf(x / sqrt 2)), as exporters
from PyTorch and Paddle write it (5 steps, 5 passes over memory), into one unary gelu."""

from __future__ import annotations

import logging
import math

from tilewise.ir.graph import Graph, Node
from tilewise.passes.common import replace_chain, scalar_operand, sole_reader

log = logging.getLogger("tilewise.passes")


def _chain(graph: Graph, erf: Node, producers: dict) -> tuple[str, list[Node]] | None:
    """(x, the nodes from x / sqrt 2 to the last multiply) if `erf` is GELU's."""
    scaled = producers.get(erf.inputs[0])
    split = scalar_operand(graph, scaled, ("broadcast_div", "broadcast_mul"))
    if split is None or sole_reader(graph, scaled.output) is not erf:
        return None
    x, factor = split
    factor = 1 / factor if scaled.op == "broadcast_div" and factor else factor
    if not math.isclose(factor, 1 / math.sqrt(2), rel_tol=1e-6):
        return None
    add = sole_reader(graph, erf.output)
    if scalar_operand(graph, add, ("broadcast_add",)) != (erf.output, 1.0):
        return None
    times = sole_reader(graph, add.output)
    if times is None or times.op != "broadcast_mul" or add.output not in times.inputs:
        return None
    other = times.inputs[1] if times.inputs[0] == add.output else times.inputs[0]
    if other == x:  # (1 + erf) * x, then * 0.5
        last = sole_reader(graph, times.output)
        if scalar_operand(graph, last, ("broadcast_mul",)) == (times.output, 0.5):
            return x, [scaled, erf, add, times, last]
        return None
    half = producers.get(other)  # (1 + erf) * (x * 0.5)
    if (
        scalar_operand(graph, half, ("broadcast_mul",)) == (x, 0.5)
        and sole_reader(graph, other) is times
    ):
        return x, [scaled, erf, add, half, times]
    return None


def fuse_gelu(graph: Graph) -> int:
    fused = 0
    for erf in [n for n in graph.nodes if n.op == "unary" and n.attrs.get("function") == "erf"]:
        found = _chain(graph, erf, graph.producer_map())
        if found is None:
            continue
        x, nodes = found
        last = max(nodes, key=graph.nodes.index)
        replace_chain(graph, nodes, Node(last.name, "unary", [x], {"function": "gelu"},
                                         last.output))  # fmt: skip
        log.debug("fuse_gelu: %s", last.name)
        fused += 1
    return fused
