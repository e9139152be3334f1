"""MXNet checkpoints loaded without MXNet, against MXNet 1.9.1's own outputs.

Fixtures: tools/make_mxnet_fixtures.py, run once with MXNet in a separate environment.
"""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from reference import relative_error

import tilewise
from tilewise.frontend.load import load_graph
from tilewise.frontend.mxnet_params import ParamsFileError, read_ndarray_list

DATA = Path(__file__).parent / "data" / "mxnet"
MODELS = [
    *("ops_conv", "ops_merge", "ops_softmax", "ops_fc3d", "old_layout"),
    *("alexnet_w8", "vgg16_w8", "resnet50_w8", "resnet152_w16", "inception_bn_w8"),
    "inception_v3_w8",
]


# measured worst 2.7e-7 (alexnet_w8 logits), with a 3.6x margin
MXNET_LIMIT = 1e-6


@pytest.mark.parametrize("algo", ["auto", "gemm"])
@pytest.mark.parametrize("name", MODELS)
def test_outputs_match_mxnet(name, algo):
    io = np.load(DATA / f"{name}-io.npz")
    x, expected = io["x"], io["y"]
    model = tilewise.load(str(DATA / name), input_shape=x.shape[1:], algo=algo)
    out = model(x)
    assert out.shape == expected.shape
    assert relative_error(out, expected) <= MXNET_LIMIT


@pytest.mark.parametrize("algo", ["auto", "gemm"])
@pytest.mark.parametrize("name", [m for m in MODELS if "logits" in np.load(DATA / f"{m}-io.npz")])
def test_logits_match_mxnet(name, algo):
    """The softmax head damps logit errors several-fold; compare what feeds it."""
    io = np.load(DATA / f"{name}-io.npz")
    x, logits = io["x"], io["logits"]
    graph = load_graph(str(DATA / name), input_shape=x.shape[1:])
    head = graph.nodes.pop()
    assert head.op in ("SoftmaxOutput", "softmax", "SoftmaxActivation")
    graph.output_name = head.inputs[0]
    out = tilewise.compile(graph, batch_size=x.shape[0], algo=algo)(x)
    assert out.shape == logits.shape
    assert relative_error(out, logits) <= MXNET_LIMIT


def test_old_layout_fixture_really_is_old():
    nodes = json.loads((DATA / "old_layout-symbol.json").read_text())["nodes"]
    assert all("attrs" not in n and "param" in n for n in nodes)
    assert all(len(ref) == 2 for n in nodes for ref in n["inputs"])


def test_symbol_path_epoch_and_plans_per_batch(tmp_path):
    io = np.load(DATA / "ops_softmax-io.npz")
    x, y = io["x"], io["y"]
    model = tilewise.load(str(DATA / "ops_softmax-symbol.json"), epoch=0, input_shape=(3, 8, 8))
    assert relative_error(model(x[:1]), y[:1]) <= 1e-4
    assert relative_error(model.run({"data": x})["inst"], y) <= 1e-4
    assert [batch for batch, _ in sorted(model.plans)] == [1, 3]
    with pytest.raises(tilewise.InputError, match=r"inputs are \['data'\], got \['image'\]"):
        model.run({"image": x})
    with pytest.raises(tilewise.TilewiseError, match="no parameters for epoch 7"):
        tilewise.load(str(DATA / "ops_softmax"), epoch=7)
    with pytest.raises(tilewise.TilewiseError, match="no such model"):
        tilewise.load(str(tmp_path / "nothing"))


def test_unknown_ops_are_listed_all_at_once(tmp_path):
    symbol = json.loads((DATA / "ops_merge-symbol.json").read_text())
    for node in symbol["nodes"]:
        if node["name"] in ("clip", "reshape"):
            node["op"] = "Custom" if node["name"] == "clip" else "_contrib_Quantize"
    (tmp_path / "m-symbol.json").write_text(json.dumps(symbol))
    shutil.copy(DATA / "ops_merge-0000.params", tmp_path / "m-0000.params")
    with pytest.raises(tilewise.UnsupportedOpError) as info:
        tilewise.load(str(tmp_path / "m"))
    message = str(info.value)
    assert "m-symbol.json: 2 unsupported op(s)" in message
    assert "Custom (node 'clip')" in message and "_contrib_Quantize (node 'reshape')" in message


def test_every_dtype_reads_exactly():
    arrays = read_ndarray_list(DATA / "dtypes.nd")
    expected = np.load(DATA / "dtypes-expected.npz")
    assert sorted(arrays) == sorted(k.replace("__", ":") for k in expected.files)
    for key in expected.files:
        got = arrays[key.replace("__", ":")]
        assert got.dtype == expected[key].dtype
        np.testing.assert_array_equal(got, expected[key])
    (only,) = read_ndarray_list(DATA / "list.nd")
    np.testing.assert_array_equal(only, np.eye(2, dtype=np.float32))


def test_sparse_arrays_are_refused():
    with pytest.raises(ParamsFileError, match=r"sparse.nd: offset 24: array 0 has csr storage"):
        read_ndarray_list(DATA / "sparse.nd")


@pytest.mark.parametrize(
    "mangle, match",
    [
        (lambda b: b[:100], r"offset \d+: truncated: array \d+ data"),
        (lambda b: b[:20], r"offset 16: truncated: array count"),
        (lambda b: b"", r"offset 0: truncated: file header"),
        (lambda b: b"\x89PNG" + b[4:], r"offset 0: not an MXNet NDArray file"),
        (lambda b: b + b"junk", r"4 unexpected bytes after the names"),
        (lambda b: b[:16] + (2**40).to_bytes(8, "little") + b[24:], "array count 1099511627776"),
    ],
)
def test_damaged_files_name_the_file_and_offset(mangle, match, tmp_path):
    path = tmp_path / "bad.params"
    path.write_bytes(mangle((DATA / "ops_fc3d-0000.params").read_bytes()))
    with pytest.raises(ParamsFileError, match=match) as info:
        read_ndarray_list(path)
    assert str(path) in str(info.value)


def test_wrong_input_size_is_a_graph_error():
    match = (r"node 'global_pool' \(Pooling\), input shapes \[\(1, 128, 1, 1\)\]: "
             r"kernel \(7, 7\) is larger than the padded input 1x1")  # fmt: skip
    with pytest.raises(tilewise.GraphError, match=match):
        tilewise.load(str(DATA / "inception_bn_w8"), input_shape=(3, 32, 32))


def _mangled_symbol(tmp_path, change) -> str:
    symbol = json.loads((DATA / "ops_merge-symbol.json").read_text())
    first_op = next(i for i, n in enumerate(symbol["nodes"]) if n["op"] != "null")
    change(symbol, first_op)
    (tmp_path / "m-symbol.json").write_text(json.dumps(symbol))
    shutil.copy(DATA / "ops_merge-0000.params", tmp_path / "m-0000.params")
    return str(tmp_path / "m")


def _set_input(index):
    return lambda s, op: s["nodes"][op]["inputs"].__setitem__(0, [index(s, op), 0, 0])


@pytest.mark.parametrize("change, message", [
    (_set_input(lambda s, op: len(s["nodes"]) - 1),
     r"node 'a' \(Convolution\) reads node 25 'prob', which does not come before it \(a cycle\)"),
    (_set_input(lambda s, op: op),
     r"node 'a' \(Convolution\) reads node 3 'a', which does not come before it"),
    (_set_input(lambda s, op: 999), r"node 'a' \(Convolution\): refers to node 999; the file "
                                    r"has nodes 0-25"),
    (lambda s, op: s.__setitem__("heads", [[-1, 0, 0]]), r"heads: refers to node -1"),
    (lambda s, op: s["nodes"][op]["inputs"].__setitem__(0, "data"),
     r"input reference 'data' is not \[node, index\]"),
    (lambda s, op: s["nodes"][op + 1].__setitem__("name", "a"),
     r"nodes 3 and 4 are both named 'a'"),
    (lambda s, op: s["nodes"][op]["attrs"].__setitem__("kernel", "(3, x)"),
     r"node 'a' \(Convolution\), input shapes \[\(1, 6, 8, 8\)\]: attribute 'kernel' = "
     r"'\(3, x\)' is not a valid tuple"),
])  # fmt: skip
def test_broken_symbol_files_name_the_file_and_node(tmp_path, change, message):
    prefix = _mangled_symbol(tmp_path, change)
    with pytest.raises(tilewise.TilewiseError, match=message) as info:
        tilewise.load(prefix, input_shape=(6, 8, 8))
    assert str(info.value).startswith(f"{prefix}-symbol.json: ")


@pytest.mark.parametrize("dims, message", [
    ((2**40, 2**40), r"array 0 declares shape \(1099511627776, 1099511627776\), over the "
                     r"17,179,869,184-byte limit"),
    ((0, 2**62), r"array 0 declares shape \(0, 4611686018427387904\), over the"),
    ((2**20, 2**10), r"truncated: array 0 data \(\(1048576, 1024\)"),
])  # fmt: skip
def test_a_lying_shape_in_params_is_refused_before_allocating(tmp_path, dims, message):
    """Dimensions the file cannot hold: refused from the header alone."""
    raw = bytearray((DATA / "ops_fc3d-0000.params").read_bytes())
    arrays = read_ndarray_list(DATA / "ops_fc3d-0000.params")
    first = next(iter(arrays.values()))
    # the first array's header: magic (4) + stype (4) + ndim (4) then int64 dims, after the
    # file header (16) and array count (8)
    offset = 16 + 8 + 4 + 4 + 4
    assert int.from_bytes(raw[offset - 4 : offset], "little") == first.ndim
    raw[offset : offset + 16] = b"".join(d.to_bytes(8, "little") for d in dims)
    path = tmp_path / "lying.params"
    path.write_bytes(bytes(raw))
    with pytest.raises(ParamsFileError, match=message):
        read_ndarray_list(path)


def test_fuzz_finding_node_without_inputs(tmp_path):
    """Found by fuzz/mxnet_symbol.py: a Dropout whose 'inputs' key was mangled away."""
    shutil.copy(Path(__file__).parent / "data" / "fuzz" / "mxnet_symbol-no-data-input.json",
                tmp_path / "m-symbol.json")  # fmt: skip
    shutil.copy(DATA / "ops_merge-0000.params", tmp_path / "m-0000.params")
    with pytest.raises(
        tilewise.GraphError,
        match=r"m-symbol.json: node 'drop' \(Dropout\), "
        r"input shapes \[none\]: has no data input",
    ):
        tilewise.load(str(tmp_path / "m"), input_shape=(6, 8, 8))


@pytest.mark.parametrize("text, message", [
    ("2", r"not an MXNet symbol file \(not a JSON object\)"),  # found by fuzz/mxnet_symbol.py
    ('{"nodes": [{"op": "null", "name": "data"}, {"op": "Activation", "name": "r", '
     '"attrs": 7, "inputs": [[0, 0, 0]]}], "heads": [[1, 0, 0]]}',
     r"node 'r': attributes are not an object"),
])  # fmt: skip
def test_symbol_files_of_the_wrong_shape(tmp_path, text, message):
    (tmp_path / "m-symbol.json").write_text(text)
    shutil.copy(DATA / "ops_merge-0000.params", tmp_path / "m-0000.params")
    with pytest.raises(tilewise.TilewiseError, match=rf"m-symbol.json: {message}"):
        tilewise.load(str(tmp_path / "m"), input_shape=(6, 8, 8))


def test_checkpoint_without_input_shape_follows_the_data():
    """No input_shape=: the default plan is 3x224x224, but a 64x64 input builds its own
    (it used to fail on the first call); a size the network cannot take names the node."""
    io = np.load(DATA / "resnet50_w8-io.npz")
    model = tilewise.load(str(DATA / "resnet50_w8"))
    assert model.input_shape == (3, 224, 224)
    assert relative_error(model(io["x"]), io["y"]) <= MXNET_LIMIT
    inception = tilewise.load(str(DATA / "inception_bn_w8"))
    with pytest.raises(tilewise.GraphError, match=r"inception_bn_w8-symbol.json: node "
                                                  r"'global_pool' \(Pooling\)"):  # fmt: skip
        inception(np.zeros((1, 3, 32, 32), np.float32))
