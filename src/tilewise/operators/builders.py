"""One builder per op, keyed by op name: unpack a node's attributes and constants, pack
weights, return its operator. Convolutions get the algorithm `plan/` chose beforehand."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tilewise.conv.algorithm import ConvAlgorithm
from tilewise.errors import TilewiseError
from tilewise.ir.batchnorm import batchnorm_scale_shift
from tilewise.ir.graph import Graph, Node
from tilewise.ir.ops_tensor import reduced_axes
from tilewise.ir.verify import split_inputs
from tilewise.operators import (
    blocked,
    deconv,
    dense,
    elementwise,
    norm,
    pool,
    resize,
    select,
    tensor,
)
from tilewise.operators.base import Operator
from tilewise.operators.conv2d import Conv2d


@dataclass
class BuildContext:
    """What a builder may read: the node, its typed attributes, its constant parameters, its
    operands (None where a value flows in), its shapes and, for a convolution, the plan."""

    node: Node
    attrs: dict
    params: list[np.ndarray]
    operands: list[np.ndarray | None]
    in_shape: tuple
    out_shape: tuple
    algorithm: ConvAlgorithm | None = None
    reason: str = ""
    block: int = 0  # channel block when the node runs on blocked arrays (plan/layout.py)
    input_blocked: bool = False


def _convolution(c: BuildContext) -> Operator:
    bias = c.params[1] if len(c.params) > 1 else None
    if c.block:
        impl = c.algorithm.create(c.attrs, c.params[0], bias, c.in_shape, c.out_shape,
                                  input_blocked=c.input_blocked, output_blocked=True,
                                  block=c.block)  # fmt: skip
    else:
        impl = c.algorithm.create(c.attrs, c.params[0], bias, c.in_shape, c.out_shape)
    return Conv2d(impl, c.algorithm.name, c.reason)


def _softmax_activation(c: BuildContext) -> Operator:
    shape = c.out_shape
    if c.attrs["mode"] == "instance":  # over everything but the batch axis
        return elementwise.SoftmaxAxis((shape[0], math.prod(shape[1:])), -1)
    return elementwise.SoftmaxAxis(shape, 1)


def _leaky_relu(c: BuildContext) -> Operator:
    channels = c.in_shape[1] if len(c.in_shape) > 1 else 1
    return elementwise.LeakyReLU(c.attrs, c.params[0] if c.params else None, channels)


def _reduce(kind: str) -> Callable[[BuildContext], Operator]:
    def build(c: BuildContext) -> Operator:
        axes = reduced_axes(c.attrs, c.in_shape)
        if kind == "max" and any(c.in_shape[a] == 0 for a in axes):
            raise TilewiseError(f"node '{c.node.name}' (max): reducing axes {axes} of shape "
                                f"{c.in_shape}, which are empty: a maximum of nothing")  # fmt: skip
        return tensor.Reduce(kind, axes, c.attrs["keepdims"])

    return build


def _binary(op: str) -> Callable[[BuildContext], Operator]:
    return lambda c: tensor.Binary(op, c.operands)


def _copy(c: BuildContext) -> Operator:
    return elementwise.Flatten()  # a view: shapes differ, data does not


BUILDERS: dict[str, Callable[[BuildContext], Operator]] = {
    "Convolution": _convolution,
    "FullyConnected": lambda c: dense.FullyConnected(
        c.attrs, c.params[0], c.params[1] if len(c.params) > 1 else None, c.in_shape[0]
    ),
    "Pooling": lambda c: pool.Pooling(c.attrs, c.in_shape),
    "LRN": lambda c: pool.LRN(c.attrs),
    "BatchNorm": lambda c: elementwise.ScaleShift(
        c.attrs, *batchnorm_scale_shift(c.attrs, *c.params)
    ),
    "ScaleShift": lambda c: elementwise.ScaleShift(c.attrs, *c.params),
    "Activation": lambda c: elementwise.Activation(c.attrs["act_type"]),
    "elemwise_add": lambda c: elementwise.Add(c.attrs),
    "SoftmaxOutput": lambda c: elementwise.Softmax(),
    "softmax": lambda c: elementwise.SoftmaxAxis(c.out_shape, c.attrs["axis"]),
    "SoftmaxActivation": _softmax_activation,
    **{op: _binary(op) for op in (*tensor.Binary.UFUNCS, "broadcast_prelu")},
    "Concat": lambda c: tensor.Concat(c.operands, c.attrs["dim"] % len(c.out_shape)),
    "transpose": lambda c: tensor.Transpose(c.attrs["axes"]),
    "Pad": lambda c: tensor.Pad(
        c.attrs["pad_width"], c.attrs["constant_value"], c.in_shape, c.attrs["mode"]
    ),
    **{kind: _reduce(kind) for kind in tensor.Reduce.FUNCTIONS},
    "log_softmax": lambda c: tensor.LogSoftmax(c.attrs["axis"]),
    "hard_sigmoid": lambda c: tensor.HardSigmoid(c.attrs["alpha"], c.attrs["beta"]),
    "unary": lambda c: tensor.Unary(c.attrs["function"]),
    "slice": lambda c: tensor.Slice(c.attrs["begin"], c.attrs["end"], c.attrs["step"]),
    "gather": lambda c: tensor.Gather(
        c.attrs["axis"] % len(c.in_shape), c.attrs["indices"], c.attrs["indices_shape"]
    ),
    "resize": lambda c: resize.Resize(c.attrs, c.in_shape),
    "compare": lambda c: select.Compare(c.attrs["function"], c.operands),
    "where": lambda c: select.Where(c.operands),
    "broadcast_to": lambda c: select.BroadcastTo(),
    "tile": lambda c: select.Tile(c.attrs["reps"]),
    "depth_to_space": lambda c: select.DepthToSpace(c.attrs["block"], c.attrs["mode"], c.in_shape),
    "space_to_depth": lambda c: select.SpaceToDepth(c.attrs["block"], c.attrs["mode"], c.in_shape),
    "arg_reduce": lambda c: select.ArgReduce(
        c.attrs["function"],
        c.attrs["axis"] % len(c.in_shape),
        c.attrs["keepdims"],
        c.attrs["select_last_index"],
    ),  # fmt: skip
    "topk": lambda c: select.TopK(
        c.attrs["k"],
        c.attrs["axis"] % len(c.in_shape),
        c.attrs["largest"],
        c.attrs["part"] == "indices",
    ),  # fmt: skip
    "layer_norm": lambda c: norm.LayerNorm(
        c.operands, c.attrs["axis"] % len(c.in_shape), c.attrs["eps"]
    ),
    "instance_norm": lambda c: norm.InstanceNorm(c.attrs["eps"], *c.params, len(c.in_shape)),
    "Deconvolution": lambda c: deconv.Deconvolution(
        c.attrs, c.params[0], c.params[1] if len(c.params) > 1 else None, c.in_shape
    ),
    "clip": lambda c: elementwise.Clip(c.attrs),
    "LeakyReLU": _leaky_relu,
    "Reshape": _copy,
    "Flatten": _copy,
    "Dropout": _copy,
    "_copy": _copy,
}


# Ops whose blocked form differs; every other op in plan/layout.py's list runs as it is.
BLOCKED_BUILDERS: dict[str, Callable[[BuildContext], Operator]] = {
    "Convolution": _convolution,
    "ScaleShift": lambda c: blocked.blocked_scale_shift(
        c.attrs, c.params, c.in_shape, c.block, False
    ),
    "BatchNorm": lambda c: blocked.blocked_scale_shift(
        c.attrs, c.params, c.in_shape, c.block, True
    ),
    "Pooling": lambda c: blocked.BlockedPooling(c.attrs, c.in_shape),
}


def create_operator(node: Node, graph: Graph, shapes: dict, choice=None, block: int = 0,
                    input_blocked: bool = False,
                    attrs: dict | None = None) -> Operator:  # fmt: skip
    """The operator for `node`; `choice` (plan.select.ConvChoice) for a convolution; `block`
    when it runs on blocked arrays; `attrs` overrides its typed attributes."""
    attrs = attrs or node.typed
    data, param_names = split_inputs(node, attrs)
    first = data[0]
    in_shape = shapes[first] if first in shapes else tuple(graph.constants[first].shape)
    context = BuildContext(
        node,
        attrs,
        [graph.constants[name] for name in param_names],
        [graph.constants.get(name) for name in data],
        in_shape,
        shapes[node.output],
        choice.algorithm if choice else None,
        choice.reason if choice else "",
        block,
        input_blocked,
    )
    if block:
        return BLOCKED_BUILDERS.get(node.op, BUILDERS[node.op])(context)
    return BUILDERS[node.op](context)
