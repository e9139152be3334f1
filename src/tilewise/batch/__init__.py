"""Offline batch inference: a folder, a list of paths or a Parquet file of images in, one
Parquet row per input out; on this machine (default) or on a Ray cluster."""

from tilewise.batch.api import predict

__all__ = ["predict"]
