"""Drop nodes that are identities at inference: Dropout, _copy."""

from __future__ import annotations

import logging

from tilewise.ir.graph import Graph
from tilewise.passes.common import remove_node

IDENTITY_OPS = ("Dropout", "_copy")
log = logging.getLogger("tilewise.passes")


def drop_identity(graph: Graph) -> int:
    dropped = [n for n in graph.nodes if n.op in IDENTITY_OPS]
    for node in dropped:
        remove_node(graph, node, node.inputs[0])
        log.debug("drop_identity: removed %s (%s)", node.name, node.op)
    return len(dropped)
