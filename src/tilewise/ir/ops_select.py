"""Schemas of the ops that compare, select, rearrange and rank values: what detection
and segmentation heads do after the convolutions. Booleans and indices are float32 values
inside tilewise (0/1, whole numbers); a graph output declared integer or boolean is cast
when it is returned."""

from __future__ import annotations

from tilewise.ir.attrs import Attr, AttrProblem
from tilewise.ir.schema import OpSchema, Shape, broadcast_infer, need_rank

COMPARISONS = ("equal", "greater", "less", "greater_equal", "less_equal")


def _axis(axis: int, rank: int) -> int:
    if not -rank <= axis < rank:
        raise AttrProblem(f"attribute 'axis' = {axis} is out of range for rank {rank}")
    return axis % rank


def _where_infer(attrs: dict, shapes: list[Shape]) -> Shape:
    if len(shapes) != 3:
        raise AttrProblem(f"needs a condition and two values, got {len(shapes)} inputs")
    return broadcast_infer({}, [broadcast_infer({}, shapes[:2]), shapes[2]])


def _broadcast_to_infer(attrs: dict, shapes: list[Shape]) -> Shape:
    target = attrs["shape"]
    if broadcast_infer({}, [shapes[0], target]) != target:
        raise AttrProblem(f"input {shapes[0]} does not broadcast to {target}")
    return target


def _tile_infer(attrs: dict, shapes: list[Shape]) -> Shape:
    (shape,) = shapes
    reps = attrs["reps"]
    if len(reps) != len(shape) or min(reps, default=1) < 1:
        raise AttrProblem(f"reps {reps} need {len(shape)} values, each >= 1")
    return tuple(d * r for d, r in zip(shape, reps, strict=True))


def _depth_to_space_infer(attrs: dict, shapes: list[Shape]) -> Shape:
    (shape,) = shapes
    need_rank(shape, 4)
    block = attrs["block"]
    if block < 1 or shape[1] % (block * block):
        raise AttrProblem(f"channels {shape[1]} are not a multiple of block {block} squared")
    n, c, h, w = shape
    return (n, c // (block * block), h * block, w * block)


def _space_to_depth_infer(attrs: dict, shapes: list[Shape]) -> Shape:
    (shape,) = shapes
    need_rank(shape, 4)
    block = attrs["block"]
    n, c, h, w = shape
    if block < 1 or h % block or w % block:
        raise AttrProblem(f"height {h} and width {w} are not multiples of block {block}")
    return (n, c * block * block, h // block, w // block)


def _arg_infer(attrs: dict, shapes: list[Shape]) -> Shape:
    (shape,) = shapes
    axis = _axis(attrs["axis"], len(shape))
    if attrs["keepdims"]:
        return tuple(1 if i == axis else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i != axis)


def _topk_infer(attrs: dict, shapes: list[Shape]) -> Shape:
    (shape,) = shapes
    axis = _axis(attrs["axis"], len(shape))
    if not 1 <= attrs["k"] <= shape[axis]:
        raise AttrProblem(f"k = {attrs['k']} must be between 1 and {shape[axis]} (axis {axis})")
    return tuple(attrs["k"] if i == axis else d for i, d in enumerate(shape))


def _layer_norm_infer(attrs: dict, shapes: list[Shape]) -> Shape:
    shape = shapes[0]
    axis = _axis(attrs["axis"], len(shape))
    normalized = shape[axis:]
    for operand in shapes[1:]:
        if broadcast_infer({}, [operand, normalized]) != normalized:
            raise AttrProblem(f"scale or bias {operand} does not broadcast to {normalized}")
    if not 2 <= len(shapes) <= 3:
        raise AttrProblem(f"needs the input, a scale and an optional bias; got {len(shapes)}")
    return shape


def _instance_norm_infer(attrs: dict, shapes: list[Shape]) -> Shape:
    (shape,) = shapes
    if len(shape) < 3:
        raise AttrProblem(f"input must be (N, C, spatial...), got {len(shape)}-D")
    return shape


SELECT_SCHEMAS: dict[str, OpSchema] = {
    # 1.0 where the comparison holds, else 0.0 (ONNX Equal, Greater, Less, ...OrEqual)
    "compare": OpSchema(
        attrs={"function": Attr("str", choices=COMPARISONS)}, infer=broadcast_infer, data_inputs=2
    ),  # fmt: skip
    # ONNX Where: the second input where the first is non-zero, else the third
    "where": OpSchema(attrs={}, infer=_where_infer, data_inputs=3),
    "broadcast_maximum": OpSchema(attrs={}, infer=broadcast_infer, data_inputs=2),
    "broadcast_minimum": OpSchema(attrs={}, infer=broadcast_infer, data_inputs=2),
    "broadcast_to": OpSchema(attrs={"shape": Attr("tuple")}, infer=_broadcast_to_infer),
    "tile": OpSchema(attrs={"reps": Attr("tuple")}, infer=_tile_infer),
    "depth_to_space": OpSchema(
        attrs={"block": Attr("int"), "mode": Attr("str", "DCR", ("DCR", "CRD"))},
        infer=_depth_to_space_infer,
    ),
    "space_to_depth": OpSchema(
        attrs={"block": Attr("int"), "mode": Attr("str", "DCR", ("DCR", "CRD"))},
        infer=_space_to_depth_infer,
    ),
    # the index (a whole float32) of the largest or smallest value along `axis`
    "arg_reduce": OpSchema(
        attrs={
            "function": Attr("str", choices=("max", "min")),
            "axis": Attr("int", 0),
            "keepdims": Attr("bool", True),
            "select_last_index": Attr("bool", False),
        },
        infer=_arg_infer,
    ),  # fmt: skip
    # one output of ONNX TopK: the k values, or their indices; ties go to the lower index
    "topk": OpSchema(
        attrs={
            "k": Attr("int"),
            "axis": Attr("int", -1),
            "largest": Attr("bool", True),
            "part": Attr("str", "values", ("values", "indices")),
        },
        infer=_topk_infer,
    ),  # fmt: skip
    # (x - mean) / sqrt(var + eps) over axes from `axis` on, times scale, plus bias
    "layer_norm": OpSchema(
        attrs={"axis": Attr("int", -1), "eps": Attr("float", 1e-5)},
        infer=_layer_norm_infer,
        data_inputs=-1,
    ),  # fmt: skip
    # per sample and channel over the spatial axes, then scale[c] and bias[c]
    "instance_norm": OpSchema(
        attrs={"eps": Attr("float", 1e-5)},
        infer=_instance_norm_infer,
        params=lambda a: ["scale", "bias"],
        param_shapes=lambda a, s: {"scale": (s[1],), "bias": (s[1],)},
    ),
}
