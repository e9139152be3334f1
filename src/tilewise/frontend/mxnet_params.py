"""Read MXNet's NDArray list files (`prefix-0000.params`, `.nd`) without MXNet.

Layout (little-endian): uint64 magic 0x112, uint64 reserved, uint64 count, the arrays,
uint64 name count, names as (uint64 length, bytes). Each array: uint32 magic (V1
0xF993FAC8: int64 dims; V2 0xF993FAC9: adds int32 storage type; V3 0xF993FACA: int32 ndim,
-1 unknown; otherwise a legacy array whose first uint32 is ndim, uint32 dims), the shape,
int32 device type and id, int32 dtype flag, then the data.
"""

from __future__ import annotations

import math
import struct
from pathlib import Path

import numpy as np

from tilewise.errors import TilewiseError
from tilewise.limits import memory_limit

LIST_MAGIC = 0x112
V1, V2, V3 = 0xF993FAC8, 0xF993FAC9, 0xF993FACA
DTYPES = {0: np.float32, 1: np.float64, 2: np.float16, 3: np.uint8, 4: np.int32, 5: np.int8,
          6: np.int64}  # fmt: skip
STORAGE = {0: "dense", 1: "row_sparse", 2: "csr"}


class ParamsFileError(TilewiseError):
    """A file that is not a readable MXNet NDArray list."""


class _Reader:
    def __init__(self, data: bytes, path: str) -> None:
        self.data, self.path, self.offset = data, path, 0

    def fail(self, message: str) -> ParamsFileError:
        return ParamsFileError(f"{self.path}: offset {self.offset}: {message}")

    def take(self, size: int, what: str) -> bytes:
        if size < 0 or self.offset + size > len(self.data):
            raise self.fail(
                f"truncated: {what} needs {size} bytes, {len(self.data) - self.offset} left"
            )
        chunk = self.data[self.offset : self.offset + size]
        self.offset += size
        return chunk

    def unpack(self, fmt: str, what: str):
        values = struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt), what))
        return values if len(values) > 1 else values[0]


def _array(reader: _Reader, index: int) -> np.ndarray:
    start = reader.offset
    magic = reader.unpack("I", f"array {index} header")
    if magic in (V2, V3):
        storage = reader.unpack("i", f"array {index} storage type")
        if storage != 0:
            reader.offset = start
            kind = STORAGE.get(storage, storage)
            raise reader.fail(f"array {index} has {kind} storage; only dense is supported")
    if magic in (V1, V2):
        ndim = reader.unpack("I", f"array {index} ndim")
        shape = reader.unpack(f"{ndim}q", f"array {index} shape") if ndim else ()
    elif magic == V3:
        ndim = reader.unpack("i", f"array {index} ndim")
        if ndim < 0:
            return np.zeros(0, np.float32)  # unknown shape: an empty placeholder
        shape = reader.unpack(f"{ndim}q", f"array {index} shape") if ndim else ()
    else:  # legacy: the magic was ndim
        ndim = magic
        if ndim > 32:
            reader.offset = start
            raise reader.fail(f"array {index}: not an MXNet array (header {magic:#x})")
        shape = reader.unpack(f"{ndim}I", f"array {index} shape") if ndim else ()
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if ndim == 0 and magic != V3:
        return np.zeros(0, np.float32)
    if any(d < 0 for d in shape):
        raise reader.fail(f"array {index} has a negative dimension in {shape}")
    reader.unpack("ii", f"array {index} context")
    flag = reader.unpack("i", f"array {index} dtype")
    if flag not in DTYPES:
        raise reader.fail(f"array {index} has unsupported dtype flag {flag}")
    dtype = np.dtype(DTYPES[flag])
    count = math.prod(shape)  # Python ints: a lying shape cannot wrap around
    if math.prod(max(d, 1) for d in shape) * dtype.itemsize > memory_limit():
        raise reader.fail(f"array {index} declares shape {shape}, over the "
                          f"{memory_limit():,}-byte limit (TILEWISE_MEMORY_LIMIT)")  # fmt: skip
    raw = reader.take(count * dtype.itemsize, f"array {index} data ({shape}, {dtype})")
    return np.frombuffer(raw, dtype).reshape(shape).copy()


def read_ndarray_list(path: str | Path) -> dict[str, np.ndarray] | list[np.ndarray]:
    """Arrays by name (names as stored, e.g. 'arg:conv1_weight'), or a list if unnamed."""
    path = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise ParamsFileError(f"{path}: cannot read: {error.strerror}") from None
    reader = _Reader(data, path)
    magic, _reserved = reader.unpack("QQ", "file header")
    if magic != LIST_MAGIC:
        reader.offset = 0
        raise reader.fail(f"not an MXNet NDArray file (magic {magic:#x}, expected {LIST_MAGIC:#x})")
    count = reader.unpack("Q", "array count")
    if count > len(data):
        raise reader.fail(f"array count {count} is larger than the file")
    arrays = [_array(reader, i) for i in range(count)]
    n_names = reader.unpack("Q", "name count")
    if n_names not in (0, count):
        raise reader.fail(f"{n_names} names for {count} arrays")
    names = []
    for i in range(n_names):
        length = reader.unpack("Q", f"name {i} length")
        names.append(reader.take(length, f"name {i}").decode("utf-8", "replace"))
    if reader.offset != len(data):
        raise reader.fail(f"{len(data) - reader.offset} unexpected bytes after the names")
    return dict(zip(names, arrays, strict=True)) if names else arrays


def split_params(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Drop the 'arg:' / 'aux:' prefixes; the graph refers to parameters by bare name."""
    out = {}
    for name, array in arrays.items():
        bare = name.split(":", 1)[1] if name.startswith(("arg:", "aux:")) else name
        out[bare] = array
    return out
