"""Fuzz the ONNX importer (file bytes -> OnnxModel -> graph for batch 1)."""

import atheris

with atheris.instrument_imports():
    import tilewise  # noqa: F401
    from tilewise.errors import TilewiseError
    from tilewise.frontend.onnx_import import OnnxModel

from harness import run, scratch_file

PATH = scratch_file(".onnx")


def test_one_input(data: bytes) -> None:
    with open(PATH, "wb") as out:
        out.write(data)
    OnnxModel(PATH).graph(1)


if __name__ == "__main__":
    run(test_one_input, (TilewiseError,))
