"""Run the app under uvicorn, with a shutdown that exits 0 after answering every request."""

from __future__ import annotations

import contextlib
import signal

import uvicorn


class GracefulServer(uvicorn.Server):
    """SIGTERM/SIGINT: stop accepting, answer what was accepted, exit 0. (uvicorn's own
    handler re-raises the signal after shutting down, so the exit status would say killed.)"""

    @contextlib.contextmanager
    def capture_signals(self):
        previous = {s: signal.signal(s, self.handle_exit) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)


def run_server(app, host: str, port: int, graceful_seconds: float) -> None:
    settings = uvicorn.Config(
        app,
        host=host,
        port=port,
        access_log=False,
        log_level="info",
        timeout_graceful_shutdown=graceful_seconds,
    )
    GracefulServer(settings).run()
