"""A real pretrained model: EfficientNet-Lite0 (ImageNet) exported from PyTorch to ONNX.

On three photographs shipped with scikit-image and matplotlib, tilewise's top-1 class
is the true label and onnxruntime's, and the logits agree within 1e-5 relative.
"""

import numpy as np
import pytest
from pretrained import lite0_path
from reference import relative_error

import tilewise
from tilewise.cli import main
from tilewise.imagenet import class_names, preprocess

ort = pytest.importorskip("onnxruntime")
skimage_data = pytest.importorskip("skimage.data")
cbook = pytest.importorskip("matplotlib.cbook")
Image = pytest.importorskip("PIL.Image")

TRUE_LABELS = {"chelsea": "Egyptian cat", "coffee": "espresso", "grace_hopper": "military uniform"}
# the whole short side, centre-cropped: the 256 -> 224 crop cuts Grace Hopper's uniform
RESIZE, CROP = 224, 224


@pytest.fixture(scope="module")
def lite0():
    return str(lite0_path())


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("photos")
    paths = {}
    for name in ("chelsea", "coffee"):
        paths[name] = folder / f"{name}.png"
        Image.fromarray(getattr(skimage_data, name)()).save(paths[name])
    paths["grace_hopper"] = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    return {name: str(path) for name, path in paths.items()}


def test_top1_is_the_true_label_and_agrees_with_onnxruntime(lite0, photos):
    batch = np.stack([preprocess(photos[name], RESIZE, CROP) for name in TRUE_LABELS])
    session = ort.InferenceSession(lite0, providers=["CPUExecutionProvider"])
    expected = session.run(None, {"input": batch})[0]
    model = tilewise.load(lite0)
    got = model(batch)
    assert got.shape == expected.shape == (3, 1000)
    assert relative_error(got, expected) <= 1e-5
    names = class_names()
    assert [names[i] for i in got.argmax(1)] == list(TRUE_LABELS.values())
    assert list(got.argmax(1)) == list(expected.argmax(1))
    single = model(batch[1:2])  # a second plan, for batch 1
    assert relative_error(single, expected[1:2]) <= 1e-5
    assert [batch for batch, _ in sorted(model.plans)] == [1, 3]


def test_depthwise_layers_run_directly_and_stay_blocked(lite0):
    layers = tilewise.load(lite0).compile(1).layers()
    depthwise = [s for s in layers if "depthwise" in s["name"] and s["op"] == "Convolution"]
    assert len(depthwise) == 16
    assert all(s["algorithm"] == "nchwc-depthwise" for s in depthwise)
    assert sum(s["op"] == "Reorder" for s in layers) == 1  # only before the classifier
    assert not [s for s in layers if s["op"] == "Pad"], "SAME padding folds into the convs"


def test_predict_prints_top5(lite0, photos, capsys):
    assert main(["predict", lite0, photos["coffee"], "--resize", str(RESIZE), "--top", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == photos["coffee"]
    assert len(lines) == 4
    assert lines[1].split()[:2] == ["1.", "espresso"]
    probability = float(lines[1].split()[2])
    assert 0.5 < probability <= 1.0
