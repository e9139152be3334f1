"""An ONNX file is someone else's: check it before anything large is allocated. Versions,
tensor sizes (declared against a memory limit and against the bytes present), external
data (inside the model's folder, present and long enough), value names produced once, and
attribute lists of sane length. Each problem names the file and what is wrong."""

from __future__ import annotations

import math
import os
from pathlib import Path

from tilewise.errors import TilewiseError

MIN_OPSET = 7
MIN_IR_VERSION = 3
MAX_ATTRIBUTE_VALUES = 1_000_000
MAX_SUBGRAPH_DEPTH = 8


def check_versions(model, path: str) -> None:
    import onnx

    if not MIN_IR_VERSION <= model.ir_version <= onnx.IR_VERSION:
        raise TilewiseError(
            f"{path}: IR version {model.ir_version} is outside "
            f"{MIN_IR_VERSION}-{onnx.IR_VERSION} (onnx {onnx.__version__})"
        )
    newest = onnx.defs.onnx_opset_version()
    for entry in model.opset_import:
        if entry.domain in ("", "ai.onnx") and not MIN_OPSET <= entry.version <= newest:
            raise TilewiseError(
                f"{path}: opset {entry.version} is outside {MIN_OPSET}-{newest} "
                f"(tilewise reads opset {MIN_OPSET} and newer; the installed "
                f"onnx {onnx.__version__} knows up to {newest})"
            )


def check_tensor(tensor, path: str, limit: int) -> None:
    """Declared size against the limit and against the data actually present."""
    from onnx import TensorProto, helper

    dims = list(tensor.dims)
    if any(d < 0 for d in dims):
        raise TilewiseError(f"{path}: initializer '{tensor.name}' has negative dimension {dims}")
    if tensor.data_type in (TensorProto.STRING, TensorProto.UNDEFINED):
        raise TilewiseError(f"{path}: initializer '{tensor.name}' has no numeric type")
    count = math.prod(dims)
    itemsize = helper.tensor_dtype_to_np_dtype(tensor.data_type).itemsize
    if count * itemsize > limit:
        raise TilewiseError(
            f"{path}: initializer '{tensor.name}' of shape {dims} needs "
            f"{count * itemsize:,} bytes, over the {limit:,}-byte limit "
            "(TILEWISE_MEMORY_LIMIT)"
        )
    if tensor.data_location == TensorProto.EXTERNAL:
        return  # checked when read (read_external)
    if tensor.HasField("raw_data"):
        present, expected = len(tensor.raw_data), count * itemsize
    else:
        field = helper.tensor_dtype_to_field(tensor.data_type)
        present, expected = len(getattr(tensor, field)), count
        if tensor.data_type in (TensorProto.COMPLEX64, TensorProto.COMPLEX128):
            expected *= 2
    if present != expected and not (present == 1 and count == 1):
        raise TilewiseError(
            f"{path}: initializer '{tensor.name}' of shape {dims} holds "
            f"{present:,} of the {expected:,} values or bytes it declares"
        )


def read_external(tensor, model_path: str) -> None:
    """Load one external tensor's bytes into it, from a file inside the model's folder."""
    from onnx import TensorProto, helper

    info = {entry.key: entry.value for entry in tensor.external_data}
    name, location = tensor.name, info.get("location", "")
    if not location:
        raise TilewiseError(f"{model_path}: initializer '{name}' is external with no location")
    if os.path.isabs(location):
        raise TilewiseError(
            f"{model_path}: initializer '{name}': external data location "
            f"'{location}' is an absolute path; it must be inside the model's "
            "folder"
        )
    folder = Path(model_path).resolve().parent
    target = (folder / location).resolve()  # follows symlinks: a link out is caught too
    if os.path.commonpath([folder, target]) != str(folder):
        raise TilewiseError(
            f"{model_path}: initializer '{name}': external data location "
            f"'{location}' escapes the model's folder {folder}"
        )
    if not target.is_file():
        raise TilewiseError(
            f"{model_path}: initializer '{name}': external data file '{location}' is missing"
        )
    try:
        offset = int(info.get("offset", 0))
        itemsize = helper.tensor_dtype_to_np_dtype(tensor.data_type).itemsize
        expected = math.prod(tensor.dims) * itemsize
        length = int(info.get("length", expected))
    except ValueError as error:
        raise TilewiseError(
            f"{model_path}: initializer '{name}': bad external data offset or length ({error})"
        ) from None
    if length != expected or offset < 0:
        raise TilewiseError(
            f"{model_path}: initializer '{name}' of shape {list(tensor.dims)} "
            f"needs {expected:,} bytes; its external data says offset "
            f"{offset}, length {length}"
        )
    size = target.stat().st_size
    if offset + length > size:
        raise TilewiseError(
            f"{model_path}: initializer '{name}': external data file "
            f"'{location}' has {size:,} bytes; {offset + length:,} needed"
        )
    with open(target, "rb") as data:
        data.seek(offset)
        tensor.raw_data = data.read(length)
    tensor.data_location = TensorProto.DEFAULT
    del tensor.external_data[:]


def check_graph(graph, path: str) -> None:
    """Every value produced once; no node reading its own output; attribute lists and
    subgraph nesting of sane size."""
    produced = {t.name: "an initializer" for t in graph.initializer}
    for value in graph.input:
        produced.setdefault(value.name, "a graph input")
    for index, node in enumerate(graph.node):
        label = node.name or (node.output[0] if node.output else f"#{index}")
        if not node.output or not node.output[0]:
            raise TilewiseError(f"{path}: node '{label}' ({node.op_type}) has no output")
        for output in node.output:
            if not output:
                continue
            if output in node.input:
                raise TilewiseError(
                    f"{path}: node '{label}' ({node.op_type}) reads its own output '{output}'"
                )
            if output in produced:
                raise TilewiseError(
                    f"{path}: value '{output}' is produced twice: by "
                    f"{produced[output]} and by node '{label}'"
                )
            produced[output] = f"node '{label}'"
        for attribute in node.attribute:
            values = max(len(attribute.ints), len(attribute.floats), len(attribute.strings))
            if values > MAX_ATTRIBUTE_VALUES:
                raise TilewiseError(
                    f"{path}: node '{label}' attribute '{attribute.name}' "
                    f"holds {values:,} values (limit {MAX_ATTRIBUTE_VALUES:,})"
                )
    if _depth(graph) > MAX_SUBGRAPH_DEPTH:
        raise TilewiseError(f"{path}: subgraphs nested more than {MAX_SUBGRAPH_DEPTH} deep")


def _depth(graph, level: int = 0) -> int:
    deepest = level
    if level > MAX_SUBGRAPH_DEPTH:
        return level
    for node in graph.node:
        for attribute in node.attribute:
            for sub in [attribute.g] * attribute.HasField("g") + list(attribute.graphs):
                deepest = max(deepest, _depth(sub, level + 1))
    return deepest
