"""Fuzz image decoding and preprocessing (what predict, batch-predict and the server do)."""

import atheris

with atheris.instrument_imports():
    from tilewise.batch.inputs import Item
    from tilewise.batch.rows import Options, decode

from harness import run

OPTIONS = Options(resize=40, crop=32)


def test_one_input(data: bytes) -> None:
    result = decode(Item("fuzz", data), OPTIONS)
    assert isinstance(result, str) or result.shape == (3, 32, 32)


if __name__ == "__main__":
    run(test_one_input, ())
