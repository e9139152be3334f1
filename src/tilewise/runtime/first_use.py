"""The first call of a fresh install compiles the Numba kernels (cached on disk afterwards):
say so, and which steps took the time, instead of a silent pause."""

from __future__ import annotations

import importlib
import logging
import os
import pkgutil

from numba.core.registry import CPUDispatcher

import tilewise.kernels

log = logging.getLogger("tilewise")
SLOW_STEP_SECONDS = 0.5  # a step this slow on the first call was compiling


def uncached_kernels() -> list[str]:
    """Cached kernels (`cache=True`) whose cache index is not on disk yet."""
    missing = []
    for info in pkgutil.iter_modules(tilewise.kernels.__path__):
        module = importlib.import_module(f"tilewise.kernels.{info.name}")
        for name, value in vars(module).items():
            cache = getattr(value, "_cache", None) if isinstance(value, CPUDispatcher) else None
            index = getattr(getattr(cache, "_cache_file", None), "_index_path", None)
            if index and not os.path.exists(index):
                missing.append(f"{info.name}.{name}")
    return missing
