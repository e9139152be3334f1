"""Fuse an activation into the node that produces its input (applied in that node's epilogue)."""

from __future__ import annotations

import logging

from tilewise.ir.graph import Graph
from tilewise.passes.common import remove_node, sole_reader

FUSING_OPS = ("Convolution", "FullyConnected", "ScaleShift", "elemwise_add")
log = logging.getLogger("tilewise.passes")


def fuse_activation(graph: Graph) -> int:
    producers = graph.producer_map()
    fused = 0
    for act in [n for n in graph.nodes if n.op == "Activation"]:
        producer = producers.get(act.inputs[0])
        if producer is None or producer.op not in FUSING_OPS or producer.attrs.get("act"):
            continue
        if sole_reader(graph, producer.output) is not act:
            continue
        producer.attrs = {**producer.attrs, "act": act.typed["act_type"]}
        remove_node(graph, act, producer.output)
        log.debug("fuse_activation: %s into %s", act.name, producer.name)
        fused += 1
    return fused
