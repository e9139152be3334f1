"""Start `tilewise serve` in a child process on a free loopback port, and stop it."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request


class ServerProcess:
    def __init__(self, *args: str, startup: float = 120.0) -> None:
        command = [sys.executable, "-m", "tilewise.cli", "serve", "--port", "0", *args]
        self.process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        self.port = self._wait_for_port(startup)
        self.url = f"http://127.0.0.1:{self.port}"
        self.wait_ready(startup)

    def _wait_for_port(self, startup: float) -> int:
        found: dict[str, int] = {}
        ready = threading.Event()

        def pump() -> None:  # keep reading so the child never blocks on a full pipe
            for line in self.process.stderr:
                self.lines.append(line.rstrip())
                match = re.search(r"running on http://127\.0\.0\.1:(\d+)", line)
                if match:
                    found["port"] = int(match.group(1))
                    ready.set()
            ready.set()

        threading.Thread(target=pump, daemon=True).start()
        if not ready.wait(startup) or "port" not in found:
            self.stop()
            raise RuntimeError("server did not start:\n" + "\n".join(self.lines[-30:]))
        return found["port"]

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.get("/v2/health/ready")[0] == 200:
                return
            time.sleep(0.1)
        raise RuntimeError("server never became ready:\n" + "\n".join(self.lines[-30:]))

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> tuple[int, bytes, dict]:
        req = urllib.request.Request(
            self.url + path, data=body, method=method, headers=headers or {}
        )
        try:
            with urllib.request.urlopen(req, timeout=60) as response:
                return response.status, response.read(), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, error.read(), dict(error.headers)

    def get(self, path: str) -> tuple[int, object]:
        status, body, _ = self.request("GET", path)
        try:
            return status, json.loads(body)
        except ValueError:
            return status, body.decode()

    def post_json(self, path: str, payload: object) -> tuple[int, dict]:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        status, answer, _ = self.request("POST", path, body, {"Content-Type": "application/json"})
        return status, json.loads(answer)

    def terminate(self, timeout: float = 60.0) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
