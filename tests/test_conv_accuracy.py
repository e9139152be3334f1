"""Every convolution algorithm on every distinct conv layer of the six benchmark networks.

Batch 1, spatial size, kernel, stride and padding as in the network; channels capped at 64
so the suite stays fast (benchmarks/accuracy.py runs the full layers). Limits: NNPACK's
(1e-5 on AlexNet layers, 1e-4 elsewhere), and each algorithm's own `error_limit` on
zero-mean data.
"""

import dataclasses

import pytest
from accuracy import measure

from tilewise.conv.registry import ALGORITHMS
from tilewise.zoo import BENCHMARK_NETWORKS
from tilewise.zoo.layers import conv_shapes

CAP = 64


def _layers():
    seen, layers = set(), []
    for network in BENCHMARK_NETWORKS:
        for shape in conv_shapes(network):
            small = dataclasses.replace(
                shape, channels=min(shape.channels, CAP), filters=min(shape.filters, CAP)
            )
            key = dataclasses.astuple(small)[2:]
            if key not in seen:
                seen.add(key)
                layers.append(small)
    return layers


LAYERS = _layers()


def test_every_network_contributes_layers():
    assert {s.network for s in LAYERS} == set(BENCHMARK_NETWORKS) - {"resnet-152"}
    assert len(LAYERS) >= 40


@pytest.mark.parametrize("shape", LAYERS, ids=lambda s: s.label())
def test_algorithms_within_limits(shape):
    results = measure(shape)
    assert "im2col-gemm" in results  # the reference path always applies
    nnpack_limit = 1e-5 if shape.network == "alexnet" else 1e-4
    for name, (nnpack, zero_mean) in results.items():
        assert nnpack <= nnpack_limit, f"{name}: NNPACK measure {nnpack:.2e}"
        assert zero_mean <= ALGORITHMS[name].error_limit, (
            f"{name}: max err / max out {zero_mean:.2e}"
        )
