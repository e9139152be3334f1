"""MXNet benchmark_score's initialisation: Xavier(magnitude=2), zero bias, unit BatchNorm."""

from __future__ import annotations

import math

import numpy as np

XAVIER_MAGNITUDE = 2.0


def xavier_uniform(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """mx.init.Xavier defaults: uniform, factor 'avg' of fan-in and fan-out."""
    receptive = math.prod(shape[2:]) if len(shape) > 2 else 1
    fan_in, fan_out = shape[1] * receptive, shape[0] * receptive
    scale = math.sqrt(XAVIER_MAGNITUDE / ((fan_in + fan_out) / 2.0))
    return rng.uniform(-scale, scale, size=shape).astype(np.float32)


def initial_value(role: str, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    if role == "weight":
        return xavier_uniform(shape, rng)
    if role in ("gamma", "moving_var", "scale"):
        return np.ones(shape, np.float32)
    return np.zeros(shape, np.float32)
