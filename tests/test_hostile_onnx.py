"""ONNX files from someone else: each malformed or hostile case is refused before any large
allocation, with an error naming the file and what is wrong."""

from __future__ import annotations

import os

import numpy as np
import pytest

import tilewise

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

X = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2, 4, 4])
Y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 2, 4, 4])


def _tensor(name, dims, floats=None, raw=None):
    """A TensorProto as a hostile file holds it (onnx.helper would refuse to build it)."""
    tensor = TensorProto(name=name, dims=dims, data_type=TensorProto.FLOAT)
    if floats is not None:
        tensor.float_data.extend(floats)
    if raw is not None:
        tensor.raw_data = raw
    return tensor


def _model(nodes, inits=(), inputs=(X,), opset=13, ir=None, outputs=(Y,)):
    graph = helper.make_graph(nodes, "g", list(inputs), list(outputs), list(inits))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    if ir is not None:
        model.ir_version = ir
    return model


def _save(tmp_path, model, name="m.onnx"):
    path = tmp_path / name
    path.write_bytes(model.SerializeToString())
    return str(path)


def _add(weight_name="w"):
    return [helper.make_node("Add", ["x", weight_name], ["y"], name="add")]


def _refused(path, message):
    with pytest.raises(tilewise.TilewiseError, match=message) as info:
        tilewise.load(path)
    assert str(path) in str(info.value) or os.path.basename(str(path)) in str(info.value)


def test_truncated_and_random_bytes(tmp_path):
    good = _save(
        tmp_path, _model(_add(), [numpy_helper.from_array(np.ones((1, 2, 4, 4), np.float32), "w")])
    )
    truncated = tmp_path / "cut.onnx"
    truncated.write_bytes(open(good, "rb").read()[:40])
    noise = tmp_path / "noise.onnx"
    noise.write_bytes(np.random.default_rng(0).bytes(5000))
    for path in (truncated, noise):
        with pytest.raises(
            tilewise.TilewiseError,
            match=rf"{path}: (not a readable ONNX model|"
            "the model has no nodes)",
        ):
            tilewise.load(str(path))


def test_initializer_over_the_memory_limit(tmp_path):
    huge = _tensor("w", [10**6, 10**6], raw=b"\0" * 16)
    path = _save(tmp_path, _model(_add(), [huge]))
    _refused(
        path,
        r"initializer 'w' of shape \[1000000, 1000000\] needs "
        r"4,000,000,000,000 bytes, over the 17,179,869,184-byte limit",
    )


def test_initializer_shorter_than_it_declares(tmp_path):
    short = _tensor("w", [100, 100], floats=[1.0] * 10)
    _refused(
        _save(tmp_path, _model(_add(), [short])),
        r"initializer 'w' of shape \[100, 100\] holds 10 of the 10,000 values",
    )


def _external(tmp_path, location, length=None, data=b"\0" * 128):
    (tmp_path / "weights.bin").write_bytes(data)
    tensor = _tensor("w", [1, 2, 4, 4])
    tensor.data_location = TensorProto.EXTERNAL
    entries = {"location": location, **({"length": str(length)} if length else {})}
    for key, value in entries.items():
        entry = tensor.external_data.add()
        entry.key, entry.value = key, value
    return _save(tmp_path, _model(_add(), [tensor]))


def test_external_data_read_from_inside_the_folder(tmp_path):
    values = np.arange(32, dtype=np.float32)
    path = _external(tmp_path, "weights.bin", data=values.tobytes())
    x = np.zeros((1, 2, 4, 4), np.float32)
    np.testing.assert_array_equal(tilewise.load(path)(x).ravel(), values)


@pytest.mark.parametrize("location, message", [
    ("../outside.bin", r"external data location '../outside.bin' escapes the model's folder"),
    ("/etc/passwd", r"external data location '/etc/passwd' is an absolute path"),
    ("nothing.bin", r"external data file 'nothing.bin' is missing"),
    ("link.bin", r"external data location 'link.bin' escapes the model's folder"),
])  # fmt: skip
def test_external_data_outside_the_folder_or_missing(tmp_path, location, message):
    folder = tmp_path / "model"
    folder.mkdir()
    (tmp_path / "outside.bin").write_bytes(b"\0" * 128)
    (folder / "link.bin").symlink_to(tmp_path / "outside.bin")
    _refused(_external(folder, location), message)


def test_external_data_too_short(tmp_path):
    _refused(
        _external(tmp_path, "weights.bin", data=b"\0" * 100),
        r"external data file 'weights.bin' has 100 bytes; 128 needed",
    )
    _refused(
        _external(tmp_path, "weights.bin", length=64),
        r"needs 128 bytes; its external data says offset 0, length 64",
    )


def test_self_reference_duplicates_and_cycles(tmp_path):
    w = numpy_helper.from_array(np.ones((1, 2, 4, 4), np.float32), "w")
    own = [helper.make_node("Add", ["x", "y"], ["y"], name="loop")]
    _refused(
        _save(tmp_path, _model(own, [w]), "own.onnx"),
        r"node 'loop' \(Add\) reads its own output 'y'",
    )
    twice = [helper.make_node("Relu", ["x"], ["a"], name="r1"),
             helper.make_node("Relu", ["x"], ["a"], name="r2"),
             helper.make_node("Add", ["a", "w"], ["y"], name="add")]  # fmt: skip
    _refused(
        _save(tmp_path, _model(twice, [w]), "twice.onnx"),
        r"value 'a' is produced twice: by node 'r1' and by node 'r2'",
    )
    shadow = [helper.make_node("Relu", ["x"], ["w"], name="r"),
              helper.make_node("Add", ["x", "w"], ["y"], name="add")]  # fmt: skip
    _refused(
        _save(tmp_path, _model(shadow, [w]), "shadow.onnx"),
        r"value 'w' is produced twice: by an initializer and by node 'r'",
    )
    cycle = [helper.make_node("Add", ["x", "b"], ["a"], name="first"),
             helper.make_node("Relu", ["a"], ["b"], name="second"),
             helper.make_node("Relu", ["b"], ["y"], name="out")]  # fmt: skip
    _refused(
        _save(tmp_path, _model(cycle), "cycle.onnx"),
        r"input\(s\) \['b'\] are not produced before this node",
    )


def test_input_that_is_also_an_initializer_leaves_nothing_to_feed(tmp_path):
    x = numpy_helper.from_array(np.ones((1, 2, 4, 4), np.float32), "x")
    model = _model([helper.make_node("Relu", ["x"], ["y"])], [x])
    _refused(
        _save(tmp_path, model),
        r"every graph input is also an initializer \(x\): nothing "
        r"is left to feed",
    )


@pytest.mark.parametrize("opset, ir, message", [
    (3, None, r"opset 3 is outside 7-\d+"),
    (999, None, r"opset 999 is outside 7-\d+"),
    (13, 99, r"IR version 99 is outside 3-\d+"),
])  # fmt: skip
def test_versions_out_of_range(tmp_path, opset, ir, message):
    model = _model([helper.make_node("Relu", ["x"], ["y"])], opset=opset, ir=ir)
    _refused(_save(tmp_path, model), message)


def test_huge_attribute_list(tmp_path):
    node = helper.make_node("Transpose", ["x"], ["y"], name="t", perm=list(range(1_000_001)))
    _refused(
        _save(tmp_path, _model([node])),
        r"node 't' attribute 'perm' holds 1,000,001 values \(limit 1,000,000\)",
    )


def test_deeply_nested_subgraphs(tmp_path):
    out = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    inner = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "leaf", [], [out])
    for level in range(10):
        branch = helper.make_node("If", ["c"], ["y"], then_branch=inner, else_branch=inner)
        inner = helper.make_graph([branch], f"level{level}", [], [out])
    cond = numpy_helper.from_array(np.array(True), "c")
    model = _model(list(inner.node), [cond])
    _refused(_save(tmp_path, model), r"subgraphs nested more than 8 deep")


def test_activations_over_the_memory_limit(tmp_path, monkeypatch):
    big = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2, 4096, 4096])
    out = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 2, 4096, 4096])
    path = _save(tmp_path, _model([helper.make_node("Relu", ["x"], ["y"])], inputs=(big,),
                                  outputs=(out,)))  # fmt: skip
    monkeypatch.setenv("TILEWISE_MEMORY_LIMIT", str(64 * 2**20))
    with pytest.raises(tilewise.TilewiseError,
                       match=r"batch 2 needs [\d,]+ bytes of buffers, over the 67,108,864-byte "
                             r"limit \(TILEWISE_MEMORY_LIMIT\)"):  # fmt: skip
        tilewise.load(path).compile(2)


def test_fuzz_finding_pool_without_kernel_shape():
    """Found by fuzz/onnx_import.py: a MaxPool whose kernel_shape attribute was renamed."""
    from pathlib import Path

    path = Path(__file__).parent / "data" / "fuzz" / "onnx-pool-without-kernel-shape.onnx"
    with pytest.raises(tilewise.GraphError,
                       match=rf"{path}: node '.*' \((Max|Average)Pool\), input shapes .*: "
                             r"required attribute or input 'kernel_shape' is missing"):  # fmt: skip
        tilewise.load(str(path))


def test_fuzz_finding_node_without_output():
    """Found by fuzz/onnx_import.py: a node whose output list was emptied."""
    from pathlib import Path

    path = Path(__file__).parent / "data" / "fuzz" / "onnx-node-without-output.onnx"
    with pytest.raises(tilewise.TilewiseError, match=rf"{path}: node 'chan' \(Softmax\) has no "
                                                     r"output"):  # fmt: skip
        tilewise.load(str(path))
