"""ONNX's own backend test suite (onnx.backend.test) through tilewise's Backend adapter.

Included: every node test whose graph uses only ops tilewise imports. The "light"
real-model graphs shipped in the onnx package are not: their weights are all 0.02, so every
logit is equal and their expected outputs pass whatever the input (tests/test_onnx_light.py
runs those graphs with random weights against onnxruntime instead). EXCLUDED lists what is
left out and why; test_backend_tally checks the list stays honest.
"""

import re

import pytest

pytest.importorskip("onnx")
from onnx.backend.test import BackendTest  # noqa: E402
from onnx.backend.test.loader import load_model_tests  # noqa: E402

from tilewise.frontend.onnx_backend import TilewiseBackend  # noqa: E402
from tilewise.frontend.onnx_import import HANDLERS  # noqa: E402

EXCLUDED = {
    r"_(u?int(8|16|32|64))(_|$)|_int32_trunc|int8_(min|max|inbounds)|_bool(_|$)": (
        "integer and boolean tensors: tilewise computes in float32"
    ),
    r"^test_cast(like)?_": "casts of the data between element types: tilewise takes float32",
    r"^test_(equal|not_|where_(long_)?example|top_k_same_values)|_string|_float(16|64)$": (
        "integer, boolean, string, float16 and float64 inputs: tilewise takes float32 (the "
        "ops run on float32 in tests/test_onnx_select.py)"
    ),
    r"^test_layer_normalization_": (
        "LayerNormalization's Mean and InvStdDev outputs, which every one of these reads "
        "(training statistics; tests/test_onnx_select.py checks Y against onnxruntime)"
    ),
    r"^test_(edge|reflect|wrap)_pad$": "int32 data (the modes run on float32 in test_onnx_import)",
    r"pool_3d": "3-D pooling: tilewise runs 1-D and 2-D pooling",
    r"pool_2d_dilations": "dilated pooling",
    # refused with an error naming training_mode: see test_training_dropout_is_refused
    r"training|_mask": "training-mode outputs (dropout masks, batch statistics)",
    r"with_argmax": "MaxPool's second output (the argmax indices)",
    r"^test_constant$": "no input at all: the whole graph is a constant",
    r"^test_identity_(sequence|opt)$": "sequence and optional types",
    r"^test_reshape_allowzero_reordered$|^test_reduce_max_empty_set$|_zero_size_|"
    r"^test_slice_start_out_of_bounds$": "zero-size tensors",
    r"convtranspose_3d": "3-D ConvTranspose: tilewise runs 1-D and 2-D",
    r"^test_resize_downsample_scales_(linear|cubic)_align_corners$": (
        "align_corners at a scale whose output length is not whole: tilewise follows "
        "onnxruntime (the integer length; [1, 4] here), the reference takes the product "
        "([1, 3.14]); tests/test_onnx_resample.py checks align_corners against onnxruntime"
    ),
}


def _supported_node_tests() -> list[str]:
    """Node tests whose graphs use only ops tilewise imports (Constant folds at load)."""
    supported = set(HANDLERS) | {"Constant"}
    return sorted(
        case.name
        for case in load_model_tests(kind="node")
        if {n.op_type for n in case.model.graph.node} <= supported
    )


NODE_TESTS = _supported_node_tests()
INCLUDED = set(NODE_TESTS)
backend_test = BackendTest(TilewiseBackend, __name__)
backend_test.include("^(" + "|".join(NODE_TESTS) + ")_cpu$")
for pattern in EXCLUDED:
    backend_test.exclude(pattern.replace("$", "_cpu$"))

# Keep excluded tests visible (skipped, with the pattern); drop the thousands not included
# and the CUDA variants.
for case in backend_test.test_cases.values():
    for name in [n for n in vars(case) if n.startswith("test_")]:
        if name.removesuffix("_cpu") not in INCLUDED:
            delattr(case, name)
    globals()[case.__name__] = case


def test_backend_tally():
    """Every exclusion still matches a test, and most supported-op node tests run."""
    excluded = {
        reason: [n for n in INCLUDED if re.search(pattern, n)]
        for pattern, reason in EXCLUDED.items()
    }
    assert all(excluded.values()), [r for r, names in excluded.items() if not names]
    left_out = {n for names in excluded.values() for n in names if n in NODE_TESTS}
    running = len(NODE_TESTS) - len(left_out)
    assert running >= 200, f"only {running} of {len(NODE_TESTS)} node tests run"


@pytest.mark.parametrize("name", ["test_training_dropout", "test_training_dropout_default"])
def test_training_dropout_is_refused(name):
    from tilewise.errors import UnsupportedOpError
    from tilewise.frontend.onnx_import import OnnxModel

    (case,) = [c for c in load_model_tests(kind="node") if c.name == name]
    with pytest.raises(UnsupportedOpError, match=r"Dropout with training_mode from a graph in"):
        OnnxModel(case.model)


@pytest.mark.parametrize("training, runs", [(True, False), (False, True)])
def test_constant_training_mode(training, runs):
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    from tilewise.errors import UnsupportedOpError
    from tilewise.frontend.onnx_import import OnnxModel

    graph = helper.make_graph(
        [helper.make_node("Dropout", ["x", "ratio", "training"], ["y"], name="drop")], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])],
        [numpy_helper.from_array(np.array(0.5, np.float32), "ratio"),
         numpy_helper.from_array(np.array(training), "training")],
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    if runs:
        assert OnnxModel(model).graph(1).nodes
    else:
        with pytest.raises(UnsupportedOpError, match=r"Dropout with training_mode=True \(infer"):
            OnnxModel(model)


@pytest.mark.parametrize("name, message", [
    ("test_constant", "the graph has no input"),
    ("test_reduce_max_empty_set", r"\(max\): reducing axes \(1,\) of shape \(2, 0, 4\)"),
])  # fmt: skip
def test_excluded_cases_fail_with_tilewise_errors(name, message):
    from tilewise.errors import TilewiseError

    (case,) = [c for c in load_model_tests(kind="node") if c.name == name]
    rep = TilewiseBackend.prepare(case.model)
    inputs = list(case.data_sets[0][0]) if case.data_sets else []
    with pytest.raises(TilewiseError, match=message):
        rep.run(inputs)


@pytest.mark.parametrize("name, message", [
    ("test_maxpool_3d_default", r"MaxPool with 3-D MaxPool \(1-D and 2-D are supported\)"),
    ("test_averagepool_3d_default", r"AveragePool with 3-D AveragePool"),
    ("test_maxpool_2d_dilations", r"MaxPool with dilations \[2, 2\] \(node 'y'\)"),
    ("test_averagepool_2d_dilations", r"AveragePool with dilations \[2, 2\]"),
    ("test_batchnorm_example_training_mode",
     r"BatchNormalization with output\(s\) \['output_mean', 'output_var'\] in use"),
    ("test_maxpool_with_argmax_2d_precomputed_pads",
     r"MaxPool with output\(s\) \['z'\] in use \(only the first output is supported\)"),
])  # fmt: skip
def test_excluded_cases_are_refused_by_name(name, message):
    """What the exclusions leave out is refused before running, naming the op, the attribute
    and the node, never run to a wrong answer."""
    from tilewise.errors import UnsupportedOpError

    (case,) = [c for c in load_model_tests(kind="node") if c.name == name]
    rep = TilewiseBackend.prepare(case.model)
    with pytest.raises(UnsupportedOpError, match=f"{name}: 1 unsupported op.*{message}"):
        rep.run(list(case.data_sets[0][0]))
