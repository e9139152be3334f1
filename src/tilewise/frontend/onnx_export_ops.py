"""ONNX exporters of the ops real detection and OCR models brought in (slicing, gathering,
resizing, transposed convolution), kept apart from the classic layers in onnx_export.py."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from tilewise.errors import TilewiseError

if TYPE_CHECKING:
    from tilewise.frontend.onnx_export import ExportContext

INT64_MIN = -(2**63)  # ONNX's "through index 0" end for a negative step


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


EXPORTERS = {
    "slice": _slice,
    "gather": _gather,
    "resize": _resize,
    "Deconvolution": _deconvolution,
    "broadcast_pow": lambda c: [c.node("Pow", c.data)],
}
