"""Hostile images for predict, batch-predict and the server: refused with a clear error,
never a crash, a hang or a decoded bomb."""

from __future__ import annotations

import struct
import zlib

import pytest

import tilewise
from tilewise.cli import main

pil = pytest.importorskip("PIL.Image")


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares width x height 8-bit grey pixels and holds none of them."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


def test_decompression_bomb_is_refused_before_decoding(tmp_path):
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(png_header_only(30000, 30000))
    with pytest.raises(
        tilewise.TilewiseError,
        match=rf"{bomb}: image refused: Image size "
        r"\(900000000 pixels\) exceeds limit",
    ):
        tilewise.imagenet.preprocess(str(bomb))


@pytest.mark.parametrize("name, content, message", [
    ("empty.jpg", b"", "not a readable image (unknown format, or not an image)"),
    ("cut.png", None, "not a readable image ("),
    ("header.png", png_header_only(64, 64), "not a readable image ("),
    ("bomb.png", png_header_only(30000, 30000), "image refused: Image size (900000000 pixels)"),
])  # fmt: skip
def test_predict_names_the_file_and_exits_2(tmp_path, capsys, name, content, message):
    path = tmp_path / name
    if content is None:  # a real PNG cut in half
        full = tmp_path / "full.png"
        pil.new("RGB", (64, 64), (10, 200, 30)).save(full)
        content = full.read_bytes()[: len(full.read_bytes()) // 2]
    path.write_bytes(content)
    assert main(["predict", "tiny", str(path), "--resize", "37", "--crop", "32"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"tilewise: error: {path}: {message}") and err.count("\n") == 1


def test_batch_rows_report_each_hostile_file(tmp_path):
    pytest.importorskip("pyarrow")
    from tilewise.batch.inputs import Item
    from tilewise.batch.rows import Options, decode

    options = Options(resize=37, crop=32)
    bomb = decode(Item("bomb", png_header_only(30000, 30000)), options)
    assert bomb.startswith("image refused: Image size (900000000 pixels) exceeds limit")
    assert decode(Item("none", b""), options) == \
        "not a readable image (unknown format, or not an image)"  # fmt: skip
