"""Fuse SiLU written out as x * sigmoid(x) (YOLO's activation; the ONNX exporters write a
Sigmoid and a Mul) into one silu activation, which fuse_activation then moves into the
producing convolution."""

from __future__ import annotations

import logging

from tilewise.ir.graph import Graph, Node
from tilewise.passes.common import replace_chain, sole_reader

log = logging.getLogger("tilewise.passes")


def fuse_silu(graph: Graph) -> int:
    fused = 0
    gates = [
        n for n in graph.nodes if n.op == "Activation" and n.attrs.get("act_type") == "sigmoid"
    ]
    for gate in gates:
        x = gate.inputs[0]
        times = sole_reader(graph, gate.output)
        if (
            times is None
            or times.op != "broadcast_mul"
            or sorted(times.inputs) != sorted((x, gate.output))
        ):
            continue
        replace_chain(graph, [gate, times], Node(times.name, "Activation", [x],
                                                 {"act_type": "silu"}, times.output))  # fmt: skip
        log.debug("fuse_silu: %s", times.name)
        fused += 1
    return fused
