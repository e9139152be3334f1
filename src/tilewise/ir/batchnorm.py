"""Inference BatchNorm as a per-channel scale and shift; shared by passes and operators."""

from __future__ import annotations

import numpy as np


def batchnorm_scale_shift(attrs: dict, gamma, beta, mean, var) -> tuple[np.ndarray, np.ndarray]:
    """y = x * scale + shift (gamma is 1 under fix_gamma); computed in float64."""
    gamma = np.ones_like(gamma) if attrs["fix_gamma"] else gamma
    scale = gamma.astype(np.float64) / np.sqrt(var.astype(np.float64) + attrs["eps"])
    shift = beta.astype(np.float64) - mean.astype(np.float64) * scale
    return scale.astype(np.float32), shift.astype(np.float32)
