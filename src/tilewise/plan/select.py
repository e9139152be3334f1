"""Per-layer convolution algorithm choice, for the whole graph before any operator is built:
candidates from the registry with their applicability rule, cost estimate and priority; a
measured tuning record wins where one exists; the reason is recorded with the choice."""

from __future__ import annotations

from dataclasses import dataclass

from tilewise.conv.algorithm import ConvAlgorithm
from tilewise.conv.nchwc import reorder_estimate
from tilewise.conv.registry import ALGORITHMS, applicable, check_algo, plain_choice
from tilewise.ir.graph import Graph
from tilewise.ir.verify import split_inputs


@dataclass(frozen=True)
class ConvChoice:
    algorithm: ConvAlgorithm
    reason: str


def select_convolution(
    attrs: dict, in_shape: tuple, out_shape: tuple, algo: str, threads: int
) -> tuple[ConvAlgorithm, str]:
    """The algorithm for one layer under algo="auto", "gemm" or a name, and why."""
    check_algo(algo)
    baseline = plain_choice(attrs, in_shape)
    if algo in ALGORITHMS:
        forced = ALGORITHMS[algo]
        problem = forced.why_not(attrs, in_shape)
        if problem is None:
            return forced, f"forced by algo='{algo}'"
        return baseline, f"algo='{algo}' does not apply ({problem}); {baseline.summary}"
    if algo == "gemm":
        return baseline, baseline.summary
    candidates = applicable(attrs, in_shape)
    estimates = {a.name: a.estimate(attrs, in_shape, out_shape, threads) for a in candidates}
    if any(a.blocked for a in candidates):  # the plan will be blocked around this layer
        penalty = reorder_estimate(in_shape, out_shape, threads)
        for a in candidates:
            if not a.blocked:
                estimates[a.name] += penalty
    best = min(candidates, key=lambda a: (estimates[a.name], -a.priority))
    if best is baseline:
        return best, best.summary
    gain = estimates[baseline.name] / estimates[best.name]
    return best, f"{best.summary}; estimated {gain:.2f}x faster than {baseline.name}"


def plan_convolutions(graph: Graph, shapes: dict, algo: str, threads: int,
                      tuner=None) -> dict[str, ConvChoice]:  # fmt: skip
    """node name -> the algorithm for every convolution of `graph`, decided up front."""
    plan = {}
    for node in graph.nodes:
        if node.op != "Convolution":
            continue
        attrs = node.typed
        data, params = split_inputs(node, attrs)
        in_shape, out_shape = shapes[data[0]], shapes[node.output]
        if algo == "tune":
            weight = graph.constants[params[0]]
            bias = graph.constants[params[1]] if len(params) > 1 else None
            chosen, reason = tuner.choose(attrs, weight, bias, in_shape, out_shape)
        else:
            chosen, reason = select_convolution(attrs, in_shape, out_shape, algo, threads)
        plan[node.name] = ConvChoice(chosen, reason)
    return plan


def describe_layer(attrs: dict, in_shape: tuple) -> str:
    kh, kw = attrs["kernel"]
    return (
        f"{in_shape[1]}->{attrs['num_filter']} {kh}x{kw}/s{attrs['stride'][0]} "
        f"on {in_shape[2]}x{in_shape[3]}"
    )
