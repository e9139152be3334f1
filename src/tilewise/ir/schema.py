"""The shape of an op schema and the helpers every schema module shares."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tilewise.ir.attrs import Attr, AttrProblem

# relu6 and hard_swish come from ONNX; silu (x * sigmoid(x), YOLO's) from fuse_silu
ACTIVATIONS = ("relu", "sigmoid", "tanh", "softrelu", "relu6", "hard_swish", "silu")
FUSED_ACT = Attr("optstr", None)  # internal: an activation the fusion passes moved here

Shape = tuple[int, ...]


@dataclass(frozen=True)
class OpSchema:
    attrs: dict[str, Attr]
    infer: Callable[[dict, list[Shape]], Shape]
    params: Callable[[dict], list[str]] = lambda a: []
    param_shapes: Callable[[dict, Shape], dict[str, Shape]] = lambda a, s: {}
    data_inputs: int = 1  # -1: any number (Concat)
    extra: dict = field(default_factory=dict)


def pair(values: tuple, name: str, dims: int = 2) -> tuple[int, ...]:
    if len(values) != dims:
        raise AttrProblem(f"attribute '{name}' = {values} must have {dims} values")
    return values


def need_rank(shape: Shape, rank: int, what: str = "input") -> None:
    if len(shape) != rank:
        raise AttrProblem(f"{what} must be {rank}-D (NCHW), got {len(shape)}-D")


def same(attrs: dict, shapes: list[Shape]) -> Shape:
    return shapes[0]


def broadcast_infer(attrs: dict, shapes: list[Shape]) -> Shape:
    if len(shapes) != 2:
        raise AttrProblem(f"needs two inputs, got {len(shapes)}")
    a, b = shapes
    rank = max(len(a), len(b))  # NumPy rules: align on the right
    left, right = (1,) * (rank - len(a)) + a, (1,) * (rank - len(b)) + b
    out = []
    for x, y in zip(left, right, strict=True):
        if x != y and 1 not in (x, y):
            raise AttrProblem(f"shapes {a} and {b} do not broadcast")
        out.append(max(x, y))
    return tuple(out)
