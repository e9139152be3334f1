"""Op schemas: attributes with MXNet's defaults, parameter roles, shape inference.

Ops carry MXNet's names, since the zoo and legacy checkpoints use them. `act` is an
internal attribute set by the fusion passes (an activation applied to the output).
`SCHEMAS` is the list of every op tilewise knows; tilewise/op_table.py joins it with each
op's operator, exporter and test reference.
"""

from __future__ import annotations

import math

from tilewise.ir.attrs import Attr, AttrProblem
from tilewise.ir.ops_resample import RESAMPLE_SCHEMAS
from tilewise.ir.ops_select import SELECT_SCHEMAS
from tilewise.ir.ops_tensor import TENSOR_SCHEMAS
from tilewise.ir.schema import (
    ACTIVATIONS,
    FUSED_ACT,
    OpSchema,
    Shape,
    broadcast_infer,
    need_rank,
    pair,
    same,
)

# ---- Convolution -----------------------------------------------------------------


def conv_output_hw(attrs: dict, height: int, width: int) -> tuple[int, int]:
    kh, kw = attrs["kernel"]
    sh, sw = attrs["stride"]
    ph, pw = attrs["pad"]
    eh, ew = attrs.get("pad_end") or (ph, pw)
    dh, dw = attrs["dilate"]
    oh = (height + ph + eh - (dh * (kh - 1) + 1)) // sh + 1
    ow = (width + pw + ew - (dw * (kw - 1) + 1)) // sw + 1
    return oh, ow


def asymmetric(attrs: dict) -> bool:
    """Bottom/right padding differs from top/left (set by the fold_pad pass)."""
    return bool(attrs.get("pad_end")) and tuple(attrs["pad_end"]) != tuple(attrs["pad"])


def _conv_infer(attrs: dict, shapes: list[Shape]) -> Shape:
    (shape,) = shapes
    need_rank(shape, 4)
    kernel = pair(attrs["kernel"], "kernel")
    for key in ("stride", "pad", "dilate"):
        pair(attrs[key], key)
    if attrs["pad_end"]:
        pair(attrs["pad_end"], "pad_end")
    if min(kernel) < 1 or min(attrs["stride"]) < 1 or min(attrs["dilate"]) < 1:
        raise AttrProblem(
            f"kernel {kernel}, stride {attrs['stride']} and dilate {attrs['dilate']} must be >= 1"
        )
    if min(attrs["pad"] + attrs["pad_end"]) < 0:
        raise AttrProblem(f"attribute 'pad' = {attrs['pad']} must be >= 0")
    groups, filters = attrs["num_group"], attrs["num_filter"]
    if groups < 1 or filters < 1 or shape[1] % groups or filters % groups:
        raise AttrProblem(
            f"num_group = {groups} must divide input channels {shape[1]} and num_filter = {filters}"
        )
    oh, ow = conv_output_hw(attrs, shape[2], shape[3])
    if oh < 1 or ow < 1:
        raise AttrProblem(
            f"kernel {kernel} (dilate {attrs['dilate']}, pad {attrs['pad']}) "
            f"is larger than the input {shape[2]}x{shape[3]}"
        )
    return (shape[0], filters, oh, ow)


CONVOLUTION = OpSchema(
    attrs={
        "kernel": Attr("tuple"),
        "num_filter": Attr("int"),
        "stride": Attr("tuple", (1, 1)),
        "pad": Attr("tuple", (0, 0)),
        "dilate": Attr("tuple", (1, 1)),
        "num_group": Attr("int", 1),
        "no_bias": Attr("bool", False),
        "act": FUSED_ACT,
        "pad_end": Attr("tuple", ()),  # internal: bottom/right padding when it differs
    },
    infer=_conv_infer,
    params=lambda a: ["weight"] if a["no_bias"] else ["weight", "bias"],
    param_shapes=lambda a, s: {
        "weight": (a["num_filter"], s[1] // a["num_group"], *a["kernel"]),
        "bias": (a["num_filter"],),
    },
)

# ---- FullyConnected --------------------------------------------------------------


def _fc_features(attrs: dict, shape: Shape) -> int:
    return math.prod(shape[1:]) if attrs["flatten"] else shape[-1]


def _fc_infer(attrs: dict, shapes: list[Shape]) -> Shape:
    (shape,) = shapes
    if attrs["num_hidden"] < 1:
        raise AttrProblem(f"attribute 'num_hidden' = {attrs['num_hidden']} must be >= 1")
    if attrs["flatten"]:
        return (shape[0], attrs["num_hidden"])
    return (*shape[:-1], attrs["num_hidden"])


FULLY_CONNECTED = OpSchema(
    attrs={
        "num_hidden": Attr("int"),
        "no_bias": Attr("bool", False),
        "flatten": Attr("bool", True),
        "act": FUSED_ACT,
    },
    infer=_fc_infer,
    params=lambda a: ["weight"] if a["no_bias"] else ["weight", "bias"],
    param_shapes=lambda a, s: {
        "weight": (a["num_hidden"], _fc_features(a, s)),
        "bias": (a["num_hidden"],),
    },
)

# ---- Pooling ---------------------------------------------------------------------


def pool_geometry(attrs: dict, shape: Shape) -> tuple[tuple, tuple, tuple, tuple]:
    """(kernel, stride, pad, output hw) with global pooling and conventions applied.

    `pad_end` (ONNX import) pads the bottom/right differently from the top/left; with
    `pooling_convention` "full", ONNX also drops a last window that starts in the padding.
    """
    height, width = shape[2], shape[3]
    if attrs["global_pool"]:
        return (height, width), (1, 1), (0, 0), (1, 1)
    kernel = pair(attrs["kernel"], "kernel")
    stride = pair(attrs["stride"], "stride")
    pad = pair(attrs["pad"], "pad")
    pad_end = pair(attrs["pad_end"], "pad_end") if attrs["pad_end"] else pad
    if min(kernel) < 1 or min(stride) < 1 or min(pad + pad_end) < 0:
        raise AttrProblem(f"kernel {kernel} and stride {stride} must be >= 1, pad {pad} >= 0")
    out = []
    for size, k, s, p, q in zip((height, width), kernel, stride, pad, pad_end, strict=True):
        if size + p + q < k:
            raise AttrProblem(f"kernel {kernel} is larger than the padded input {height}x{width}")
        span = size + p + q - k
        count = -(-span // s) + 1 if attrs["pooling_convention"] == "full" else span // s + 1
        if attrs["pad_end"] and count > 1 and (count - 1) * s >= size + p:
            count -= 1  # ONNX: no window may start in the end padding
        out.append(count)
    return kernel, stride, pad, tuple(out)


def _pool_infer(attrs: dict, shapes: list[Shape]) -> Shape:
    (shape,) = shapes
    need_rank(shape, 4)
    if not attrs["global_pool"] and not attrs["kernel"]:
        raise AttrProblem("attribute 'kernel' is required unless global_pool is set")
    _, _, _, (oh, ow) = pool_geometry(attrs, shape)
    return (shape[0], shape[1], oh, ow)


POOLING = OpSchema(
    attrs={
        "kernel": Attr("tuple", ()),
        "pool_type": Attr("str", "max", ("max", "avg")),
        "global_pool": Attr("bool", False),
        # MXNet's "same" exists for 1-D pooling only
        "pooling_convention": Attr("str", "valid", ("valid", "full")),
        "stride": Attr("tuple", (1, 1)),
        "pad": Attr("tuple", (0, 0)),
        "count_include_pad": Attr("bool", True),
        "pad_end": Attr("tuple", ()),  # internal: ONNX's asymmetric padding
    },
    infer=_pool_infer,
)

# ---- Elementwise and shape-only ops ----------------------------------------------


def _channels_param(attrs: dict, shape: Shape) -> int:
    if len(shape) < 2:
        raise AttrProblem("input needs a channel axis (axis 1)")
    return shape[1]


def _add_infer(attrs: dict, shapes: list[Shape]) -> Shape:
    if len(shapes) != 2 or shapes[0] != shapes[1]:
        raise AttrProblem("elemwise_add needs two inputs of the same shape")
    return shapes[0]


def _flatten_infer(attrs: dict, shapes: list[Shape]) -> Shape:
    (shape,) = shapes
    return (shape[0], math.prod(shape[1:]))


def _softmax_infer(attrs: dict, shapes: list[Shape]) -> Shape:
    (shape,) = shapes
    if len(shape) != 2:
        raise AttrProblem(f"softmax is supported on 2-D (N, classes) inputs, got {len(shape)}-D")
    return shape


def _softmax_axis_infer(attrs: dict, shapes: list[Shape]) -> Shape:
    (shape,) = shapes
    if not -len(shape) <= attrs["axis"] < len(shape):
        raise AttrProblem(f"attribute 'axis' = {attrs['axis']} is out of range for {shape}")
    return shape


def _bn_infer(attrs: dict, shapes: list[Shape]) -> Shape:
    if attrs["axis"] != 1:
        raise AttrProblem(
            f"attribute 'axis' = {attrs['axis']}: only the channel axis 1 is supported"
        )
    _channels_param(attrs, shapes[0])
    return shapes[0]


def _lrn_infer(attrs: dict, shapes: list[Shape]) -> Shape:
    need_rank(shapes[0], 4)
    if attrs["nsize"] < 1 or attrs["nsize"] % 2 == 0:
        raise AttrProblem(f"attribute 'nsize' = {attrs['nsize']} must be odd and >= 1")
    return shapes[0]


def reshape_target(attrs: dict, shape: Shape) -> Shape:
    """MXNet Reshape codes: 0 copies a dimension, -1 infers one, -2 copies the rest,
    -3 merges two dimensions."""
    spec, out, i = attrs["shape"], [], 0
    for code in spec:
        if code == 0:
            out.append(shape[i])
            i += 1
        elif code == -1:
            out.append(-1)
            i += 1
        elif code == -2:
            out.extend(shape[i:])
            i = len(shape)
        elif code == -3:
            out.append(shape[i] * shape[i + 1])
            i += 2
        elif code > 0:
            out.append(code)
            i += 1
        else:
            raise AttrProblem(f"attribute 'shape' = {spec}: code {code} is not supported")
    total = math.prod(shape)
    if out.count(-1) > 1:
        raise AttrProblem(f"attribute 'shape' = {spec} infers more than one dimension")
    if -1 in out:
        known = math.prod(d for d in out if d != -1)
        if known == 0 or total % known:
            raise AttrProblem(f"attribute 'shape' = {spec} does not fit {total} elements")
        out[out.index(-1)] = total // known
    if math.prod(out) != total:
        raise AttrProblem(f"attribute 'shape' = {spec} gives {tuple(out)}: not {total} elements")
    return tuple(out)


def _reshape_infer(attrs: dict, shapes: list[Shape]) -> Shape:
    if attrs["reverse"]:
        raise AttrProblem("attribute 'reverse' = True is not supported")
    return reshape_target(attrs, shapes[0])


def _leaky_infer(attrs: dict, shapes: list[Shape]) -> Shape:
    if attrs["act_type"] == "prelu":
        _channels_param(attrs, shapes[0])
    return shapes[0]


def _softmax_activation_infer(attrs: dict, shapes: list[Shape]) -> Shape:
    (shape,) = shapes
    if attrs["mode"] == "channel" and len(shape) < 2:
        raise AttrProblem("mode 'channel' needs a channel axis")
    return shape


SCHEMAS: dict[str, OpSchema] = {
    "Convolution": CONVOLUTION,
    "FullyConnected": FULLY_CONNECTED,
    "Pooling": POOLING,
    "Activation": OpSchema(attrs={"act_type": Attr("str", choices=ACTIVATIONS)}, infer=same),
    "BatchNorm": OpSchema(
        attrs={
            "eps": Attr("float", 1e-3),
            "momentum": Attr("float", 0.9),
            "fix_gamma": Attr("bool", True),
            "use_global_stats": Attr("bool", False),
            "axis": Attr("int", 1),
        },
        infer=_bn_infer,
        params=lambda a: ["gamma", "beta", "moving_mean", "moving_var"],
        param_shapes=lambda a, s: {
            k: (_channels_param(a, s),) for k in ("gamma", "beta", "moving_mean", "moving_var")
        },
    ),
    # Internal: y = act(x * scale[c] + shift[c]); what a BatchNorm becomes at inference.
    "ScaleShift": OpSchema(
        attrs={"act": FUSED_ACT},
        infer=same,
        params=lambda a: ["scale", "shift"],
        param_shapes=lambda a, s: {"scale": (s[1],), "shift": (s[1],)},
    ),
    "LRN": OpSchema(
        attrs={
            "nsize": Attr("int"),
            "alpha": Attr("float", 1e-4),
            "beta": Attr("float", 0.75),
            "knorm": Attr("float", 2.0),
        },
        infer=_lrn_infer,
    ),
    "elemwise_add": OpSchema(attrs={"act": FUSED_ACT}, infer=_add_infer, data_inputs=2),
    "Flatten": OpSchema(attrs={}, infer=_flatten_infer),
    "Dropout": OpSchema(attrs={"p": Attr("float", 0.5)}, infer=same),
    "_copy": OpSchema(attrs={}, infer=same),
    "SoftmaxOutput": OpSchema(attrs={}, infer=_softmax_infer),
    "softmax": OpSchema(attrs={"axis": Attr("int", -1)}, infer=_softmax_axis_infer),
    "SoftmaxActivation": OpSchema(
        attrs={"mode": Attr("str", "instance", ("instance", "channel"))},
        infer=_softmax_activation_infer,
    ),
    "LeakyReLU": OpSchema(
        attrs={
            "act_type": Attr("str", "leaky", ("leaky", "prelu", "elu")),
            "slope": Attr("float", 0.25),
        },
        infer=_leaky_infer,
        params=lambda a: ["gamma"] if a["act_type"] == "prelu" else [],
        param_shapes=lambda a, s: {"gamma": (s[1],)} if a["act_type"] == "prelu" else {},
    ),
    "clip": OpSchema(attrs={"a_min": Attr("float"), "a_max": Attr("float")}, infer=same),
    "Reshape": OpSchema(
        attrs={"shape": Attr("tuple"), "reverse": Attr("bool", False)}, infer=_reshape_infer
    ),
    # Two inputs with NumPy broadcasting; either may be a constant.
    "broadcast_add": OpSchema(attrs={}, infer=broadcast_infer, data_inputs=2),
    "broadcast_mul": OpSchema(attrs={}, infer=broadcast_infer, data_inputs=2),
}
SCHEMAS.update(TENSOR_SCHEMAS)  # general tensor ops (any rank), for ONNX models
SCHEMAS.update(RESAMPLE_SCHEMAS)
SCHEMAS.update(SELECT_SCHEMAS)
