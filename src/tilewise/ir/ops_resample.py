"""Schemas of the ops that change a map's size the other way: Resize (ONNX's Resize and
Upsample) and Deconvolution (ONNX's ConvTranspose, MXNet's Deconvolution)."""

from __future__ import annotations

from tilewise.ir.attrs import Attr, AttrProblem
from tilewise.ir.schema import OpSchema, Shape, need_rank, pair

RESIZE_MODES = ("nearest", "linear", "cubic")
COORDINATE_MODES = ("half_pixel", "half_pixel_symmetric", "pytorch_half_pixel",
                    "align_corners", "asymmetric", "tf_crop_and_resize")  # fmt: skip
NEAREST_MODES = ("round_prefer_floor", "round_prefer_ceil", "floor", "ceil")


def _resize_infer(attrs: dict, shapes: list[Shape]) -> Shape:
    (shape,) = shapes
    sizes, scales = attrs["sizes"], attrs["scales"]
    if len(sizes) != len(shape) or len(scales) != len(shape):
        raise AttrProblem(f"sizes {sizes} and scales {scales} need {len(shape)} values each")
    if min(sizes) < 1 or min(scales) <= 0:
        raise AttrProblem(f"sizes {sizes} must be >= 1 and scales {scales} > 0")
    if attrs["coordinate_mode"] == "tf_crop_and_resize" and len(attrs["roi"]) != 2 * len(shape):
        raise AttrProblem(f"tf_crop_and_resize needs a roi of {2 * len(shape)} values")
    if attrs["antialias"] and attrs["mode"] == "nearest":
        raise AttrProblem("antialias applies to linear and cubic modes, not nearest")
    return tuple(sizes)


RESIZE = OpSchema(
    attrs={
        "sizes": Attr("tuple"),  # the output shape, every axis
        "scales": Attr("floats"),  # the factor the coordinates are mapped with, every axis
        "mode": Attr("str", "nearest", RESIZE_MODES),
        "coordinate_mode": Attr("str", "half_pixel", COORDINATE_MODES),
        "nearest_mode": Attr("str", "round_prefer_floor", NEAREST_MODES),
        "cubic_coeff_a": Attr("float", -0.75),
        "exclude_outside": Attr("bool", False),
        "extrapolation_value": Attr("float", 0.0),
        "antialias": Attr("bool", False),
        "roi": Attr("floats", ()),  # tf_crop_and_resize: starts then ends, in [0, 1]
    },
    infer=_resize_infer,
)


def deconv_output_hw(attrs: dict, height: int, width: int) -> tuple[int, int]:
    """ONNX's formula: stride * (in - 1) + output_padding + dilated kernel - both pads."""
    out = []
    for size, k, s, d, p, q, a in zip((height, width), attrs["kernel"], attrs["stride"],
                                      attrs["dilate"], attrs["pad"], attrs["pad_end"],
                                      attrs["adj"], strict=True):  # fmt: skip
        out.append(s * (size - 1) + a + d * (k - 1) + 1 - p - q)
    return out[0], out[1]


def _deconv_infer(attrs: dict, shapes: list[Shape]) -> Shape:
    (shape,) = shapes
    need_rank(shape, 4)
    for key in ("kernel", "stride", "dilate", "pad", "pad_end", "adj"):
        pair(attrs[key], key)
    if min(attrs["kernel"] + attrs["stride"] + attrs["dilate"]) < 1:
        raise AttrProblem(f"kernel {attrs['kernel']}, stride {attrs['stride']} and dilate "
                          f"{attrs['dilate']} must be >= 1")  # fmt: skip
    if min(attrs["pad"] + attrs["pad_end"] + attrs["adj"]) < 0:
        raise AttrProblem(f"pad {attrs['pad']}, pad_end {attrs['pad_end']} and adj "
                          f"{attrs['adj']} must be >= 0")  # fmt: skip
    if attrs["target_shape"]:
        raise AttrProblem(f"target_shape {attrs['target_shape']} is not supported; "
                          "give pad and adj instead")  # fmt: skip
    groups, filters = attrs["num_group"], attrs["num_filter"]
    if groups < 1 or filters < 1 or shape[1] % groups or filters % groups:
        raise AttrProblem(f"num_group = {groups} must divide input channels {shape[1]} "
                          f"and num_filter = {filters}")  # fmt: skip
    oh, ow = deconv_output_hw(attrs, shape[2], shape[3])
    if oh < 1 or ow < 1:
        raise AttrProblem(f"padding {attrs['pad']} + {attrs['pad_end']} leaves no output")
    return (shape[0], filters, oh, ow)


DECONVOLUTION = OpSchema(
    attrs={
        "kernel": Attr("tuple"),
        "num_filter": Attr("int"),
        "stride": Attr("tuple", (1, 1)),
        "dilate": Attr("tuple", (1, 1)),
        "pad": Attr("tuple", (0, 0)),  # cropped from the top/left of the full output
        "pad_end": Attr("tuple", (0, 0)),  # ... and from the bottom/right
        "adj": Attr("tuple", (0, 0)),  # ONNX output_padding: extra rows/columns at the end
        "num_group": Attr("int", 1),
        "no_bias": Attr("bool", True),  # MXNet's default for Deconvolution
        "target_shape": Attr("tuple", ()),  # MXNet's: not supported (give pad and adj)
    },
    infer=_deconv_infer,
    params=lambda a: ["weight"] if a["no_bias"] else ["weight", "bias"],
    param_shapes=lambda a, s: {  # ONNX's layout: (in channels, out channels / group, kh, kw)
        "weight": (s[1], a["num_filter"] // a["num_group"], *a["kernel"]),
        "bias": (a["num_filter"],),
    },
)

RESAMPLE_SCHEMAS = {"resize": RESIZE, "Deconvolution": DECONVOLUTION}
