"""Create the operator for one graph node: unpack its attributes and constants, pack weights."""

from __future__ import annotations

import math

from tilewise.ir.graph import Graph, Node
from tilewise.ir.ops_tensor import reduced_axes
from tilewise.ir.verify import split_inputs
from tilewise.operators import dense, elementwise, pool, tensor
from tilewise.operators.base import Operator
from tilewise.operators.conv2d import Conv2d
from tilewise.plan.select import select_convolution


def create_operator(
    node: Node, graph: Graph, shapes: dict, algo: str, threads: int, tuner=None
) -> Operator:
    attrs = node.typed
    data, param_names = split_inputs(node, attrs)
    params = [graph.constants[name] for name in param_names]
    first = data[0]
    in_shape = shapes[first] if first in shapes else tuple(graph.constants[first].shape)
    out_shape = shapes[node.output]
    op = node.op
    if op == "Convolution":
        bias = params[1] if len(params) > 1 else None
        if algo == "tune":
            choice, reason = tuner.choose(attrs, params[0], bias, in_shape, out_shape)
        else:
            choice, reason = select_convolution(attrs, in_shape, out_shape, algo, threads)
        impl = choice.create(attrs, params[0], bias, in_shape, out_shape)
        return Conv2d(impl, choice.name, reason)
    if op == "FullyConnected":
        bias = params[1] if len(params) > 1 else None
        return dense.FullyConnected(attrs, params[0], bias, in_shape[0])
    if op == "Pooling":
        return pool.Pooling(attrs, in_shape)
    if op == "LRN":
        return pool.LRN(attrs)
    if op == "BatchNorm":
        return elementwise.ScaleShift(attrs, *elementwise.batchnorm_scale_shift(attrs, *params))
    if op == "ScaleShift":
        return elementwise.ScaleShift(attrs, *params)
    if op == "Activation":
        return elementwise.Activation(attrs["act_type"])
    if op == "elemwise_add":
        return elementwise.Add(attrs)
    if op == "SoftmaxOutput":
        return elementwise.Softmax()
    if op == "softmax":
        return elementwise.SoftmaxAxis(out_shape, attrs["axis"])
    if op == "SoftmaxActivation":
        axis = 1 if attrs["mode"] == "channel" else -1
        if attrs["mode"] == "instance":  # over everything but the batch axis
            return elementwise.SoftmaxAxis((out_shape[0], math.prod(out_shape[1:])), axis)
        return elementwise.SoftmaxAxis(out_shape, axis)
    operands = [graph.constants.get(name) for name in data]  # None where a value comes in
    if op in tensor.Binary.UFUNCS or op == "broadcast_prelu":
        return tensor.Binary(op, operands)
    if op == "Concat":
        return tensor.Concat(operands, attrs["dim"] % len(out_shape))
    if op == "transpose":
        return tensor.Transpose(attrs["axes"])
    if op == "Pad":
        return tensor.Pad(attrs["pad_width"], attrs["constant_value"], in_shape)
    if op in tensor.Reduce.FUNCTIONS:
        return tensor.Reduce(op, reduced_axes(attrs, in_shape), attrs["keepdims"])
    if op == "log_softmax":
        return tensor.LogSoftmax(attrs["axis"])
    if op == "hard_sigmoid":
        return tensor.HardSigmoid(attrs["alpha"], attrs["beta"])
    if op == "clip":
        return elementwise.Clip(attrs)
    if op == "LeakyReLU":
        channels = in_shape[1] if len(in_shape) > 1 else 1
        return elementwise.LeakyReLU(attrs, params[0] if params else None, channels)
    if op == "Reshape":
        return elementwise.Flatten()
    if op in ("Flatten", "Dropout", "_copy"):
        return elementwise.Flatten()
    raise AssertionError(f"no operator for {op}; verify() should have rejected it")
