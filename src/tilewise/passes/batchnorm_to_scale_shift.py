"""BatchNorms that cannot fold (pre-activation ResNet) become one scale/shift step."""

from __future__ import annotations

import logging

from tilewise.ir.batchnorm import batchnorm_scale_shift
from tilewise.ir.graph import Graph, Node

log = logging.getLogger("tilewise.passes")


def batchnorm_to_scale_shift(graph: Graph) -> int:
    count = 0
    for i, bn in enumerate(graph.nodes):
        if bn.op != "BatchNorm":
            continue
        params = [graph.constants[name] for name in bn.inputs[1:5]]
        scale, shift = batchnorm_scale_shift(bn.typed, *params)
        graph.constants[f"{bn.name}_scale"] = scale
        graph.constants[f"{bn.name}_shift"] = shift
        inputs = [bn.inputs[0], f"{bn.name}_scale", f"{bn.name}_shift"]
        graph.nodes[i] = Node(bn.name, "ScaleShift", inputs, {}, bn.output)
        log.debug("batchnorm_to_scale_shift: %s", bn.name)
        count += 1
    return count
