"""The server's settings, shared by the CLI, the app and the batchers."""

from __future__ import annotations

from dataclasses import dataclass

from tilewise.runtime.batching import plan_sizes


@dataclass(frozen=True)
class ServeConfig:
    max_batch: int = 16  # images per model call
    max_delay_ms: float = 5.0  # how long the oldest request waits for company
    queue: int = 256  # requests waiting per model before 503
    timeout_s: float = 30.0  # per request, queue and compute together
    max_body_mb: float = 64.0
    threads: int | None = None  # None: every core

    @property
    def max_body_bytes(self) -> int:
        return int(self.max_body_mb * 1024 * 1024)

    def batch_sizes(self) -> list[int]:
        """Plans compiled at start-up (see runtime/batching.py)."""
        return plan_sizes(self.max_batch)
