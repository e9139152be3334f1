"""ONNX Resize, Upsample and ConvTranspose as tilewise resize and Deconvolution nodes.

Every size is resolved here, where shapes are known: the node gets the output shape and
the scale of each axis (the scale maps coordinates, so it is kept even when sizes were
given), and ConvTranspose's output_shape and auto_pad become explicit crops.
"""

from __future__ import annotations

import numpy as np

from tilewise.frontend.onnx_context import ImportContext


def _text(value, default: str) -> str:
    value = default if value is None else value
    return value.decode() if isinstance(value, bytes) else str(value)


def _floats(ctx: ImportContext, node, index: int, what: str) -> list[float] | None:
    value = ctx.constant_input(node, index, what)
    return None if value is None else [float(v) for v in value.reshape(-1)] or None


def _resolve_axes(ctx, shape, axes, scales, sizes, roi, policy):
    """Scales, sizes and roi for every axis, as ONNX's Resize defines them (opset 18's
    `axes` and keep_aspect_ratio_policy included)."""
    rank = len(shape)
    axes = [a % rank for a in axes] if axes is not None else list(range(rank))
    if scales is not None and len(scales) != len(axes):
        raise ctx.fail(f"scales {scales} need one value per resized axis ({len(axes)})")
    if sizes is not None and len(sizes) != len(axes):
        raise ctx.fail(f"sizes {sizes} need one value per resized axis ({len(axes)})")
    full_scales, full_sizes = [1.0] * rank, list(shape)
    full_roi = [0.0] * rank + [1.0] * rank if roi is not None else None
    for i, axis in enumerate(axes):
        if roi is not None:
            full_roi[axis], full_roi[axis + rank] = roi[i], roi[i + len(axes)]
        if sizes is not None:
            full_sizes[axis] = int(sizes[i])
            full_scales[axis] = full_sizes[axis] / shape[axis]
        else:
            full_scales[axis] = scales[i]  # the product in float32, as onnxruntime takes it
            full_sizes[axis] = int(np.floor(np.float32(shape[axis]) * np.float32(scales[i])))
    if sizes is not None and policy != "stretch":
        pick = min if policy == "not_larger" else max
        scale = pick(full_scales[a] for a in axes)
        for axis in axes:
            full_scales[axis] = scale
            full_sizes[axis] = int(scale * shape[axis] + 0.5)
    return full_scales, full_sizes, full_roi


def resize(ctx: ImportContext, node, a: dict) -> None:
    x = node.input[0]
    shape = ctx.shape(x)
    mode = _text(a.get("mode"), "nearest")
    mode = "linear" if mode == "bilinear" else mode  # Upsample-7's name for it
    if node.op_type == "Upsample" or ctx.opset < 11:  # no roi input; asymmetric coordinates
        scales = list(a["scales"]) if "scales" in a else _floats(ctx, node, 1, "scales")
        sizes, roi, axes, coordinates, policy = None, None, None, "asymmetric", "stretch"
        # ONNX Runtime's rule before opset 11: floor when enlarging, ceil when shrinking
        nearest = "floor" if min(scales or [1.0]) >= 1 else "ceil"
        if scales is not None and min(scales) < 1 < max(scales):
            raise ctx.fail(f"scales {scales} both enlarge and shrink, which opsets before "
                           "11 round differently per axis")  # fmt: skip
    else:
        roi = _floats(ctx, node, 1, "roi")
        scales, sizes = _floats(ctx, node, 2, "scales"), _floats(ctx, node, 3, "sizes")
        axes = a.get("axes")
        coordinates = _text(a.get("coordinate_transformation_mode"), "half_pixel")
        nearest = _text(a.get("nearest_mode"), "round_prefer_floor")
        policy = _text(a.get("keep_aspect_ratio_policy"), "stretch")
    if (scales is None) == (sizes is None):
        raise ctx.fail("exactly one of scales and sizes must be given")
    if coordinates != "tf_crop_and_resize":
        roi = None
    full_scales, full_sizes, full_roi = _resolve_axes(ctx, shape, axes, scales, sizes, roi,
                                                      policy)  # fmt: skip
    ctx.emit("resize", [x], node.output[0], sizes=tuple(full_sizes), scales=tuple(full_scales),
             mode=mode, coordinate_mode=coordinates, nearest_mode=nearest,
             cubic_coeff_a=a.get("cubic_coeff_a", -0.75),
             exclude_outside=bool(a.get("exclude_outside", 0)),
             extrapolation_value=a.get("extrapolation_value", 0.0),
             antialias=bool(a.get("antialias", 0)), roi=tuple(full_roi or ()))  # fmt: skip


def _deconv_pads(a: dict, spatial, kernel, strides, dilations, adjust) -> tuple[list, list]:
    """(crop at the start, crop at the end) per axis; ONNX's output_shape and auto_pad
    rules (SAME_UPPER puts the extra crop at the end)."""
    rank = len(kernel)
    target = list(a.get("output_shape", []))[-rank:] if a.get("output_shape") else None
    auto = _text(a.get("auto_pad"), "NOTSET")
    if target is None and auto in ("SAME_UPPER", "SAME_LOWER"):
        target = [size * s for size, s in zip(spatial, strides, strict=True)]
    if target is None:
        pads = list(a.get("pads", [0] * 2 * rank)) if auto != "VALID" else [0] * 2 * rank
        return pads[:rank], pads[rank:]
    starts, ends = [], []
    for size, k, s, d, extra, want in zip(spatial, kernel, strides, dilations, adjust, target,
                                          strict=True):  # fmt: skip
        total = s * (size - 1) + extra + (k - 1) * d + 1 - want
        if auto == "SAME_UPPER":
            starts.append(total // 2)
            ends.append(total - total // 2)
        else:
            starts.append(total - total // 2)
            ends.append(total // 2)
    return starts, ends


def conv_transpose(ctx: ImportContext, node, a: dict) -> None:
    weight = ctx.const(node.input[1])
    if weight is None:
        raise ctx.fail("the weight (input 1) must be a constant")
    x = node.input[0]
    shape = ctx.shape(x)
    kernel = list(a.get("kernel_shape", weight.shape[2:]))
    rank = len(kernel)
    if rank not in (1, 2) or len(shape) != rank + 2:
        raise ctx.fail(f"{rank}-D ConvTranspose on a {len(shape)}-D input (1-D and 2-D "
                       "are supported)")  # fmt: skip
    strides = list(a.get("strides", [1] * rank))
    dilations = list(a.get("dilations", [1] * rank))
    adjust = list(a.get("output_padding", [0] * rank))
    starts, ends = _deconv_pads(a, shape[2:], kernel, strides, dilations, adjust)
    for i, end in enumerate(ends):
        if end < 0:  # an output_shape larger than the natural size: extra end rows
            adjust[i], ends[i] = adjust[i] - end, 0
    if min(starts) < 0:
        raise ctx.fail(f"output_shape {a.get('output_shape')} needs negative padding at "
                       f"the start ({starts})")  # fmt: skip
    bias = node.input[2] if len(node.input) > 2 and node.input[2] else None
    weight_name = node.input[1]
    if rank == 1:  # run as 2-D with height 1
        x = ctx.emit("Reshape", [x], shape=(shape[0], shape[1], 1, shape[2]))
        weight_name = ctx.add_const(f"{weight_name}_2d", weight[:, :, None, :])
        kernel, strides, dilations = ([1, *v] for v in (kernel, strides, dilations))
        adjust, starts, ends = [0, *adjust], [0, *starts], [0, *ends]
    groups = int(a.get("group", 1))
    out = node.output[0] if rank == 2 else None
    inputs = [x, weight_name] + ([bias] if bias else [])
    value = ctx.emit("Deconvolution", inputs, out, kernel=tuple(kernel), stride=tuple(strides),
                     dilate=tuple(dilations), pad=tuple(starts), pad_end=tuple(ends),
                     adj=tuple(adjust), num_filter=int(weight.shape[1]) * groups,
                     num_group=groups, no_bias=bias is None)  # fmt: skip
    if rank == 1:
        n, c, _, length = ctx.shape(value)
        ctx.emit("Reshape", [value], node.output[0], shape=(n, c, length))


HANDLERS = {"Resize": resize, "Upsample": resize, "ConvTranspose": conv_transpose}
