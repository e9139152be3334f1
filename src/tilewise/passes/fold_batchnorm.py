"""Fold a BatchNorm into the convolution that feeds it: exact, since it is affine per filter."""

from __future__ import annotations

import logging

import numpy as np

from tilewise.ir.batchnorm import batchnorm_scale_shift
from tilewise.ir.graph import Graph
from tilewise.passes.common import remove_node, sole_reader

log = logging.getLogger("tilewise.passes")


def fold_batchnorm(graph: Graph) -> int:
    producers = graph.producer_map()
    folded = 0
    for bn in [n for n in graph.nodes if n.op == "BatchNorm"]:
        conv = producers.get(bn.inputs[0])
        if conv is None or conv.op != "Convolution" or conv.typed.get("act"):
            continue
        if sole_reader(graph, conv.output) is not bn:
            continue
        gamma, beta, mean, var = (graph.constants[name] for name in bn.inputs[1:5])
        scale, shift = batchnorm_scale_shift(bn.typed, gamma, beta, mean, var)
        weight = graph.constants[conv.inputs[1]]
        bias = graph.constants[conv.inputs[2]] if len(conv.inputs) > 2 else 0.0
        new_weight = (weight.astype(np.float64) * scale.reshape(-1, 1, 1, 1)).astype(np.float32)
        new_bias = (np.asarray(bias, np.float64) * scale + shift).astype(np.float32)
        graph.constants[f"{conv.name}_folded_weight"] = new_weight
        graph.constants[f"{conv.name}_folded_bias"] = new_bias
        conv.inputs = [conv.inputs[0], f"{conv.name}_folded_weight", f"{conv.name}_folded_bias"]
        conv.attrs = {**conv.attrs, "no_bias": False}
        remove_node(graph, bn, conv.output)
        log.debug("fold_batchnorm: %s folded into %s", bn.name, conv.name)
        folded += 1
    return folded
