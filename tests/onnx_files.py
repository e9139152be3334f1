"""Small ONNX files written for a test, and their agreement with onnxruntime."""

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from reference import relative_error

import tilewise


def save_model(tmp_path, nodes, inits, in_shape, out_shape, opset=13, name="m", outputs=None):
    """`inits`: name -> array or rng -> array; `outputs`: name -> shape for several."""
    rng = np.random.default_rng(0)
    tensors = []
    for key, value in inits.items():
        array = np.asarray(value(rng) if callable(value) else value)
        tensors.append(numpy_helper.from_array(
            array if array.dtype == np.int64 else array.astype(np.float32), key))  # fmt: skip
    outputs = outputs or {"y": out_shape}
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", *in_shape])],
        [helper.make_tensor_value_info(k, TensorProto.FLOAT, None) for k in outputs],
        tensors,
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    path = tmp_path / f"{name}.onnx"
    onnx.save(model, str(path))
    return str(path)


def agree(path, x, limit=1e-5, name="x"):
    """Every output of tilewise and onnxruntime, by name: same shapes, close values."""
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    expected = dict(zip(names, session.run(None, {name: x}), strict=True))
    model = tilewise.load(path)
    got = model.run({name: x})
    assert list(got) == names
    for key in names:
        assert got[key].shape == expected[key].shape, key
        if expected[key].dtype.kind in "biu":  # flags and indices: exactly, and their type
            assert got[key].dtype == expected[key].dtype, key
            np.testing.assert_array_equal(got[key], expected[key], err_msg=key)
        else:
            assert relative_error(got[key], expected[key]) <= limit, key
    return got
