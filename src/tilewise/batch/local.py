"""The embedded engine: decoding in a small thread pool, a few batches ahead, overlapped
with inference in one compiled model on the calling thread (all of the model's threads).
Pillow decodes with the GIL released, and Numba's kernels hold it, so decoding runs in the
gaps and on cores the kernels leave idle; one decoder is the default on small machines."""

from __future__ import annotations

import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor

from tilewise.batch.inputs import Item
from tilewise.batch.parts import write_part
from tilewise.batch.rows import Classifier, Options, decode

PART_ROWS = 2048  # rows per Parquet part: what a crash can cost a resumed run


def run_local(
    items: list[Item], classifier: Classifier, options: Options, out: str, decoders: int, progress
) -> dict:
    batches = [items[i : i + options.batch_size] for i in range(0, len(items), options.batch_size)]
    pending: list[dict] = []
    seconds = {"decode_wait": 0.0, "compute": 0.0}
    errors = 0
    with ThreadPoolExecutor(decoders, thread_name_prefix="tilewise-decode") as pool:
        ahead: deque = deque()

        def submit(index: int) -> None:
            if index < len(batches):
                ahead.append([pool.submit(decode, item, options) for item in batches[index]])

        for index in range(min(3, len(batches))):
            submit(index)
        for index, batch in enumerate(batches):
            started = time.perf_counter()
            images = [future.result() for future in ahead.popleft()]
            submit(index + 3)
            computing = time.perf_counter()
            rows = classifier.rows(batch, images)
            seconds["decode_wait"] += computing - started
            seconds["compute"] += time.perf_counter() - computing
            errors += sum(row["error"] is not None for row in rows)
            pending += rows
            if len(pending) >= PART_ROWS:
                write_part(out, pending)
                pending = []
            progress(len(batch))
    if pending:
        write_part(out, pending)
    return {"rows": len(items), "errors": errors, **seconds}
