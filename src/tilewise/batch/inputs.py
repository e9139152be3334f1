"""What to classify: a folder (recursive), a text file of paths, or a Parquet file with an
image-bytes or path column. Each input has a key (its path, or FILE#ROW for bytes) that
appears exactly once in the output."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tilewise.errors import TilewiseError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp")
BYTES_COLUMNS = ("image", "bytes", "image_bytes", "content")
PATH_COLUMNS = ("path", "file", "filename", "uri")


@dataclass(frozen=True)
class Item:
    key: str  # absolute path (workers on other machines read the same path), or FILE#ROW
    data: bytes | None = None  # None: read the file at `key`


def list_inputs(source: str) -> list[Item]:
    path = Path(source)
    if path.is_dir():
        files = sorted(
            p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
        )
        return [Item(os.path.abspath(p)) for p in files]
    if not path.exists():
        raise TilewiseError(f"{source}: no such folder or file")
    if path.suffix.lower() == ".parquet":
        return _parquet_items(path)
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return [Item(os.path.abspath(path))]
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise TilewiseError(
            f"{source}: not a folder, a Parquet file, an image or a text file of paths"
        ) from None
    base = path.parent
    return [
        Item(os.path.abspath(base / p))
        for line in lines
        if (p := line.strip()) and not p.startswith("#")
    ]


def _parquet_items(path: Path) -> list[Item]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as error:
        raise TilewiseError(f"{path}: not a readable Parquet file ({error})") from None
    names = table.column_names
    for column in names:
        kind = table.schema.field(column).type
        if column in BYTES_COLUMNS and (pa.types.is_binary(kind) or pa.types.is_large_binary(kind)):
            paths = table.column(PATH_COLUMNS[0]).to_pylist() if "path" in names else None
            return [
                Item(paths[i] if paths else f"{path}#{i}", data)
                for i, data in enumerate(table.column(column).to_pylist())
            ]
    for column in PATH_COLUMNS:
        if column in names:
            return [
                Item(os.path.abspath(path.parent / p)) for p in table.column(column).to_pylist()
            ]
    raise TilewiseError(
        f"{path}: no image column (binary: {', '.join(BYTES_COLUMNS)}) or path "
        f"column ({', '.join(PATH_COLUMNS)}); columns are {names}"
    )
