"""Each pass run with and without: fewer nodes, same outputs."""

import numpy as np
import pytest
from graphs import uniform
from reference import execute, relative_error

import tilewise
from tilewise import Graph, Node
from tilewise.passes.batchnorm_to_scale_shift import batchnorm_to_scale_shift
from tilewise.passes.drop_identity import drop_identity
from tilewise.passes.fold_batchnorm import fold_batchnorm
from tilewise.passes.fuse_activation import fuse_activation
from tilewise.passes.pipeline import DEFAULT_PASSES, run_passes


def _bn_params(rng, prefix, c):
    return {
        f"{prefix}_gamma": uniform(rng, (c,), 0.5, 1.5),
        f"{prefix}_beta": uniform(rng, (c,)),
        f"{prefix}_mean": uniform(rng, (c,)),
        f"{prefix}_var": uniform(rng, (c,), 0.2, 2.0),
    }


def preact_block(rng):
    """copy, conv, BN, relu, dropout, BN, relu, conv, + shortcut: like MXNet's ResNets."""
    c = 4
    consts = {"w1": uniform(rng, (c, c, 3, 3)), "b1": uniform(rng, (c,)),
              "w2": uniform(rng, (c, c, 3, 3))}  # fmt: skip
    consts.update(_bn_params(rng, "bn1", c))
    consts.update(_bn_params(rng, "bn2", c))
    bn = lambda p: [f"{p}_gamma", f"{p}_beta", f"{p}_mean", f"{p}_var"]  # noqa: E731
    nodes = [
        Node("id", "_copy", ["data"]),
        Node(
            "conv1",
            "Convolution",
            ["id", "w1", "b1"],
            {"kernel": (3, 3), "pad": (1, 1), "num_filter": c},
        ),  # fmt: skip
        Node("bn1", "BatchNorm", ["conv1", *bn("bn1")], {"fix_gamma": False, "eps": 1e-5}),
        Node("relu1", "Activation", ["bn1"], {"act_type": "relu"}),
        Node("drop", "Dropout", ["relu1"]),
        Node("bn2", "BatchNorm", ["drop", *bn("bn2")], {"fix_gamma": False, "eps": 1e-5}),
        Node("relu2", "Activation", ["bn2"], {"act_type": "relu"}),
        Node(
            "conv2",
            "Convolution",
            ["relu2", "w2"],
            {"kernel": (3, 3), "pad": (1, 1), "num_filter": c, "no_bias": True},
        ),  # fmt: skip
        Node("sum", "elemwise_add", ["conv2", "relu1"]),
        Node("relu3", "Activation", ["sum"], {"act_type": "sigmoid"}),
    ]
    return Graph("block", "data", (c, 6, 6), nodes, consts, "relu3")


@pytest.mark.parametrize(
    "rewrite, removed_ops",
    [
        (drop_identity, {"_copy": 1, "Dropout": 1}),
        (fold_batchnorm, {"BatchNorm": 1}),
        (fuse_activation, {"Activation": 1}),  # sigmoid into the add; relu1 has two readers
    ],
)
def test_pass_removes_nodes_and_keeps_outputs(rewrite, removed_ops, rng):
    g = preact_block(rng)
    x = uniform(rng, (2, 4, 6, 6))
    rewritten = run_passes(g, [rewrite], batch_size=2)
    before, after = g.op_counts(), rewritten.op_counts()
    for op, count in removed_ops.items():
        assert before.get(op, 0) - after.get(op, 0) == count
    assert len(rewritten.nodes) < len(g.nodes)
    with_pass = tilewise.compile(g, batch_size=2, passes=[rewrite])(x)
    without = tilewise.compile(g, batch_size=2, passes=[])(x)
    expected = execute(g, x)
    assert relative_error(without, expected) <= 1e-5
    assert relative_error(with_pass, expected) <= 1e-5


def test_batchnorm_to_scale_shift_replaces_every_batchnorm(rng):
    g = preact_block(rng)
    rewritten = run_passes(g, [batchnorm_to_scale_shift], batch_size=1)
    assert "BatchNorm" not in rewritten.op_counts()
    assert rewritten.op_counts()["ScaleShift"] == 2
    x = uniform(rng, (1, 4, 6, 6))
    out = tilewise.compile(g, passes=[batchnorm_to_scale_shift])(x)
    assert relative_error(out, execute(g, x)) <= 1e-5


def test_full_pipeline_on_preactivation_block(rng):
    g = preact_block(rng)
    rewritten = run_passes(g, DEFAULT_PASSES)
    # bn1 folded and relu1 fused into conv1, bn2+relu2 one ScaleShift step, sigmoid into the add
    assert rewritten.op_counts() == {"Convolution": 2, "ScaleShift": 1, "elemwise_add": 1}
    assert [(n.op, n.attrs.get("act")) for n in rewritten.nodes] == [
        ("Convolution", "relu"),
        ("ScaleShift", "relu"),
        ("Convolution", None),
        ("elemwise_add", "sigmoid"),
    ]
    x = uniform(rng, (3, 4, 6, 6))
    out = tilewise.compile(g, batch_size=3)(x)
    assert relative_error(out, execute(g, x)) <= 1e-5


def test_passes_leave_the_callers_graph_alone(rng):
    g = preact_block(rng)
    before = [(n.name, n.op, list(n.inputs), dict(n.attrs)) for n in g.nodes]
    tilewise.compile(g)
    assert [(n.name, n.op, list(n.inputs), dict(n.attrs)) for n in g.nodes] == before


def test_batchnorm_is_not_folded_into_conv_with_two_readers(rng):
    g = preact_block(rng)
    g.nodes.append(Node("other", "elemwise_add", ["conv1", "bn1"]))
    g.output_name = "other"
    rewritten = run_passes(g, [fold_batchnorm])
    assert rewritten.op_counts()["BatchNorm"] == 2
    x = uniform(rng, (1, 4, 6, 6))
    np.testing.assert_allclose(tilewise.compile(g)(x), execute(g, x), rtol=1e-4, atol=1e-5)
