"""Every operator against the float64 reference in tests/reference.py."""

import numpy as np
import pytest
from graphs import single_op, uniform
from reference import execute, relative_error

import tilewise

TOL = 1e-5

CONV_CASES = [
    # (input NCHW, filters, kernel, stride, pad, dilate, groups, bias)
    ((1, 3, 11, 13), 5, (3, 3), (1, 1), (1, 1), (1, 1), 1, True),
    ((7, 5, 9, 9), 6, (3, 3), (2, 2), (2, 2), (1, 1), 1, True),
    ((2, 4, 12, 10), 6, (3, 3), (1, 1), (2, 2), (2, 2), 1, False),
    ((1, 6, 10, 10), 9, (3, 3), (1, 1), (1, 1), (1, 1), 3, True),
    ((3, 8, 7, 7), 8, (3, 3), (2, 1), (1, 0), (1, 1), 8, True),  # depthwise, uneven stride
    ((1, 7, 9, 8), 11, (1, 1), (1, 1), (0, 0), (1, 1), 1, True),  # direct 1x1
    ((7, 7, 5, 5), 4, (1, 1), (1, 1), (0, 0), (1, 1), 1, False),  # direct 1x1, chunked batch
    ((2, 6, 9, 9), 4, (1, 1), (2, 2), (0, 0), (1, 1), 2, True),  # strided 1x1, groups
    ((1, 3, 23, 23), 4, (11, 11), (4, 4), (2, 2), (1, 1), 1, True),
    ((2, 5, 9, 12), 3, (1, 7), (1, 1), (0, 3), (1, 1), 1, False),
    ((2, 5, 12, 9), 3, (7, 1), (1, 1), (3, 0), (1, 1), 1, False),
    ((1, 3, 60, 60), 4, (3, 3), (1, 1), (1, 1), (1, 1), 1, True),  # plane > one GEMM chunk
]


@pytest.mark.parametrize("case", CONV_CASES, ids=lambda c: f"{c[0]}-k{c[2]}-s{c[3]}-g{c[6]}")
@pytest.mark.parametrize("algo", ["gemm", "im2col-gemm"])
def test_convolution(case, algo, rng):
    shape, filters, kernel, stride, pad, dilate, groups, bias = case
    params = {"weight": uniform(rng, (filters, shape[1] // groups, *kernel))}
    if bias:
        params["bias"] = uniform(rng, (filters,))
    g = single_op(
        "Convolution", shape, rng, params, kernel=kernel, stride=stride, pad=pad,
        dilate=dilate, num_group=groups, num_filter=filters, no_bias=not bias,
    )  # fmt: skip
    x = uniform(rng, shape)
    model = tilewise.compile(g, batch_size=shape[0], algo=algo)
    expected = execute(g, x)
    assert model(x).shape == expected.shape
    assert relative_error(model(x), expected) <= TOL


def test_direct_1x1_is_selected_for_pointwise(rng):
    g = single_op("Convolution", (1, 4, 6, 6), rng, {"weight": uniform(rng, (3, 4, 1, 1))},
                  kernel=(1, 1), num_filter=3, no_bias=True)  # fmt: skip
    (step,) = tilewise.compile(g, algo="gemm").layers()  # the plain path
    assert step["algorithm"] == "direct-1x1"
    assert "no im2col" in step["reason"]
    convs = [s for s in tilewise.compile(g).layers() if s["op"] == "Convolution"]
    assert [s["algorithm"] for s in convs] in (["direct-1x1"], ["nchwc-direct"])


@pytest.mark.parametrize("batch", [1, 4, 7])
@pytest.mark.parametrize("flatten", [True, False])
@pytest.mark.parametrize("bias", [True, False])
def test_fully_connected(batch, flatten, bias, rng):
    shape = (batch, 3, 4, 5)
    features = 60 if flatten else 5
    params = {"weight": uniform(rng, (9, features))}  # 9 rows: two groups of 4 and a tail
    if bias:
        params["bias"] = uniform(rng, (9,))
    g = single_op("FullyConnected", shape, rng, params, num_hidden=9, no_bias=not bias,
                  flatten=flatten)  # fmt: skip
    x = uniform(rng, shape)
    model = tilewise.compile(g, batch_size=batch)
    out = model(x)
    expected = execute(g, x)
    assert out.shape == expected.shape == ((batch, 9) if flatten else (batch, 3, 4, 9))
    # a split matrix-vector product; above 2 rows the blocked 1x1 kernel; BLAS for rows
    # that are not the batch
    algorithm = ("gemv" if batch <= 2 else "nchwc-direct") if flatten else "gemm"
    assert [s["algorithm"] for s in model.layers()] == [algorithm]
    assert relative_error(out, expected) <= TOL


@pytest.mark.parametrize("batch", [3, 16])
@pytest.mark.parametrize("features", [64, 72, 30])  # whole blocks of 16 / of 8 only / neither
def test_fully_connected_blocked(batch, features, rng):
    """Above 2 rows: rows as one-pixel images, read in place when they fill whole blocks."""
    params = {"weight": uniform(rng, (1001, features)), "bias": uniform(rng, (1001,))}
    g = single_op("FullyConnected", (batch, features), rng, params, num_hidden=1001)
    x = uniform(rng, (batch, features))
    model = tilewise.compile(g, batch_size=batch)
    assert [s["algorithm"] for s in model.layers()] == ["nchwc-direct"]
    reference = x.astype(np.float64) @ params["weight"].T.astype(np.float64) + params["bias"]
    assert relative_error(model(x), reference) <= TOL


POOL_CASES = [
    # (input, attrs, expected output HW)
    ((1, 3, 9, 9), dict(pool_type="max", kernel=(3, 3), stride=(2, 2)), (4, 4)),
    (
        (7, 2, 10, 10),
        dict(pool_type="max", kernel=(3, 3), stride=(2, 2), pooling_convention="full"),
        (5, 5),
    ),  # fmt: skip
    ((1, 3, 8, 8), dict(pool_type="avg", kernel=(3, 3), stride=(1, 1), pad=(1, 1)), (8, 8)),
    (
        (2, 3, 8, 8),
        dict(pool_type="avg", kernel=(3, 3), stride=(1, 1), pad=(1, 1), count_include_pad=False),
        (8, 8),
    ),  # fmt: skip
    (
        (1, 2, 10, 10),
        dict(pool_type="avg", kernel=(3, 3), stride=(2, 2), pad=(1, 1), pooling_convention="full"),
        (6, 6),
    ),  # fmt: skip
    ((1, 2, 10, 11), dict(pool_type="max", kernel=(3, 3), stride=(2, 2), pad=(2, 2)), (6, 7)),
    ((3, 5, 7, 6), dict(pool_type="avg", global_pool=True, kernel=(3, 3)), (1, 1)),
    ((1, 5, 7, 6), dict(pool_type="max", global_pool=True), (1, 1)),
    ((1, 4, 7, 7), dict(pool_type="avg", kernel=(7, 7), stride=(1, 1)), (1, 1)),
]


@pytest.mark.parametrize("case", POOL_CASES, ids=lambda c: f"{c[1]}")
def test_pooling(case, rng):
    shape, attrs, hw = case
    g = single_op("Pooling", shape, rng, **attrs)
    x = uniform(rng, shape)
    out = tilewise.compile(g, batch_size=shape[0])(x)
    assert out.shape == (shape[0], shape[1], *hw)
    assert relative_error(out, execute(g, x)) <= TOL


@pytest.mark.parametrize("act", ["relu", "sigmoid", "tanh", "softrelu", "relu6", "hard_swish"])
def test_activation(act, rng):
    g = single_op("Activation", (2, 3, 5, 5), rng, act_type=act)
    x = uniform(rng, (2, 3, 5, 5), -6, 6)
    assert relative_error(tilewise.compile(g, batch_size=2)(x), execute(g, x)) <= TOL


@pytest.mark.parametrize("fix_gamma", [True, False])
def test_batchnorm(fix_gamma, rng):
    c = 5
    params = {"gamma": uniform(rng, (c,)), "beta": uniform(rng, (c,)),
              "mean": uniform(rng, (c,)), "var": uniform(rng, (c,), 0.1, 2)}  # fmt: skip
    g = single_op("BatchNorm", (3, c, 4, 4), rng, params, eps=0.01, fix_gamma=fix_gamma)
    x = uniform(rng, (3, c, 4, 4))
    assert relative_error(tilewise.compile(g, batch_size=3)(x), execute(g, x)) <= TOL


def test_batchnorm_fix_gamma_ignores_stored_gamma(rng):
    params = {"gamma": np.full(2, 5.0), "beta": np.zeros(2), "mean": np.zeros(2),
              "var": np.ones(2)}  # fmt: skip
    g = single_op("BatchNorm", (1, 2, 1, 1), rng, params, eps=0.0, fix_gamma=True)
    out = tilewise.compile(g)(np.ones((1, 2, 1, 1), np.float32))
    np.testing.assert_allclose(out.ravel(), [1.0, 1.0])


@pytest.mark.parametrize("nsize", [1, 3, 5])
def test_lrn(nsize, rng):
    g = single_op("LRN", (2, 7, 5, 5), rng, nsize=nsize, alpha=0.1, beta=0.75, knorm=2)
    x = uniform(rng, (2, 7, 5, 5), -3, 3)
    assert relative_error(tilewise.compile(g, batch_size=2)(x), execute(g, x)) <= TOL


def test_concat_add_flatten_softmax(rng):
    from tilewise import Graph, Node

    nodes = [
        Node("a", "Activation", ["data"], {"act_type": "tanh"}),
        Node("b", "Activation", ["data"], {"act_type": "sigmoid"}),
        Node("cat", "Concat", ["a", "b", "data"], {"num_args": 3}),
        Node("sum", "elemwise_add", ["cat", "cat"]),
        Node("flat", "Flatten", ["sum"]),
        Node("drop", "Dropout", ["flat"], {"p": 0.5}),
        Node("prob", "SoftmaxOutput", ["drop"]),
    ]
    g = Graph("mix", "data", (3, 2, 3), nodes, {}, "prob")
    x = uniform(rng, (7, 3, 2, 3), -2, 2)
    for passes in (None, []):
        out = tilewise.compile(g, batch_size=7, passes=passes)(x)
        assert out.shape == (7, 54)
        assert relative_error(out, execute(g, x)) <= TOL
        np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-5)
