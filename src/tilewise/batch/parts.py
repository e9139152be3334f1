"""OUT is a folder of Parquet parts (a Parquet data set, as Ray Data writes it too): each
part is written whole (temp file + rename), so a run stopped at any point leaves readable
parts, and --resume skips the inputs they hold."""

from __future__ import annotations

import uuid
from pathlib import Path

from tilewise.errors import TilewiseError


def prepare(out: str, resume: bool, overwrite: bool) -> set[str]:
    """The keys already in OUT (resume), after checking OUT may be written."""
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise TilewiseError(f"{out}: exists and is not a folder (OUT is a folder of Parquet parts)")
    parts = sorted(folder.glob("*.parquet")) if folder.exists() else []
    if parts and not (resume or overwrite):
        raise TilewiseError(
            f"{out}: already holds {len(parts)} Parquet part(s); pass --resume "
            "to skip what they hold, or --overwrite"
        )
    if overwrite:
        for part in parts:
            part.unlink()
        return set()
    folder.mkdir(parents=True, exist_ok=True)
    return done_keys(out) if parts else set()


def done_keys(out: str) -> set[str]:
    import pyarrow.parquet as pq

    keys: set[str] = set()
    for part in sorted(Path(out).glob("*.parquet")):
        keys.update(pq.read_table(part, columns=["path"]).column("path").to_pylist())
    return keys


def write_part(out: str, rows: list[dict]) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from tilewise.batch.rows import schema

    path = Path(out) / f"part-{uuid.uuid4().hex[:12]}.parquet"
    temporary = path.with_suffix(".tmp")
    pq.write_table(pa.Table.from_pylist(rows, schema=schema()), temporary)
    temporary.replace(path)
    return path
