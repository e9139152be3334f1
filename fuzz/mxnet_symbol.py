"""Fuzz the MXNet symbol reader and graph builder (JSON bytes, params of the seed model)."""

import shutil
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from tilewise.errors import TilewiseError
    from tilewise.frontend.load import load_graph

from harness import run

FOLDER = Path(__import__("tempfile").mkdtemp(prefix="tilewise-fuzz-"))
DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "mxnet"
shutil.copy(DATA / "ops_merge-0000.params", FOLDER / "m-0000.params")


def test_one_input(data: bytes) -> None:
    (FOLDER / "m-symbol.json").write_bytes(data)
    load_graph(str(FOLDER / "m"), input_shape=(6, 8, 8))


if __name__ == "__main__":
    run(test_one_input, (TilewiseError,))
