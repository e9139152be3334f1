"""Schemas of the general tensor ops ONNX models need around their convolutions.

They work on any rank; the ONNX importer emits them with concrete shapes, since it
imports once per batch size.
"""

from __future__ import annotations

from tilewise.ir.attrs import Attr, AttrProblem
from tilewise.ir.schema import OpSchema, Shape, broadcast_infer, same


def _axis(axis: int, rank: int, name: str = "axis") -> int:
    if not -rank <= axis < rank:
        raise AttrProblem(f"attribute '{name}' = {axis} is out of range for rank {rank}")
    return axis % rank


def _transpose_infer(attrs: dict, shapes: list[Shape]) -> Shape:
    (shape,) = shapes
    axes = attrs["axes"] or tuple(reversed(range(len(shape))))
    if sorted(axes) != list(range(len(shape))):
        raise AttrProblem(f"attribute 'axes' = {axes} is not a permutation of {len(shape)} axes")
    return tuple(shape[a] for a in axes)


def _pad_infer(attrs: dict, shapes: list[Shape]) -> Shape:
    (shape,) = shapes
    pads = attrs["pad_width"]
    if len(pads) != 2 * len(shape):
        raise AttrProblem(f"attribute 'pad_width' = {pads} needs {2 * len(shape)} values")
    if min(pads) < 0:
        raise AttrProblem(f"attribute 'pad_width' = {pads}: negative padding is not supported")
    rank = len(shape)
    limit = {"reflect": 1, "wrap": 0, "edge": 0}.get(attrs.get("mode", "constant"))
    if limit is not None:  # the border is read from the data: it must be there
        for i, d in enumerate(shape):
            if max(pads[i], pads[i + rank]) > d - limit:
                raise AttrProblem(f"{attrs['mode']} padding of {max(pads[i], pads[i + rank])} "
                                  f"on axis {i} of size {d} needs at most {d - limit}")  # fmt: skip
    return tuple(d + pads[i] + pads[i + rank] for i, d in enumerate(shape))


def reduced_axes(attrs: dict, shape: Shape) -> tuple[int, ...]:
    axes = attrs["axis"] or tuple(range(len(shape)))
    return tuple(sorted({_axis(a, len(shape)) for a in axes}))


def _reduce_infer(attrs: dict, shapes: list[Shape]) -> Shape:
    (shape,) = shapes
    axes = reduced_axes(attrs, shape)
    if attrs["keepdims"]:
        return tuple(1 if i in axes else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in axes)


def _axis_same(attrs: dict, shapes: list[Shape]) -> Shape:
    _axis(attrs["axis"], len(shapes[0]))
    return shapes[0]


def _matmul_infer(attrs: dict, shapes: list[Shape]) -> Shape:
    """NumPy's rules: a 1-D operand gains a dimension that the result then drops."""
    a, b = shapes
    if not a or not b:
        raise AttrProblem(f"matmul needs 1-D or higher operands, got {a} and {b}")
    left, right = (1, *a) if len(a) == 1 else a, (*b, 1) if len(b) == 1 else b
    if left[-1] != right[-2]:
        raise AttrProblem(f"inner dimensions differ: {a} @ {b}")
    batch = broadcast_infer({}, [left[:-2], right[:-2]]) if len(left) + len(right) > 4 else ()
    rows = () if len(a) == 1 else (left[-2],)
    columns = () if len(b) == 1 else (right[-1],)
    return (*batch, *rows, *columns)


def _concat_infer(attrs: dict, shapes: list[Shape]) -> Shape:
    first = shapes[0]
    axis = _axis(attrs["dim"], len(first), "dim")
    if len(shapes) != attrs["num_args"]:
        raise AttrProblem(f"num_args = {attrs['num_args']} but {len(shapes)} inputs given")
    for shape in shapes[1:]:
        if len(shape) != len(first) or any(
            x != y for i, (x, y) in enumerate(zip(shape, first, strict=True)) if i != axis
        ):
            raise AttrProblem(f"inputs {shapes} differ outside the concat axis {axis}")
    return (*first[:axis], sum(s[axis] for s in shapes), *first[axis + 1 :])


def _prelu_infer(attrs: dict, shapes: list[Shape]) -> Shape:
    out = broadcast_infer(attrs, shapes)
    if out != shapes[0]:
        raise AttrProblem(f"slope {shapes[1]} must broadcast to the input {shapes[0]}")
    return out


def _slice_infer(attrs: dict, shapes: list[Shape]) -> Shape:
    """begin/end/step per axis as Python's slice().indices() gives them (end -1 with a
    negative step: through index 0)."""
    (shape,) = shapes
    begin, end, step = attrs["begin"], attrs["end"], attrs["step"]
    if not len(begin) == len(end) == len(step) == len(shape):
        raise AttrProblem(f"begin {begin}, end {end} and step {step} need {len(shape)} values")
    out = tuple(len(range(b, e, s)) for b, e, s in zip(begin, end, step, strict=True))
    if 0 in step or min(out) < 1:
        raise AttrProblem(f"slice {begin}:{end}:{step} of shape {shape} is empty")
    return out


def _gather_infer(attrs: dict, shapes: list[Shape]) -> Shape:
    (shape,) = shapes
    axis = _axis(attrs["axis"], len(shape))
    indices = attrs["indices"]
    if not indices or min(indices) < 0 or max(indices) >= shape[axis]:
        raise AttrProblem(f"indices {indices} are out of range for axis {axis} of {shape}")
    return (*shape[:axis], *attrs["indices_shape"], *shape[axis + 1 :])


PAD_MODES = ("constant", "edge", "reflect", "wrap")
# elementwise functions of one input (ONNX Sqrt, Exp, Log, Reciprocal, Neg, Abs, Erf, Not
# (1.0 where the input is 0), Gelu exact and with approximate="tanh")
UNARY_FUNCTIONS = ("sqrt", "exp", "log", "reciprocal", "neg", "abs", "erf", "not", "gelu",
                   "gelu_tanh")  # fmt: skip

TENSOR_SCHEMAS: dict[str, OpSchema] = {
    "transpose": OpSchema(attrs={"axes": Attr("tuple", ())}, infer=_transpose_infer),
    # pad_width in ONNX order: the starts of every axis, then the ends; mode as numpy.pad's
    # (edge repeats the border, reflect mirrors without it, wrap repeats the far side)
    "Pad": OpSchema(
        attrs={
            "pad_width": Attr("tuple"),
            "constant_value": Attr("float", 0.0),
            "mode": Attr("str", "constant", PAD_MODES),
        },
        infer=_pad_infer,
    ),
    **{
        reduction: OpSchema(
            attrs={"axis": Attr("tuple", ()), "keepdims": Attr("bool", False)}, infer=_reduce_infer
        )
        for reduction in ("mean", "max", "sum")
    },
    "log_softmax": OpSchema(attrs={"axis": Attr("int", -1)}, infer=_axis_same),
    "slice": OpSchema(
        attrs={"begin": Attr("tuple"), "end": Attr("tuple"), "step": Attr("tuple")},
        infer=_slice_infer,
    ),
    # numpy.take with constant indices (ONNX Gather on a value); indices_shape () drops the axis
    "gather": OpSchema(
        attrs={"axis": Attr("int"), "indices": Attr("tuple"), "indices_shape": Attr("tuple")},
        infer=_gather_infer,
    ),
    "unary": OpSchema(attrs={"function": Attr("str", choices=UNARY_FUNCTIONS)}, infer=same),
    "hard_sigmoid": OpSchema(
        attrs={"alpha": Attr("float", 0.2), "beta": Attr("float", 0.5)}, infer=same
    ),
    "matmul": OpSchema(attrs={}, infer=_matmul_infer, data_inputs=2),
    "broadcast_sub": OpSchema(attrs={}, infer=broadcast_infer, data_inputs=2),
    "broadcast_div": OpSchema(attrs={}, infer=broadcast_infer, data_inputs=2),
    "broadcast_pow": OpSchema(attrs={}, infer=broadcast_infer, data_inputs=2),
    # x where x >= 0, else slope * x, slope broadcast to x (ONNX PRelu in general)
    "broadcast_prelu": OpSchema(attrs={}, infer=_prelu_infer, data_inputs=2),
    "Concat": OpSchema(
        attrs={"num_args": Attr("int"), "dim": Attr("int", 1)}, infer=_concat_infer, data_inputs=-1
    ),
}
