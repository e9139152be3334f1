"""`tilewise serve`: the Open Inference Protocol (KServe v2) over HTTP, with dynamic batching.

Needs the `serve` extra (Starlette, uvicorn, prometheus-client)."""

from tilewise.serve.app import create_app
from tilewise.serve.config import ServeConfig
from tilewise.serve.models import ServedModel, resolve_model

__all__ = ["ServeConfig", "ServedModel", "create_app", "resolve_model"]
