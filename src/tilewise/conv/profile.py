"""The per-phase time record every convolution algorithm fills when asked (NNPACK's
profile struct): `run(x, out, scratch, profile)` laps its phases into it."""

from __future__ import annotations

import time


class PhaseProfile:
    """Seconds per named phase, accumulated over chunks; `lap` charges the time since the
    previous lap (or `start`) to a phase."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def start(self) -> None:
        self._last = time.perf_counter()

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        self.seconds[phase] = self.seconds.get(phase, 0.0) + now - self._last
        self._last = now
