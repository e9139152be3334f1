"""`tilewise serve`: the Open Inference Protocol (KServe v2) over HTTP, with dynamic batching.

Needs the `serve` extra (Starlette, uvicorn, prometheus-client); importing this package
does not, so the rest of tilewise runs without it."""

from __future__ import annotations

__all__ = ["ServeConfig", "ServedModel", "create_app", "resolve_model"]


def __getattr__(name: str):
    if name == "create_app":
        from tilewise.serve.app import create_app

        return create_app
    if name == "ServeConfig":
        from tilewise.serve.config import ServeConfig

        return ServeConfig
    if name in ("ServedModel", "resolve_model"):
        from tilewise.serve import models

        return getattr(models, name)
    raise AttributeError(f"module 'tilewise.serve' has no attribute '{name}'")
