"""The light real-model graphs of the onnx package with seeded random weights, against
onnxruntime: logits agree within 1e-5 relative (max |difference| / max |logit|)."""

import numpy as np
import pytest
from reference import relative_error

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")
from light_models import randomized  # noqa: E402

from tilewise.frontend.onnx_backend import TilewiseBackend  # noqa: E402

MODELS = ("bvlc_alexnet", "densenet121", "inception_v1", "inception_v2", "resnet50",
          "shufflenet", "squeezenet", "vgg19", "zfnet512")  # fmt: skip
TOLERANCE = 1e-5


@pytest.mark.parametrize("name", MODELS)
def test_random_weights_agree_with_onnxruntime(name):
    model = randomized(name, seed=0)
    x = np.random.default_rng(1).uniform(-1, 1, (1, 3, 224, 224)).astype(np.float32)
    options = ort.SessionOptions()
    options.log_severity_level = 3  # the files carry unused shape initializers
    session = ort.InferenceSession(model.SerializeToString(), options,
                                   providers=["CPUExecutionProvider"])  # fmt: skip
    expected = session.run(None, {session.get_inputs()[0].name: x})[0]
    (got,) = TilewiseBackend.prepare(model).run([x])
    assert got.shape == expected.shape
    assert np.std(expected) > 0.1, "random weights should give spread-out logits"
    assert relative_error(got, expected) <= TOLERANCE
