"""A model as the server sees it: a name, a loaded model, plans compiled per batch size, and
its v2 metadata."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np

from tilewise.errors import TilewiseError
from tilewise.runtime.loaded import LoadedModel

log = logging.getLogger("tilewise.serve")


def resolve_model(
    spec: str,
    threads: int | None = None,
    algo: str = "auto",
    input_shape: tuple[int, ...] | None = None,
) -> ServedModel:
    """'NAME=MODEL' or MODEL: an ONNX file, an MXNet checkpoint prefix or a zoo network."""
    from tilewise.frontend.load import load_named

    name, _, source = spec.rpartition("=")
    default, model = load_named(source, input_shape, threads, algo)
    if model.input_shape is None:
        raise TilewiseError(f"{source}: its input's shape comes from the data; batches need "
                            "one shape: give --input-shape, e.g. 3,224,224")  # fmt: skip
    return ServedModel(name or default, model)


@dataclass
class ServedModel:
    name: str
    model: LoadedModel
    ready: bool = False
    batch_sizes: list[int] = field(default_factory=list)

    @property
    def input_name(self) -> str:
        return self.model.input_name

    @property
    def output_name(self) -> str:
        return self.model.output_name

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.model.input_shape)

    @property
    def output_shape(self) -> tuple[int, ...]:
        return tuple(
            self.model.compile(self.batch_sizes[0] if self.batch_sizes else 1).output_shape[1:]
        )

    @property
    def is_image_classifier(self) -> bool:
        return (
            len(self.input_shape) == 3 and self.input_shape[0] == 3 and len(self.output_shape) == 1
        )

    def warm(self, batch_sizes: list[int]) -> None:
        """Compile and run each plan once, so no request pays for compilation."""
        self.model.max_plans = max(self.model.max_plans, len(batch_sizes))  # none evicted
        for size in batch_sizes:
            started = time.perf_counter()
            plan = self.model.compile(size)
            plan(np.zeros((size, *self.input_shape), np.float32))
            log.info("%s: batch %d ready in %.1f s", self.name, size, time.perf_counter() - started)
        self.batch_sizes = sorted(batch_sizes)
        self.ready = True

    def run(self, x: np.ndarray) -> np.ndarray:
        """One compiled batch size only (the batcher splits batches to fit)."""
        if x.shape[0] not in self.batch_sizes:
            raise TilewiseError(f"{self.name}: no plan for batch {x.shape[0]}")
        return self.model.compile(x.shape[0])(x)

    def metadata(self) -> dict:
        return {
            "name": self.name,
            "versions": ["1"],
            "platform": "tilewise",
            "inputs": [
                {"name": self.input_name, "datatype": "FP32", "shape": [-1, *self.input_shape]}
            ],
            "outputs": [
                {"name": self.output_name, "datatype": "FP32", "shape": [-1, *self.output_shape]}
            ],
        }
