"""Fuzz the MXNet NDArray (.params) reader."""

import atheris

with atheris.instrument_imports():
    from tilewise.errors import TilewiseError
    from tilewise.frontend.mxnet_params import read_ndarray_list

from harness import run, scratch_file

PATH = scratch_file(".params")


def test_one_input(data: bytes) -> None:
    with open(PATH, "wb") as out:
        out.write(data)
    read_ndarray_list(PATH)


if __name__ == "__main__":
    run(test_one_input, (TilewiseError,))
