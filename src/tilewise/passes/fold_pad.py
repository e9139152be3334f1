"""Fold a zero Pad of the spatial axes into the convolution that reads it.

TF-style SAME padding with a stride pads one more row and column at the end than at
the start; exporters write that as Pad -> Conv. Convolution kernels that clip windows
to the input (im2col, depthwise) take such padding for free, which saves a copy of the
whole input; the others refuse `pad_end` and the selector falls back to those that can.
"""

from __future__ import annotations

import logging

from tilewise.ir.graph import Graph
from tilewise.passes.common import remove_node, sole_reader

log = logging.getLogger("tilewise.passes")


def fold_pad(graph: Graph) -> int:
    folded = 0
    for pad in [n for n in graph.nodes if n.op == "Pad"]:
        attrs = pad.typed
        width = attrs["pad_width"]
        if attrs["mode"] != "constant" or attrs["constant_value"] != 0.0 or len(width) != 8 \
                or any(width[i] for i in (0, 1, 4, 5)):  # fmt: skip
            continue
        conv = sole_reader(graph, pad.output)
        if conv is None or conv.op != "Convolution" or conv.inputs[0] != pad.output:
            continue
        typed = conv.typed
        start = tuple(p + q for p, q in zip(typed["pad"], width[2:4], strict=True))
        end = tuple(
            p + q for p, q in zip(typed["pad_end"] or typed["pad"], width[6:8], strict=True)
        )
        conv.attrs = {**conv.attrs, "pad": start, "pad_end": () if end == start else end}
        remove_node(graph, pad, pad.inputs[0])
        log.debug("fold_pad: %s into %s", pad.name, conv.name)
        folded += 1
    return folded
