"""Activations and BatchNorms that exporters write out in elementary ops fold back into
the convolution: hard-swish (Paddle), SiLU (YOLO), GELU (tests/test_onnx_select.py) and a
per-channel Mul/Add. Each model agrees with onnxruntime and runs as fewer steps."""

import numpy as np
import pytest
from graphs import uniform

import tilewise
from tilewise.passes.pipeline import run_passes

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")
from onnx import helper  # noqa: E402
from onnx_files import agree, save_model  # noqa: E402

n = helper.make_node
X = (2, 3, 9, 9)
CONV = n("Conv", ["x", "w", "b"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1])
INITS = {"w": lambda r: r.uniform(-1, 1, (8, 3, 3, 3)), "b": lambda r: r.uniform(-1, 1, 8),
         "three": np.array(3.0), "six": np.array(6.0), "zero": np.array(0.0),
         "sixth": np.array(1 / 6), "scale": lambda r: r.uniform(0.5, 2, (8, 1, 1)),
         "shift": lambda r: r.uniform(-1, 1, (1, 8, 1, 1)),
         "plane": lambda r: r.uniform(-1, 1, (9, 9))}  # fmt: skip


def _steps(tmp_path, nodes, limit=1e-5):
    path = save_model(tmp_path, nodes, INITS, X[1:], None)
    agree(path, uniform(np.random.default_rng(0), X, -2, 2), limit=limit)
    graph = run_passes(tilewise.load(path).source.build(2, X[1:]), batch_size=2)
    return [(node.op, node.attrs.get("act")) for node in graph.nodes]


@pytest.mark.parametrize("order", ["times_then_sixth", "sixth_then_times"])
def test_hard_swish_written_out_fuses_into_the_convolution(tmp_path, order):
    gate = [n("Add", ["c", "three"], ["a"]), n("Clip", ["a", "zero", "six"], ["g"])]
    if order == "times_then_sixth":
        tail = [n("Mul", ["c", "g"], ["m"]), n("Div", ["m", "six"], ["y"])]
    else:
        tail = [n("Mul", ["g", "sixth"], ["s"]), n("Mul", ["s", "c"], ["y"])]
    assert _steps(tmp_path, [CONV, *gate, *tail]) == [("Convolution", "hard_swish")]


def test_silu_fuses_into_the_convolution(tmp_path):
    nodes = [CONV, n("Sigmoid", ["c"], ["s"]), n("Mul", ["c", "s"], ["y"])]
    assert _steps(tmp_path, nodes) == [("Convolution", "silu")]


def test_batchnorm_written_as_mul_and_add_folds_then_relu_fuses(tmp_path):
    nodes = [CONV, n("Mul", ["c", "scale"], ["m"]), n("Add", ["shift", "m"], ["a"]),
             n("Sub", ["a", "three"], ["s"]), n("Div", ["s", "six"], ["d"]),
             n("Relu", ["d"], ["y"])]  # fmt: skip
    assert _steps(tmp_path, nodes) == [("Convolution", "relu")]


def test_what_is_not_per_channel_or_is_read_twice_stays(tmp_path):
    """A (9, 9) constant varies over the plane; a value read twice cannot change."""
    nodes = [CONV, n("Mul", ["c", "plane"], ["m"]), n("Sigmoid", ["m"], ["s"]),
             n("Mul", ["s", "three"], ["y"])]  # fmt: skip
    ops = [op for op, _ in _steps(tmp_path, nodes)]
    assert ops == ["Convolution", "broadcast_mul", "Activation", "broadcast_mul"]
    nodes = [CONV, n("Mul", ["c", "scale"], ["m"]), n("Add", ["m", "c"], ["y"])]
    ops = [op for op, _ in _steps(tmp_path, nodes)]
    assert ops == ["Convolution", "broadcast_mul", "elemwise_add"]
