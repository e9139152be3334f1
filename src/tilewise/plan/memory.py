"""Buffer assignment by liveness: a value's buffer is reused once its last reader has run."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class StepIO:
    inputs: list[str]
    output: str
    inplace: bool  # output may take an input's buffer when that input dies here
    alias: bool  # output is a view of the first input
    into: str | None = None  # output written into this (later) value's buffer: a Concat's
    also: str | None = None  # a later step's output it writes too: its buffer is taken now
    inplace_input: int = 0  # which input's buffer `inplace` may take


def assign_buffers(
    steps: list[StepIO],
    shapes: dict[str, tuple],
    graph_inputs: list[str],
    graph_outputs: list[str],
) -> tuple[dict[str, int], list[int]]:
    """Map each value to a buffer index; returns (value -> buffer, buffer sizes in elements).
    The inputs are the caller's arrays: never written."""
    root: dict[str, str] = {name: name for name in graph_inputs}
    last_use: dict[str, int] = {}
    for i, step in enumerate(steps):
        root[step.output] = root[step.inputs[0]] if step.alias else (step.into or step.output)
        for name in step.inputs:
            last_use[root[name]] = i
    for output in graph_outputs:
        last_use[root[output]] = math.inf

    buffer_of: dict[str, int] = {}
    sizes: list[int] = []
    free: list[int] = []
    for i, step in enumerate(steps):
        if step.alias:
            if step.inputs[0] in buffer_of:
                buffer_of[step.output] = buffer_of[step.inputs[0]]
            continue
        owner = root[step.output]  # the value whose buffer holds the output
        size = math.prod(shapes[owner])
        k = step.inplace_input
        source = root[step.inputs[k]] if len(step.inputs) > k else None
        reuse_input = (
            owner == step.output
            and step.inplace
            and source is not None
            and source not in graph_inputs
            and last_use.get(source) == i
            and [root[name] for name in step.inputs].count(source) == 1
            and sizes[buffer_of[source]] >= size
        )
        if owner in buffer_of:  # an earlier part of the same Concat took it
            buffer_of[step.output] = buffer_of[owner]
        elif reuse_input:
            buffer_of[step.output] = buffer_of[source]
        else:
            buffer_of[step.output] = _take(free, sizes, size)
        buffer_of[owner] = buffer_of[step.output]
        if step.also and step.also not in buffer_of:
            buffer_of[step.also] = _take(free, sizes, math.prod(shapes[step.also]))
        released = {root[n] for n in step.inputs if last_use.get(root[n]) == i}
        for value in released:
            if value in graph_inputs or value not in buffer_of:
                continue
            if buffer_of[value] != buffer_of[step.output]:
                free.append(buffer_of[value])
    return buffer_of, sizes


def _take(free: list[int], sizes: list[int], size: int) -> int:
    """The smallest free buffer that fits, else the largest one grown, else a new one."""
    fits = [b for b in free if sizes[b] >= size]
    if fits:
        chosen = min(fits, key=lambda b: sizes[b])
        free.remove(chosen)
    elif free:  # grow the largest free buffer rather than adding one
        chosen = max(free, key=lambda b: sizes[b])
        free.remove(chosen)
        sizes[chosen] = size
    else:
        chosen = len(sizes)
        sizes.append(size)
    return chosen
