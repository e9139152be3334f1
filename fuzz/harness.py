"""Shared by the fuzz harnesses: what may escape (tilewise's own errors), and running one.

    python fuzz/make_seeds.py                                   # fuzz/seeds/*, from real files
    python fuzz/onnx_import.py -runs=100000 fuzz/seeds/onnx     # likewise mxnet_params.py
    # (fuzz/seeds/params), mxnet_symbol.py (fuzz/seeds/symbol), image.py (fuzz/seeds/image)

Any other exception, a crash or a hang is a finding: libFuzzer writes the input to
crash-*; minimize it (-minimize_crash=1) and add it to tests/data/fuzz/ with a test."""

from __future__ import annotations

import os
import sys
import tempfile


def run(test_one_input, allowed: tuple[type[BaseException], ...]) -> None:
    import atheris

    def guarded(data: bytes) -> None:
        try:
            test_one_input(data)
        except allowed:
            pass

    atheris.Setup(sys.argv, guarded)
    atheris.Fuzz()


def scratch_file(suffix: str) -> str:
    """One file per process, rewritten with each input (the loaders take paths)."""
    handle, path = tempfile.mkstemp(suffix=suffix, prefix="tilewise-fuzz-")
    os.close(handle)
    return path
