"""tilewise batch-predict: a folder of real photos (scikit-image's samples and variants made
from them) and broken files, on the local engine and on Ray; every input exactly once."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
pil = pytest.importorskip("PIL.Image")
data = pytest.importorskip("skimage.data")

from tilewise.batch import predict  # noqa: E402
from tilewise.batch.rows import Options  # noqa: E402
from tilewise.cli import main  # noqa: E402
from tilewise.errors import TilewiseError  # noqa: E402

TINY = Options(batch_size=4, resize=37, crop=32)  # the zoo's "tiny" network takes 32x32
BROKEN = {"truncated.jpg": "not a readable image (OSError: Truncated File Read)",
          "empty.png": "not a readable image (unknown format, or not an image)",
          "notes.bmp": "not a readable image (unknown format, or not an image)"}  # fmt: skip


@pytest.fixture(scope="module")
def photos(tmp_path_factory) -> Path:
    """Real photos, variants in every mode `predict` must convert, and broken files."""
    folder = tmp_path_factory.mktemp("photos")
    (folder / "more").mkdir()
    images = {name: pil.fromarray(getattr(data, name)()) for name in
              ("coffee", "astronaut", "chelsea", "rocket", "camera")}  # fmt: skip
    for name, image in images.items():
        image.save(folder / f"{name}.jpg", quality=90)
    coffee = images["coffee"]
    coffee.rotate(90, expand=True).save(folder / "more" / "coffee_rotated.png")
    coffee.convert("P", palette=pil.Palette.ADAPTIVE).save(folder / "more" / "coffee_palette.png")
    coffee.convert("RGBA").save(folder / "more" / "coffee_alpha.webp")
    coffee.convert("CMYK").save(folder / "more" / "coffee_cmyk.jpg")
    images["astronaut"].resize((300, 200)).save(folder / "more" / "astronaut_small.bmp")
    wide = np.asarray(images["camera"], np.uint16) * 257
    pil.fromarray(wide).save(folder / "more" / "camera_16bit.png")
    (folder / "truncated.jpg").write_bytes((folder / "coffee.jpg").read_bytes()[:600])
    (folder / "empty.png").write_bytes(b"")
    (folder / "notes.bmp").write_text("not a picture")
    (folder / "README.txt").write_text("not an image suffix: not listed")
    return folder


def _rows(out) -> dict[str, dict]:
    table = pq.read_table(out).to_pylist()
    paths = [row["path"] for row in table]
    assert len(paths) == len(set(paths)), "an input appears twice"
    return {row["path"]: row for row in table}


def _predict_cli(images: list[Path], capsys) -> dict[str, list[tuple[int, float]]]:
    """What `tilewise predict` prints for each image: (class, probability) top 5."""
    assert main(["predict", "tiny", *map(str, images), "--resize", "37", "--crop", "32"]) == 0
    found, current = {}, None
    for line in capsys.readouterr().out.splitlines():
        if not line.startswith("  "):
            current = found.setdefault(line, [])
        else:
            match = re.search(r"(\d\.\d{4})  \(class (\d+)\)", line)
            current.append((int(match.group(2)), float(match.group(1))))
    return found


def test_local_engine_matches_predict_and_reports_broken_files(photos, tmp_path, capsys):
    summary = predict("tiny", str(photos), str(tmp_path / "out"), options=TINY)
    rows = _rows(tmp_path / "out")
    listed = sorted(p for p in photos.rglob("*") if p.suffix != ".txt" and p.is_file())
    assert sorted(rows) == [str(p) for p in listed]
    assert summary["errors"] == len(BROKEN) and summary["inputs"] == len(listed)
    good = [p for p in listed if p.name not in BROKEN]
    expected = _predict_cli(good, capsys)
    for path in good:
        row = rows[str(path)]
        assert row["error"] is None and row["model"] == "tiny"
        assert row["top_indices"] == [index for index, _ in expected[str(path)]]
        assert row["top_probabilities"] == pytest.approx(
            [p for _, p in expected[str(path)]], abs=6e-5
        )
    for name, message in BROKEN.items():
        row = rows[str(photos / name)]
        assert row["top_indices"] == [] and row["error"] == message


def test_list_and_parquet_inputs_give_the_same_rows(photos, tmp_path):
    predict("tiny", str(photos), str(tmp_path / "folder"), options=TINY)
    by_folder = _rows(tmp_path / "folder")
    listing = tmp_path / "paths.txt"
    listing.write_text(
        "# one per line\n"
        + "\n".join(os.path.relpath(p, tmp_path) for p in sorted(by_folder))
        + "\n"
    )
    predict("tiny", str(listing), str(tmp_path / "list"), options=TINY)
    assert _rows(tmp_path / "list") == by_folder
    table = pa.table(
        {"path": sorted(by_folder), "image": [Path(p).read_bytes() for p in sorted(by_folder)]}
    )
    pq.write_table(table, tmp_path / "images.parquet")
    predict("tiny", str(tmp_path / "images.parquet"), str(tmp_path / "parquet"), options=TINY)
    assert _rows(tmp_path / "parquet") == by_folder


def test_resume_skips_what_out_holds(photos, tmp_path):
    out = str(tmp_path / "out")
    everything = sorted(str(p) for p in photos.rglob("*.jpg"))
    first = tmp_path / "first.txt"
    first.write_text("\n".join(everything[:3]))
    assert predict("tiny", str(first), out, options=TINY)["inputs"] == 3
    with pytest.raises(TilewiseError, match=r"already holds 1 Parquet part\(s\); pass --resume"):
        predict("tiny", str(photos), out, options=TINY)
    summary = predict("tiny", str(photos), out, options=TINY, resume=True)
    assert summary["skipped"] == 3
    assert len(_rows(out)) == summary["inputs"]  # every input exactly once
    assert predict("tiny", str(photos), out, options=TINY, overwrite=True)["skipped"] == 0


def test_cli_prints_a_summary(photos, tmp_path, capsys):
    args = [
        "batch-predict",
        "tiny",
        str(photos),
        "--out",
        str(tmp_path / "o"),
        "--crop",
        "32",
        "--resize",
        "37",
        "--batch-size",
        "4",
    ]
    assert main(args) == 0
    assert re.search(
        r"^14 image\(s\) classified into .* 3 unreadable, 0 already there$",
        capsys.readouterr().out,
        re.M,
    )
    assert main(args) == 2
    assert "pass --resume to skip what they hold, or --overwrite" in capsys.readouterr().err
    out = tmp_path / "x"
    assert main(["batch-predict", "tiny", str(tmp_path / "nowhere"), "--out", str(out)]) == 2
    assert "nowhere: no such folder or file" in capsys.readouterr().err
    assert not out.exists()  # bad inputs leave nothing behind


@pytest.mark.parametrize("mode", ["I;16", "CMYK", "P", "RGBA", "LA"])
def test_image_modes_convert_to_the_rgb_they_show(mode, tmp_path):
    """Each mode saved and read back gives the RGB a viewer shows (within JPEG/palette
    rounding): 16-bit grey scaled, not clipped; alpha over white."""
    from tilewise.imagenet import to_rgb

    rgb = np.zeros((8, 8, 3), np.uint8)
    rgb[:, :4] = (200, 40, 90)
    rgb[:, 4:] = (30, 160, 220)
    image = pil.fromarray(rgb)
    if mode == "I;16":
        grey = np.asarray(image.convert("L"), np.uint16) * 257
        expected = np.repeat(np.asarray(image.convert("L"))[..., None], 3, axis=2)
        image = pil.fromarray(grey)
    elif mode == "RGBA" or mode == "LA":
        alpha = np.full((8, 8), 128, np.uint8)
        base = (
            rgb
            if mode == "RGBA"
            else np.repeat(np.asarray(image.convert("L"))[..., None], 3, axis=2)
        )
        image = pil.fromarray(np.dstack([base, alpha]), "RGBA").convert(mode)
        expected = (base * (128 / 255) + 255 * (1 - 128 / 255)).round()
    else:  # an adaptive palette holds both colours exactly
        image = (
            image.convert(mode, palette=pil.Palette.ADAPTIVE)
            if mode == "P"
            else image.convert(mode)
        )
        expected = rgb
    path = tmp_path / ("x.tif" if mode == "CMYK" else "x.png")
    image.save(path)
    with pil.open(path) as read:
        assert read.mode == mode
        got = np.asarray(to_rgb(read), np.float64)
    assert np.abs(got - expected).max() <= 2
