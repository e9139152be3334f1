"""Images in, Parquet rows out: the part both engines share (decode, batch, classify)."""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np

from tilewise.batch.inputs import Item
from tilewise.errors import TilewiseError
from tilewise.imagenet import CROP, IMAGENET_MEAN, IMAGENET_STD, RESIZE

COLUMNS = ("path", "top_indices", "top_names", "top_probabilities", "model", "error")


@dataclass(frozen=True)
class Options:
    top: int = 5
    batch_size: int = 16
    resize: int = RESIZE
    crop: int = CROP
    mean: tuple[float, ...] = IMAGENET_MEAN
    std: tuple[float, ...] = IMAGENET_STD
    bgr: bool = False


def schema():
    import pyarrow as pa

    return pa.schema(
        [
            ("path", pa.string()),
            ("top_indices", pa.list_(pa.int64())),
            ("top_names", pa.list_(pa.string())),
            ("top_probabilities", pa.list_(pa.float64())),
            ("model", pa.string()),
            ("error", pa.string()),
        ]
    )


def decode(item: Item, options: Options) -> np.ndarray | str:
    """(3, crop, crop) float32 as `tilewise predict` prepares it, or the error's text."""
    from tilewise.imagenet import preprocess

    source = item.key if item.data is None else io.BytesIO(item.data)
    try:
        return preprocess(source, options.resize, options.crop, options.mean, options.std,
                          options.bgr)  # fmt: skip
    except TilewiseError as error:  # drop the "<path>: " prefix: the row names the path
        return str(error).split(": ", 1)[1] if ": " in str(error) else str(error)


class Classifier:
    """One loaded model; plans compiled for powers of two up to the batch size, so a short
    last batch never compiles a new plan of its own size."""

    def __init__(
        self,
        model_spec: str,
        options: Options,
        threads: int | None,
        input_shape: tuple[int, ...] | None = None,
    ) -> None:
        from tilewise.frontend.load import load_named
        from tilewise.imagenet import class_names
        from tilewise.runtime.batching import plan_sizes

        # as `tilewise predict`: the crop is the input unless a shape is given
        shape = input_shape or (3, options.crop, options.crop)
        self.name, self.model = load_named(model_spec, shape, threads)
        self.options = options
        self.sizes = plan_sizes(options.batch_size)
        self.model.max_plans = max(self.model.max_plans, len(self.sizes))  # none evicted
        outputs = self.model.compile(1).output_shape[1:]
        self.names = class_names() if outputs == (1000,) else []

    def rows(self, items: list[Item], images: list[np.ndarray | str]) -> list[dict]:
        from tilewise.imagenet import probabilities, top_k
        from tilewise.runtime.batching import split_batch

        good = [i for i, image in enumerate(images) if not isinstance(image, str)]
        scores = []
        start = 0
        for size in split_batch(len(good), self.sizes):
            batch = np.stack([images[i] for i in good[start : start + size]])
            scores.append(self.model(batch))
            start += size
        ranked = {}
        if good:
            for i, row in zip(good, probabilities(np.concatenate(scores)), strict=True):
                ranked[i] = top_k(row, self.options.top, self.names)
        out = []
        for i, item in enumerate(items):
            top = ranked.get(i, [])
            out.append(
                {
                    "path": item.key,
                    "top_indices": [t[0] for t in top],
                    "top_names": [t[1] for t in top],
                    "top_probabilities": [t[2] for t in top],
                    "model": self.name,
                    "error": images[i] if isinstance(images[i], str) else None,
                }
            )
        return out
