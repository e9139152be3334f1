"""tilewise.batch.predict: the one entry point both engines share."""

from __future__ import annotations

import time

from tilewise.batch.inputs import list_inputs
from tilewise.batch.parts import prepare
from tilewise.batch.rows import Classifier, Options
from tilewise.errors import TilewiseError

ENGINES = ("local", "ray")


def predict(
    model: str,
    inputs: str,
    out: str,
    *,
    engine: str = "local",
    options: Options | None = None,
    threads: int | None = None,
    decoders: int = 1,
    actors: int | None = None,
    ray_address: str | None = None,
    input_shape: tuple[int, ...] | None = None,
    resume: bool = False,
    overwrite: bool = False,
    progress=None,
) -> dict:
    """Classify every image of `inputs` (folder, text file of paths, Parquet) with `model`
    (ONNX file, MXNet checkpoint, zoo name) into the Parquet folder `out`, one row per input;
    returns counts and timings. `threads`: the local model's, or each Ray actor's.
    `progress`: a tqdm-like bar (reset to the number of inputs to do, then updated)."""
    if engine not in ENGINES:
        raise TilewiseError(f"unknown engine '{engine}'; choose from {', '.join(ENGINES)}")
    options = options or Options()
    items = list_inputs(inputs)  # before OUT is touched: bad inputs leave nothing behind
    done = prepare(out, resume, overwrite)
    todo = [item for item in items if item.key not in done]
    keys = [item.key for item in todo]
    if len(set(keys)) != len(keys):
        raise TilewiseError(f"{inputs}: lists some inputs twice; each must appear once")
    if progress is not None:
        progress.reset(total=len(todo))
    summary = {"inputs": len(items), "skipped": len(items) - len(todo), "engine": engine}
    started = time.perf_counter()
    if todo and engine == "local":
        from tilewise.batch.local import run_local

        classifier = Classifier(model, options, threads, input_shape)
        update = progress.update if progress is not None else _quiet
        summary |= run_local(todo, classifier, options, out, decoders, update)
    elif todo:
        from tilewise.batch.ray_engine import run_ray

        summary |= run_ray(
            todo, model, options, out, actors, threads or 1, ray_address, input_shape
        )
    seconds = time.perf_counter() - started
    summary |= {"seconds": seconds, "images_per_sec": len(todo) / seconds if todo else 0.0}
    return summary


def _quiet(count: int) -> None:
    pass
