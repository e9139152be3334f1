"""Which values stay channel-blocked (NCHWc) between layers, decided once for the graph.

Blocked convolutions start a region; ops that work on blocked arrays as they are
(elementwise, per-channel scale/shift, pooling, channel Concat of whole blocks) continue it;
any other op ends it with a reorder to NCHW. A convolution whose only reader is a residual
Add accumulates the sum in its epilogue, and the Add disappears.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tilewise.ir.graph import Graph
from tilewise.ir.verify import split_inputs

# convolution kernels whose epilogue can accumulate a residual sum
RESIDUAL_ALGORITHMS = ("nchwc-direct", "nchwc-winograd-f2", "nchwc-winograd-f4")
ELEMENTWISE = ("Activation", "elemwise_add", "clip", "Dropout", "_copy")
CONTINUE = (*ELEMENTWISE, "ScaleShift", "BatchNorm", "Pooling", "Concat")


@dataclass
class LayoutPlan:
    block: int
    blocked: set[str] = field(default_factory=set)  # nodes that run on blocked arrays
    residual: dict[str, str] = field(default_factory=dict)  # conv -> the Add it absorbs
    reasons: dict[str, str] = field(default_factory=dict)  # node -> why it stays NCHW


def _concat_blockable(node, attrs, shapes, block) -> str | None:
    if attrs["dim"] % len(shapes[node.output]) != 1:
        return "concatenates along an axis other than channels"
    odd = [shapes[i][1] for i in node.inputs if i in shapes and shapes[i][1] % block]
    if odd or any(i not in shapes for i in node.inputs):
        return f"an input's channels are not a multiple of the block {block}"
    return None


def plan_layout(graph: Graph, shapes: dict, conv_plan: dict, block: int) -> LayoutPlan:
    """`conv_plan`: node name -> ConvChoice (plan/select.py)."""
    plan = LayoutPlan(block)
    produced_blocked: set[str] = set()
    readers: dict[str, list] = {}
    for node in graph.nodes:
        for name in set(node.inputs):
            readers.setdefault(name, []).append(node)
    position = {node.output: i for i, node in enumerate(graph.nodes)}
    for node in graph.nodes:
        attrs = node.typed
        data, _ = split_inputs(node, attrs)
        values = [d for d in data if d in shapes]
        if node.op == "Convolution":
            runs_blocked = conv_plan[node.name].algorithm.blocked
        elif node.op in CONTINUE:
            runs_blocked = any(v in produced_blocked for v in values)
            if runs_blocked and len(values) != len(data):
                runs_blocked, plan.reasons[node.name] = False, "has a constant operand"
            if runs_blocked and len(shapes[node.output]) != 4:
                runs_blocked, plan.reasons[node.name] = False, "output is not 4-D"
            if runs_blocked and node.op == "Concat":
                problem = _concat_blockable(node, attrs, shapes, block)
                runs_blocked = problem is None
                if problem:
                    plan.reasons[node.name] = problem
        else:
            runs_blocked = False
        if runs_blocked:
            plan.blocked.add(node.name)
            produced_blocked.add(node.output)
    for node in graph.nodes:  # a conv feeding only a blocked Add: accumulate in the epilogue
        if node.op != "Convolution" or node.name not in plan.blocked or node.typed["act"]:
            continue
        if conv_plan[node.name].algorithm.name not in RESIDUAL_ALGORITHMS:
            continue
        users = readers.get(node.output, [])
        if len(users) != 1 or node.output in graph.outputs:
            continue
        add = users[0]
        if add.op != "elemwise_add" or add.name not in plan.blocked:
            continue
        if add.inputs[0] == add.inputs[1]:
            continue
        other = add.inputs[1] if add.inputs[0] == node.output else add.inputs[0]
        earlier = other in graph.inputs or position[other] < position[node.output]
        if earlier and other in produced_blocked:
            plan.residual[node.name] = add.name
    return plan
