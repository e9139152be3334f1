"""Zoo networks exported as ONNX: onnxruntime loads them and agrees with tilewise."""

import numpy as np
import pytest
from graphs import uniform
from test_zoo import _randomise_batchnorm

import tilewise
from tilewise.cli import main

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")


@pytest.mark.parametrize("name", ["alexnet", "inception-bn", "resnet-18", "inception-v3"])
def test_onnxruntime_agrees_with_tilewise(name, tmp_path):
    from tilewise.frontend.onnx_export import export_onnx

    rng = np.random.default_rng(5)
    graph = tilewise.zoo.get(name)
    _randomise_batchnorm(graph, rng)
    path = tmp_path / f"{name}.onnx"
    export_onnx(graph, str(path))
    x = uniform(rng, (2, *graph.input_shape))
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    theirs = session.run(None, {"data": x})[0]
    ours = tilewise.compile(graph, batch_size=2)(x)
    assert theirs.shape == ours.shape == (2, 1000)
    assert np.max(np.abs(theirs - ours)) / np.max(np.abs(theirs)) <= 1e-4


def test_export_command(tmp_path, capsys):
    path = tmp_path / "alexnet.onnx"
    assert main(["export", "alexnet", str(path)]) == 0
    assert path.stat().st_size > 200e6  # 50.8 M float32 weights
    assert "wrote alexnet" in capsys.readouterr().out
