"""Closed-loop load on a v2 infer endpoint: N clients, each sending one image, waiting for
the answer, sending the next. Run as its own process, so client and server share the cores
only as two programs on one machine would:

    python benchmarks/serving/load.py URL --clients 16 --seconds 8 --shape 3,224,224

Prints one JSON line: requests, images/sec, p50/p99 latency (ms), errors."""

from __future__ import annotations

import argparse
import http.client
import json
import threading
import time
from urllib.parse import urlparse

import numpy as np


def request_body(shape: tuple[int, ...], input_name: str) -> tuple[bytes, dict]:
    """One image as binary tensor data (what tritonclient sends by default)."""
    x = np.random.default_rng(0).uniform(-1, 1, (1, *shape)).astype(np.float32)
    header = json.dumps(
        {
            "inputs": [
                {
                    "name": input_name,
                    "shape": [1, *shape],
                    "datatype": "FP32",
                    "parameters": {"binary_data_size": x.nbytes},
                }
            ],
            "parameters": {"binary_data_output": True},
        }
    ).encode()
    headers = {
        "Inference-Header-Content-Length": str(len(header)),
        "Content-Type": "application/octet-stream",
    }
    return header + x.tobytes(), headers


def run_load(url: str, clients: int, seconds: float, shape, input_name: str) -> dict:
    """Measures from the moment every client has had one answer (the pipeline is full) for
    `seconds`; counts the answers that arrive in that window, whenever they were sent."""
    parsed = urlparse(url)
    body, headers = request_body(shape, input_name)
    window: dict[str, float] = {}
    first_answers = 0
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def client() -> None:
        nonlocal first_answers
        connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=300)
        answered = False
        while "stop" not in window or time.perf_counter() < window["stop"]:
            begin = time.perf_counter()
            try:
                connection.request("POST", parsed.path, body, headers)
                response = connection.getresponse()
                response.read()
                failure = None if response.status == 200 else f"HTTP {response.status}"
            except (OSError, http.client.HTTPException) as error:
                failure = str(error)
                connection.close()
                connection = http.client.HTTPConnection(parsed.hostname, parsed.port)
            end = time.perf_counter()
            with lock:
                if failure:
                    errors.append(failure)
                elif "start" in window and window["start"] <= end <= window["stop"]:
                    latencies.append(end - begin)
                if not answered:
                    answered, first_answers = True, first_answers + 1
                    if first_answers == clients:
                        window["start"] = end
                        window["stop"] = end + seconds

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ms = np.array(latencies) * 1000
    return {
        "clients": clients,
        "requests": len(latencies),
        "images_per_sec": len(latencies) / seconds,
        "p50_ms": float(np.percentile(ms, 50)) if len(ms) else None,
        "p99_ms": float(np.percentile(ms, 99)) if len(ms) else None,
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="the infer URL, e.g. http://127.0.0.1:8000/v2/models/m/infer")
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument(
        "--seconds",
        type=float,
        default=8.0,
        help="measured, from when every client has had its first answer",
    )
    parser.add_argument("--shape", default="3,224,224")
    parser.add_argument("--input-name", default="data")
    args = parser.parse_args()
    shape = tuple(int(v) for v in args.shape.split(","))
    result = run_load(args.url, args.clients, args.seconds, shape, args.input_name)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
