"""Paths the whole-network tests reach only in the slow tier: transform-domain algorithms over
several chunks of images with a short last chunk, and every fused activation after them."""

import numpy as np
import pytest
from graphs import uniform
from reference import activation, conv2d, relative_error

from tilewise.conv.registry import ALGORITHMS
from tilewise.ir.attrs import resolve
from tilewise.ir.ops import CONVOLUTION

ACTS = ["tanh", "sigmoid", "softrelu", "hard_swish", "relu6", "relu"]
# map size per algorithm so that 11 images make several chunks with a short last one
SIZES = {"winograd-f2": 56, "winograd-f4": 56, "winograd-f6": 112, "fft8": 56, "fft16": 224,
         "im2col-gemm": 28, "nchwc-direct": 28}  # fmt: skip


@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("name", SIZES)
def test_several_chunks_and_fused_activation(name, act, rng):
    batch, channels, filters, size = 11, 8, 12, SIZES[name]
    attrs = resolve(CONVOLUTION.attrs, {"kernel": (3, 3), "pad": (1, 1), "num_filter": filters,
                                        "act": act})  # fmt: skip
    shape = (batch, channels, size, size)
    # zero-mean data and Xavier-scaled weights: the protocol the error limits were measured on
    x, b = uniform(rng, shape), uniform(rng, (filters,), -0.1, 0.1)
    w = uniform(rng, (filters, channels, 3, 3)) * np.float32(np.sqrt(3 / (channels * 9)))
    out_shape = (batch, filters, size, size)
    conv = ALGORITHMS[name].create(attrs, w, b, shape, out_shape)
    if name != "nchwc-direct":  # it numbers pixels over the whole batch: no chunks
        assert 1 < conv.chunk < batch and batch % conv.chunk  # several chunks, a short last one
    out = np.empty(out_shape, np.float32)
    conv.run(x, out, np.empty(max(conv.scratch, 1), np.float32))
    expected = activation(conv2d(x.astype(np.float64), w.astype(np.float64),
                                 b.astype(np.float64), (1, 1), (1, 1)), act)  # fmt: skip
    assert relative_error(out, expected) <= ALGORITHMS[name].error_limit
