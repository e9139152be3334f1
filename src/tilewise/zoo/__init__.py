"""The benchmark networks, built as MXNet's benchmark_score builds them."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from tilewise.errors import TilewiseError
from tilewise.ir.graph import Graph
from tilewise.zoo.alexnet import alexnet
from tilewise.zoo.inception_bn import inception_bn
from tilewise.zoo.inception_v3 import inception_v3
from tilewise.zoo.resnet import UNITS, resnet
from tilewise.zoo.tiny import tiny
from tilewise.zoo.vgg import LAYERS, vgg

BUILDERS: dict[str, Callable[..., Graph]] = {
    "alexnet": alexnet,
    "inception-bn": inception_bn,
    "inception-v3": inception_v3,
    "tiny": tiny,
    **{f"vgg-{n}": partial(vgg, n) for n in LAYERS},
    **{f"resnet-{n}": partial(resnet, n) for n in UNITS},
}
BENCHMARK_NETWORKS = (
    "alexnet",
    "vgg-16",
    "inception-bn",
    "inception-v3",
    "resnet-50",
    "resnet-152",
)


def names() -> list[str]:
    return sorted(BUILDERS)


def get(name: str, num_classes: int = 1000, seed: int = 0) -> Graph:
    """Build a zoo network with MXNet benchmark initialisation (Xavier, magnitude 2)."""
    if name not in BUILDERS:
        raise TilewiseError(f"unknown network '{name}'; choose from: {', '.join(names())}")
    return BUILDERS[name](num_classes=num_classes, seed=seed)


__all__ = ["BENCHMARK_NETWORKS", "get", "names"]
