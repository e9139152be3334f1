"""verify -> passes -> plan (every layer's algorithm) -> build (pack) -> allocate: a graph
becomes a CompiledModel."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from tilewise.conv.registry import check_algo
from tilewise.errors import TilewiseError
from tilewise.host import simd_width
from tilewise.ir.graph import Graph
from tilewise.ir.verify import infer_shapes
from tilewise.limits import memory_limit
from tilewise.passes.pipeline import DEFAULT_PASSES, Pass, run_passes
from tilewise.plan.layout import plan_layout
from tilewise.plan.memory import StepIO, assign_buffers
from tilewise.plan.select import plan_convolutions
from tilewise.plan.tuning import DEFAULT_TOLERANCE, Tuner
from tilewise.runtime.model import CompiledModel
from tilewise.runtime.steps import build_steps
from tilewise.runtime.threads import EXECUTION, set_threads


def compile_graph(
    graph: Graph,
    batch_size: int = 1,
    threads: int | None = None,
    algo: str = "auto",
    passes: Sequence[Pass] | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
    tuning_file: str | None = None,
) -> CompiledModel:
    """Compile `graph` for one batch size; weights are packed and buffers allocated here, once.

    `algo`: "auto" (cost model per layer), "tune" (measure once, reuse the tuning file;
    algorithms whose error exceeds `tolerance` are skipped), "gemm" (the plain path), or
    an algorithm name (falls back to the plain path where it does not apply).
    `passes=None` runs the default pipeline; `passes=[]` runs the graph as written.
    """
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise TilewiseError(f"batch_size must be a positive integer, got {batch_size!r}")
    check_algo(algo)
    with EXECUTION:  # sets the pools and may tune: not while another thread runs a model
        return _compile(graph, batch_size, threads, algo, passes, tolerance, tuning_file)


def _compile(graph, batch_size, threads, algo, passes, tolerance, tuning_file) -> CompiledModel:
    threads = set_threads(threads)
    infer_shapes(graph, batch_size)
    labels = graph.outputs  # the passes may rename output values; callers see these names
    graph = run_passes(graph, DEFAULT_PASSES if passes is None else passes, batch_size)
    shapes = infer_shapes(graph, batch_size)

    tuner = Tuner(threads, tolerance, tuning_file) if algo == "tune" else None
    plan = plan_convolutions(graph, shapes, algo, threads, tuner)
    if tuner is not None:
        tuner.save()
    blocked = any(choice.algorithm.blocked for choice in plan.values())
    layout = plan_layout(graph, shapes, plan, simd_width()) if blocked else None
    steps, physical, logical, outputs = build_steps(graph, shapes, plan, layout)
    data_inputs = [[i for i in s.inputs if i in physical] for s in steps]
    io = [
        StepIO(
            ins,
            s.output,
            s.operator.inplace,
            s.operator.alias,
            s.into,
            s.also,
            s.operator.inplace_input,
        )
        for s, ins in zip(steps, data_inputs, strict=True)
    ]
    buffer_of, sizes = assign_buffers(io, physical, list(graph.inputs), outputs)
    scratch_size = max([s.operator.scratch for s in steps] + [1])
    needed = 4 * (sum(sizes) + scratch_size)
    if needed > memory_limit():
        raise TilewiseError(f"{graph.name}: batch {batch_size} needs {needed:,} bytes of "
                            f"buffers, over the {memory_limit():,}-byte limit "
                            "(TILEWISE_MEMORY_LIMIT)")  # fmt: skip
    buffers = [np.empty(size, np.float32) for size in sizes]
    views = {}
    for value, index in buffer_of.items():
        views[value] = buffers[index][: math.prod(physical[value])].reshape(physical[value])
    for step in steps:  # a Concat's part written in place: its producer gets the whole buffer
        if step.into:
            views[step.output] = views[step.into]
    for step in steps:
        if step.also:
            step.operator.bind_second(views[step.also])
    for step, ins in zip(steps, data_inputs, strict=True):
        step.inputs = ins
    scratch = np.empty(scratch_size, np.float32)
    return CompiledModel(
        graph.name,
        steps,
        logical,
        views,
        list(graph.inputs),
        outputs,
        scratch,
        threads,
        algo,
        labels,
    )
