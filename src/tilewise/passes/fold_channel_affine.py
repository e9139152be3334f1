"""Fold a per-channel multiply or add by constants into the convolution that feeds it, as
fold_batchnorm does for BatchNorm: exporters (Paddle's among them) often write BatchNorm as
a Mul and an Add of (C, 1, 1) constants, which would otherwise be two passes over memory
and would keep the activation after them out of the convolution's epilogue."""

from __future__ import annotations

import logging

import numpy as np

from tilewise.ir.graph import Graph, Node
from tilewise.passes.common import remove_node, sole_reader

log = logging.getLogger("tilewise.passes")
AFFINE = ("broadcast_mul", "broadcast_add", "broadcast_sub", "broadcast_div")


def _per_filter(graph: Graph, node: Node, conv: Node) -> np.ndarray | None:
    """The constant operand as one value per filter, if it is one (or a scalar)."""
    value_first = node.inputs[0] == conv.output
    name = node.inputs[1] if value_first else node.inputs[0]
    if name not in graph.constants:
        return None
    if not value_first and node.op in ("broadcast_sub", "broadcast_div"):  # c - x, c / x
        return None
    constant = graph.constants[name]
    filters = conv.typed["num_filter"]
    if constant.ndim > 4:
        return None
    shape = (1,) * (4 - constant.ndim) + constant.shape
    if shape[0] != 1 or shape[2:] != (1, 1) or shape[1] not in (1, filters):
        return None
    return np.broadcast_to(constant.astype(np.float64).reshape(-1), (filters,))


def _fold(graph: Graph, node: Node, conv: Node, values: np.ndarray) -> None:
    weight = graph.constants[conv.inputs[1]].astype(np.float64)
    bias = graph.constants[conv.inputs[2]].astype(np.float64) if len(conv.inputs) > 2 else 0.0
    if node.op in ("broadcast_mul", "broadcast_div"):
        scale = values if node.op == "broadcast_mul" else 1.0 / values
        weight = weight * scale.reshape(-1, 1, 1, 1)
        bias = np.asarray(bias) * scale
    else:
        bias = np.asarray(bias) + (values if node.op == "broadcast_add" else -values)
    bias = np.broadcast_to(bias, (weight.shape[0],))
    graph.constants[f"{node.name}_folded_weight"] = weight.astype(np.float32)
    graph.constants[f"{node.name}_folded_bias"] = bias.astype(np.float32)
    conv.inputs = [conv.inputs[0], f"{node.name}_folded_weight", f"{node.name}_folded_bias"]
    conv.attrs = {**conv.attrs, "no_bias": False}
    remove_node(graph, node, conv.output)


def fold_channel_affine(graph: Graph) -> int:
    folded = 0
    changed = True
    while changed:  # a Mul then an Add fold one after the other
        changed = False
        producers = graph.producer_map()
        for node in [n for n in graph.nodes if n.op in AFFINE]:
            conv = next((producers[i] for i in node.inputs if i in producers), None)
            if conv is None or conv.op != "Convolution" or conv.typed.get("act"):
                continue
            if sole_reader(graph, conv.output) is not node or node.inputs[0] == node.inputs[1]:
                continue
            values = _per_filter(graph, node, conv)
            if values is None:
                continue
            _fold(graph, node, conv, values)
            log.debug("fold_channel_affine: %s folded into %s", node.name, conv.name)
            folded += 1
            changed = True
            break
    return folded
