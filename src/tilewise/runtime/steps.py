"""Steps from a planned graph: one operator per node, in the layout the plan gives it, with
the reorders a layout change needs (each value reordered once, however many read it)."""

from __future__ import annotations

from tilewise.conv.nchwc import blocked_shape
from tilewise.ir.graph import Graph
from tilewise.ir.verify import split_inputs
from tilewise.operators.blocked import (
    BlockedScaleShift,
    FromBlocked,
    SameAsBlocked,
    ToBlocked,
    WrittenByProducer,
    same_memory,
)
from tilewise.operators.builders import create_operator
from tilewise.plan.layout import LayoutPlan
from tilewise.runtime.model import Step

NCHW_SUFFIX, BLOCKED_SUFFIX = "@nchw", "@nchwc"


def build_steps(graph: Graph, shapes: dict, conv_plan: dict, layout: LayoutPlan | None):
    """(steps, physical shapes, logical shapes, output values): physical shapes are what the
    buffers hold (blocked values 5-D); logical shapes what the user sees."""
    physical, logical = dict(shapes), dict(shapes)
    steps: list[Step] = []
    blocked_values: set[str] = set()
    converted: dict[tuple[str, bool], str] = {}
    absorbed = {add: conv for conv, add in (layout.residual.items() if layout else ())}
    block = layout.block if layout else 0

    def as_layout(value: str, want_blocked: bool) -> str:
        if (value in blocked_values) == want_blocked or value not in shapes:
            return value
        key = (value, want_blocked)
        if key not in converted:
            name = value + (BLOCKED_SUFFIX if want_blocked else NCHW_SUFFIX)
            physical[name] = blocked_shape(shapes[value], block) if want_blocked else shapes[value]
            logical[name] = shapes[value]
            if want_blocked:
                operator = ToBlocked()
            else:
                operator = SameAsBlocked() if same_memory(shapes[value], block) else FromBlocked()
            steps.append(Step(name, "Reorder", operator, [value], name))
            if want_blocked:
                blocked_values.add(name)
            converted[key] = name
        return converted[key]

    for node in graph.nodes:
        if node.name in absorbed:
            continue
        runs_blocked = bool(layout) and node.name in layout.blocked
        attrs = node.typed
        data, _ = split_inputs(node, attrs)
        inputs = list(node.inputs)
        output = node.output
        if node.op == "Convolution" and runs_blocked:
            # NCHW input: the kernel reads a narrow one in place, reorders a wide one itself
            input_blocked = data[0] in blocked_values
            add_name = layout.residual.get(node.name)
            if add_name:
                add = next(n for n in graph.nodes if n.name == add_name)
                other = add.inputs[1] if add.inputs[0] == node.output else add.inputs[0]
                attrs = {**attrs, "act": add.typed["act"]}
                output = add.output
            operator = create_operator(node, graph, shapes, conv_plan.get(node.name), block,
                                       input_blocked, attrs)  # fmt: skip
            if add_name:
                operator.add_residual()
                inputs = [inputs[0], as_layout(other, True)]
            else:
                inputs = [inputs[0]]
        else:
            inputs = [as_layout(v, runs_blocked) if v in data else v for v in inputs]
            operator = create_operator(node, graph, shapes, conv_plan.get(node.name),
                                       block if runs_blocked else 0)  # fmt: skip
        steps.append(Step(node.name, node.op, operator, inputs, output))
        if runs_blocked:
            blocked_values.add(output)
            physical[output] = blocked_shape(shapes[output], block)
    outputs = [as_layout(name, False) for name in graph.outputs]
    if layout:
        second_outputs(steps, set(outputs))
        concat_in_place(steps, physical, blocked_values, set(outputs))
    return steps, physical, logical, outputs


def second_outputs(steps: list[Step], outputs: set[str]) -> None:
    """A blocked scale/shift (+ activation) of a convolution's output (ResNet v2: the next
    unit's pre-activation of a residual sum) is written by the convolution's epilogue as a
    second output (`Step.also`): no pass over the sum. Where the scale/shift is the sum's
    only reader the sum's own store is wasted, but a read and a write of it are saved."""
    producer = {step.output: step for step in steps}
    for step in steps:
        operator = step.operator
        if not isinstance(operator, BlockedScaleShift) or step.output in outputs:
            continue
        source = producer.get(step.inputs[0])
        if source is None or source.also:
            continue
        add = getattr(source.operator, "add_second_output", None)
        if add and add(operator.channel_scale, operator.channel_shift, operator.act):
            source.also = step.output
            step.operator = WrittenByProducer(source.name)


def concat_in_place(steps: list[Step], physical: dict, blocked: set[str], outputs: set[str]):
    """Free concatenation: a blocked channel Concat's part whose only reader is the Concat
    is written by its producer straight into the Concat's buffer (`Step.into`), and the
    Concat copies only the rest. Outer Concats first, so an inner one placed in an outer
    buffer passes the outer buffer on to its own producers."""
    producer = {step.output: step for step in steps}
    readers: dict[str, int] = {}
    for step in steps:
        for name in step.inputs:
            readers[name] = readers.get(name, 0) + 1
    placed: dict[str, tuple[str, int]] = {}  # value -> (value owning the buffer, first block)
    for step in reversed(steps):
        if step.op != "Concat" or step.output not in blocked:
            continue
        owner, first = placed.get(step.output, (step.output, 0))
        total = physical[owner][1]
        widths = [physical[name][1] for name in step.inputs]
        offset = first
        for i, (name, width) in enumerate(zip(step.inputs, widths, strict=True)):
            source = producer.get(name)
            alone = readers[name] == 1 and step.inputs.count(name) == 1
            if (source is not None and alone and name not in outputs and source.into is None
                    and source.operator.write_into(total, offset)):  # fmt: skip
                source.into = owner
                placed[name] = (owner, offset)
                step.operator.in_place.add(i)
            offset += width
        step.operator.widths = widths
