"""The ordered list of passes; the graph is verified again after each one that rewrote it."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from tilewise.ir.graph import Graph
from tilewise.ir.verify import infer_shapes
from tilewise.passes.batchnorm_to_scale_shift import batchnorm_to_scale_shift
from tilewise.passes.drop_identity import drop_identity
from tilewise.passes.fold_batchnorm import fold_batchnorm
from tilewise.passes.fold_channel_affine import fold_channel_affine
from tilewise.passes.fold_pad import fold_pad
from tilewise.passes.fuse_activation import fuse_activation
from tilewise.passes.fuse_gelu import fuse_gelu
from tilewise.passes.fuse_hard_swish import fuse_hard_swish
from tilewise.passes.fuse_silu import fuse_silu

Pass = Callable[[Graph], int]
DEFAULT_PASSES: tuple[Pass, ...] = (
    drop_identity,
    fold_pad,
    fold_batchnorm,
    fold_channel_affine,
    batchnorm_to_scale_shift,
    fuse_hard_swish,
    fuse_silu,
    fuse_activation,
    fuse_gelu,
)
log = logging.getLogger("tilewise.passes")


def run_passes(graph: Graph, passes: Sequence[Pass] = DEFAULT_PASSES, batch_size: int = 1) -> Graph:
    """Rewrite a copy of `graph`; the caller's graph is left as it was."""
    graph = graph.copy()
    for rewrite in passes:
        changed = rewrite(graph)
        log.debug("%s: %d rewrite(s)", rewrite.__name__, changed)
        if changed:
            infer_shapes(graph, batch_size)
    return graph
