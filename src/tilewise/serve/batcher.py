"""Dynamic batching for one model: requests wait in a bounded queue; a batch closes at
max_batch images or when its oldest request has waited max_delay_ms, whichever is first.
Requests with several images are split across batches when they do not fit, and every
result goes back to its own request. Batches run on one shared thread, so the server
computes one batch at a time with all the cores and never oversubscribes them."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from concurrent.futures import Executor
from dataclasses import dataclass, field

import numpy as np

from tilewise.runtime.batching import split_batch
from tilewise.serve.config import ServeConfig
from tilewise.serve.metrics import Metrics
from tilewise.serve.models import ServedModel


class Overloaded(Exception):
    """The queue is full, or the request ran out of time (HTTP 503)."""


@dataclass
class Pending:
    images: np.ndarray
    future: asyncio.Future
    arrived: float = field(default_factory=time.perf_counter)
    taken: int = 0  # images already handed to a batch
    parts: dict[int, np.ndarray] = field(default_factory=dict)  # offset -> outputs
    queue_seconds: float = 0.0  # until its first image started computing
    compute_seconds: float = 0.0  # of the batches it was in
    largest_batch: int = 0

    @property
    def left(self) -> int:
        return len(self.images) - self.taken


@dataclass
class Timing:
    queue_seconds: float
    compute_seconds: float
    batch: int


class Batcher:
    def __init__(
        self, served: ServedModel, config: ServeConfig, executor: Executor, metrics: Metrics
    ) -> None:
        self.served = served
        self.config = config
        self.executor = executor
        self.metrics = metrics
        self.pending: deque[Pending] = deque()
        self.wakeup = asyncio.Event()
        self.task: asyncio.Task | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self._loop(), name=f"batcher-{self.served.name}")

    async def stop(self) -> None:
        if self.task:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)

    async def infer(self, images: np.ndarray) -> tuple[np.ndarray, Timing]:
        """Outputs for `images` (N, ...) in order, once every image has been computed."""
        if len(self.pending) >= self.config.queue:
            raise Overloaded(
                f"model '{self.served.name}': queue full "
                f"({self.config.queue} requests waiting); try again later"
            )
        request = Pending(images, asyncio.get_running_loop().create_future())
        self.pending.append(request)
        self._depth_changed()
        self.wakeup.set()
        try:
            outputs = await asyncio.wait_for(asyncio.shield(request.future), self.config.timeout_s)
        except TimeoutError:
            request.future.cancel()  # its images are skipped if not yet taken
            raise Overloaded(
                f"model '{self.served.name}': no answer within "
                f"{self.config.timeout_s:g} s (server busy)"
            ) from None
        return outputs, Timing(
            request.queue_seconds, request.compute_seconds, request.largest_batch
        )

    def _depth_changed(self) -> None:
        self.metrics.queue_depth.labels(self.served.name).set(len(self.pending))

    def _drop_abandoned(self) -> None:
        while self.pending and self.pending[0].future.done():
            self.pending.popleft()

    def _queued_images(self) -> int:
        return sum(p.left for p in self.pending if not p.future.done())

    async def _loop(self) -> None:
        delay = self.config.max_delay_ms / 1000
        while True:
            self._drop_abandoned()
            if not self.pending:
                self.wakeup.clear()
                await self.wakeup.wait()
                continue
            deadline = self.pending[0].arrived + delay
            while self._queued_images() < self.config.max_batch:
                remaining = deadline - time.perf_counter()
                if remaining <= 0:
                    break
                self.wakeup.clear()
                try:
                    await asyncio.wait_for(self.wakeup.wait(), remaining)
                except TimeoutError:
                    break
            await self._run_batch(self._take())

    def _take(self) -> list[tuple[Pending, int, int]]:
        """(request, offset, count) slices, up to max_batch images from the queue's front."""
        room, slices = self.config.max_batch, []
        while room and self.pending:
            request = self.pending[0]
            if request.future.done():
                self.pending.popleft()
                continue
            count = min(room, request.left)
            slices.append((request, request.taken, count))
            request.taken += count
            room -= count
            if not request.left:
                self.pending.popleft()
        self._depth_changed()
        return slices

    async def _run_batch(self, slices: list[tuple[Pending, int, int]]) -> None:
        if not slices:
            return
        started = time.perf_counter()
        images = np.concatenate([r.images[o : o + c] for r, o, c in slices])
        for request, offset, _ in slices:
            if offset == 0:
                request.queue_seconds = started - request.arrived
        loop = asyncio.get_running_loop()
        try:
            outputs = await loop.run_in_executor(self.executor, self._compute, images)
        except Exception as error:  # a kernel failure fails this batch's requests only
            for request, _, _ in slices:
                if not request.future.done():
                    request.future.set_exception(error)
            return
        took = time.perf_counter() - started
        name = self.served.name
        self.metrics.batch_size.labels(name).observe(len(images))
        self.metrics.compute_seconds.labels(name).observe(took)
        start = 0
        for request, offset, count in slices:
            request.parts[offset] = outputs[start : start + count]
            start += count
            request.compute_seconds += took
            request.largest_batch = max(request.largest_batch, len(images))
            if sum(len(p) for p in request.parts.values()) == len(request.images):
                self.metrics.queue_seconds.labels(name).observe(request.queue_seconds)
                if not request.future.done():
                    ordered = [request.parts[k] for k in sorted(request.parts)]
                    request.future.set_result(np.concatenate(ordered))

    def _compute(self, images: np.ndarray) -> np.ndarray:
        """On the executor thread: the batch as a sum of compiled sizes."""
        outputs, start = [], 0
        for size in split_batch(len(images), self.served.batch_sizes):
            outputs.append(self.served.run(images[start : start + size]))
            start += size
        return np.concatenate(outputs)
