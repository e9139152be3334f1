"""ONNX exporters of the ops real detection, OCR and segmentation models brought in
(slicing, resizing, transposed convolution, comparing, selecting, ranking, normalising),
kept apart from the classic layers in onnx_export.py. Ops newer than the exported opset 13
(Gelu, LayerNormalization) are written out in opset 13's ops."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from tilewise.errors import TilewiseError

if TYPE_CHECKING:
    from tilewise.frontend.onnx_export import ExportContext

INT64_MIN = -(2**63)  # ONNX's "through index 0" end for a negative step
UNARY_ONNX = {"sqrt": "Sqrt", "exp": "Exp", "log": "Log", "reciprocal": "Reciprocal",
              "neg": "Neg", "abs": "Abs", "erf": "Erf"}  # fmt: skip


def _slice(c: ExportContext) -> list:
    begin, end, step = c.attrs["begin"], c.attrs["end"], c.attrs["step"]
    ends = [e if e >= 0 else INT64_MIN for e in end]
    inputs = [c.data[0], c.constant("starts", begin, np.int64), c.constant("ends", ends, np.int64),
              c.constant("axes", range(len(begin)), np.int64),
              c.constant("steps", step, np.int64)]  # fmt: skip
    return [c.node("Slice", inputs)]


def _gather(c: ExportContext) -> list:
    indices = np.array(c.attrs["indices"], np.int64).reshape(c.attrs["indices_shape"])
    return [c.node("Gather", [c.data[0], c.constant("indices", indices, np.int64)],
                   axis=c.attrs["axis"])]  # fmt: skip


def _resize(c: ExportContext) -> list:
    """Resize-13: scales when the sizes follow from them, else sizes (ONNX then derives the
    scales as sizes / input, as tilewise did at import)."""
    attrs = c.attrs
    if attrs["coordinate_mode"] == "half_pixel_symmetric" or attrs["antialias"]:
        raise TilewiseError(f"node '{c.name}' (resize): half_pixel_symmetric and antialias "
                            "need ONNX opset 18-19; the exporter writes opset 13")  # fmt: skip
    derived = all(math.isclose(s, o / i) for s, o, i in
                  zip(attrs["scales"], attrs["sizes"], c.in_shape, strict=True))  # fmt: skip
    roi = c.constant("roi", attrs["roi"] or [])
    if derived:
        inputs = [c.data[0], roi, "", c.constant("sizes", attrs["sizes"], np.int64)]
    else:
        inputs = [c.data[0], roi, c.constant("scales", attrs["scales"])]
    return [c.node("Resize", inputs, mode=attrs["mode"],
                   coordinate_transformation_mode=attrs["coordinate_mode"],
                   nearest_mode=attrs["nearest_mode"], cubic_coeff_a=attrs["cubic_coeff_a"],
                   exclude_outside=int(attrs["exclude_outside"]),
                   extrapolation_value=attrs["extrapolation_value"])]  # fmt: skip


def _deconvolution(c: ExportContext) -> list:
    a = c.attrs
    return [c.node("ConvTranspose", c.data + c.params, kernel_shape=list(a["kernel"]),
                   strides=list(a["stride"]), dilations=list(a["dilate"]),
                   pads=list(a["pad"]) + list(a["pad_end"]), output_padding=list(a["adj"]),
                   group=a["num_group"])]  # fmt: skip


ONNX_COMPARISONS = {"equal": "Equal", "greater": "Greater", "less": "Less",
                    "greater_equal": "GreaterOrEqual", "less_equal": "LessOrEqual"}  # fmt: skip
FLOAT, BOOL, INT64 = 1, 9, 7  # onnx.TensorProto element types


def _as_float(c: ExportContext, op: str, inputs: list[str], **attrs) -> list:
    """`op` gives booleans or integers; tilewise values are float32, so cast back."""
    raw = f"{c.name}_{op.lower()}"
    return [c.node(op, inputs, raw, **attrs), c.node("Cast", [raw], to=FLOAT)]


def _as_bool(c: ExportContext, value: str) -> tuple[list, str]:
    flag = f"{c.name}_{value}_flag"
    return [c.node("Cast", [value], flag, to=BOOL)], flag


def _space_to_depth(c: ExportContext) -> list:
    """SpaceToDepth has a mode only in recent opsets: CRD is written as a reshape and
    transpose."""
    if c.attrs["mode"] == "DCR":
        return [c.node("SpaceToDepth", c.data, blocksize=c.attrs["block"])]
    n, ch, h, w = c.in_shape
    b = c.attrs["block"]
    split = c.constant("split", [-1, ch, h // b, b, w // b, b], np.int64)
    merged = c.constant("merged", [-1, ch * b * b, h // b, w // b], np.int64)
    blocks, moved = f"{c.name}_blocks", f"{c.name}_moved"
    return [c.node("Reshape", [c.data[0], split], blocks),
            c.node("Transpose", [blocks], moved, perm=[0, 1, 3, 5, 2, 4]),
            c.node("Reshape", [moved, merged])]  # fmt: skip


def _where(c: ExportContext) -> list:
    cast, flag = _as_bool(c, c.data[0])
    return [*cast, c.node("Where", [flag, c.data[1], c.data[2]])]


def _topk(c: ExportContext) -> list:
    values, indices = f"{c.name}_values", f"{c.name}_indices"
    k = c.constant("k", [c.attrs["k"]], np.int64)
    topk = c.node("TopK", [c.data[0], k], values, axis=c.attrs["axis"],
                  largest=int(c.attrs["largest"]), sorted=1)  # fmt: skip
    topk.output.append(indices)
    if c.attrs["part"] == "values":
        return [topk, c.node("Identity", [values])]
    return [topk, c.node("Cast", [indices], to=FLOAT)]


def _layer_norm(c: ExportContext) -> list:
    """LayerNormalization needs opset 17: written out in opset 13's ops."""
    axes = list(range(c.attrs["axis"] % len(c.in_shape), len(c.in_shape)))
    x, scale, *bias = c.data
    mean, centred, square = f"{c.name}_mean", f"{c.name}_centred", f"{c.name}_square"
    var, std, normal = f"{c.name}_var", f"{c.name}_std", f"{c.name}_normal"
    scaled = f"{c.name}_scaled" if bias else c.out
    nodes = [c.node("ReduceMean", [x], mean, axes=axes), c.node("Sub", [x, mean], centred),
             c.node("Mul", [centred, centred], square),
             c.node("ReduceMean", [square], var, axes=axes),
             c.node("Add", [var, c.constant("eps", c.attrs["eps"])], f"{c.name}_var_eps"),
             c.node("Sqrt", [f"{c.name}_var_eps"], std), c.node("Div", [centred, std], normal),
             c.node("Mul", [normal, scale], scaled)]  # fmt: skip
    return nodes + ([c.node("Add", [scaled, bias[0]])] if bias else [])


def _gelu(c: ExportContext, approximate: bool) -> list:
    """Gelu needs opset 20: 0.5 x (1 + erf(x / sqrt 2)), or the tanh form."""
    x, inner, outer = c.data[0], f"{c.name}_inner", f"{c.name}_outer"
    if approximate:
        cube = [c.node("Mul", [x, x], f"{c.name}_x2"),
                c.node("Mul", [f"{c.name}_x2", x], f"{c.name}_x3"),
                c.node("Mul", [f"{c.name}_x3", c.constant("c", 0.044715)], f"{c.name}_cx3"),
                c.node("Add", [x, f"{c.name}_cx3"], f"{c.name}_poly"),
                c.node("Mul", [f"{c.name}_poly", c.constant("s", math.sqrt(2 / math.pi))],
                       f"{c.name}_arg"),
                c.node("Tanh", [f"{c.name}_arg"], inner)]  # fmt: skip
    else:
        cube = [c.node("Mul", [x, c.constant("s", 1 / math.sqrt(2))], f"{c.name}_arg"),
                c.node("Erf", [f"{c.name}_arg"], inner)]  # fmt: skip
    return [*cube, c.node("Add", [inner, c.constant("one", 1.0)], outer),
            c.node("Mul", [outer, x], f"{c.name}_prod"),
            c.node("Mul", [f"{c.name}_prod", c.constant("half", 0.5)])]  # fmt: skip


def _unary(c: ExportContext) -> list:
    function = c.attrs["function"]
    if function == "not":
        cast, flag = _as_bool(c, c.data[0])
        return [*cast, *_as_float(c, "Not", [flag])]
    if function in ("gelu", "gelu_tanh"):
        return _gelu(c, function == "gelu_tanh")
    return [c.node(UNARY_ONNX[function], c.data)]


EXPORTERS = {
    "slice": _slice,
    "gather": _gather,
    "resize": _resize,
    "Deconvolution": _deconvolution,
    "broadcast_pow": lambda c: [c.node("Pow", c.data)],
    "broadcast_maximum": lambda c: [c.node("Max", c.data)],
    "broadcast_minimum": lambda c: [c.node("Min", c.data)],
    "compare": lambda c: _as_float(c, ONNX_COMPARISONS[c.attrs["function"]], c.data),
    "where": _where,
    "broadcast_to": lambda c: [c.node("Expand", [c.data[0], c.constant("shape", c.attrs["shape"],
                                                                       np.int64)])],
    "tile": lambda c: [c.node("Tile", [c.data[0], c.constant("reps", c.attrs["reps"], np.int64)])],
    "depth_to_space": lambda c: [c.node("DepthToSpace", c.data, blocksize=c.attrs["block"],
                                        mode=c.attrs["mode"])],
    "space_to_depth": lambda c: _space_to_depth(c),
    "arg_reduce": lambda c: _as_float(
        c, "ArgMax" if c.attrs["function"] == "max" else "ArgMin", c.data, axis=c.attrs["axis"],
        keepdims=int(c.attrs["keepdims"]), select_last_index=int(c.attrs["select_last_index"])),
    "topk": _topk,
    "layer_norm": _layer_norm,
    "instance_norm": lambda c: [c.node("InstanceNormalization", c.data + c.params,
                                       epsilon=c.attrs["eps"])],
    "unary": _unary,
}  # fmt: skip
