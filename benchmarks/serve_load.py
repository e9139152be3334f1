"""`tilewise serve` under closed-loop load, beside `tilewise bench` and a peer server.

    python benchmarks/serve_load.py --network resnet-50 --threads 2 \\
        --clients 1,4,16,64 --delays off,2,5,10 --seconds 8 --peer ray

For each batching setting (off = --max-batch 1; else --max-delay-ms D with --max-batch
16) a server is started, warmed, and loaded by 1, 4, 16, 64 clients in a separate process
(benchmarks/serving/load.py), each sending single images. Printed per row: images/sec, p50
and p99 latency, and against the targets: throughput / `tilewise bench`'s best images/sec
at batch 1-16 (same threads), and p99 / (delay + 2 x the compute time of a full batch).
--peer ray runs the same load against onnxruntime behind Ray Serve with @serve.batch
(benchmarks/serving/ray_peer.py), same cores. Rows are appended to --json as they finish.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "tests"))  # tests/serving.py starts and stops the server


def bench_best(network: str, threads: int, max_batch: int) -> tuple[float, dict[int, float]]:
    """`tilewise bench` images/sec, best over batch sizes 1..max_batch; ms per batch."""
    sizes = [b for b in (1, 2, 4, 8, 16, 32) if b <= max_batch]
    with tempfile.TemporaryDirectory() as folder:
        rows_file = Path(folder) / "rows.jsonl"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "tilewise.cli",
                "bench",
                "--network",
                network,
                "--batch-sizes",
                ",".join(map(str, sizes)),
                "--threads",
                str(threads),
                "--no-cold-start",
                "--json",
                str(rows_file),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        rows = [json.loads(line) for line in rows_file.read_text().splitlines()]
    ms = {r["batch_size"]: 1000 * r["batch_size"] / r["images_per_sec"] for r in rows}
    return max(r["images_per_sec"] for r in rows), ms


def load(url: str, clients: int, seconds: float, shape: str, input_name: str) -> dict:
    done = subprocess.run(
        [
            sys.executable,
            str(HERE / "serving" / "load.py"),
            url,
            "--clients",
            str(clients),
            "--seconds",
            str(seconds),
            "--shape",
            shape,
            "--input-name",
            input_name,
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout)


def tilewise_rows(args, shape: str, input_name: str, best: float, ms: dict) -> list[dict]:
    from serving import ServerProcess

    rows = []
    for delay in args.delays.split(","):
        batching = (
            ["--max-batch", "1"]
            if delay == "off"
            else ["--max-batch", str(args.max_batch), "--max-delay-ms", delay]
        )
        full_batch = 1 if delay == "off" else args.max_batch
        with ServerProcess(
            args.network, "--threads", str(args.threads), *batching, "--queue", "1024"
        ) as server:
            url = f"{server.url}/v2/models/{args.network}/infer"
            for clients in args.clients:
                row = load(url, clients, args.seconds, shape, input_name)
                budget = (0 if delay == "off" else float(delay)) + 2 * ms[full_batch]
                row.update(
                    server="tilewise",
                    batching=delay,
                    of_bench=row["images_per_sec"] / best,
                    p99_budget_ms=budget,
                )
                rows.append(row)
                report(row, args.json)
    return rows


def peer_rows(args, shape: str, ms: dict) -> list[dict]:
    import signal

    from tilewise.bench.compare import export_network

    onnx_path = export_network(args.network)
    rows = []
    for delay in args.delays.split(","):
        max_batch, delay_ms = (1, 0.0) if delay == "off" else (args.max_batch, float(delay))
        peer = subprocess.Popen(
            [
                sys.executable,
                str(HERE / "serving" / "ray_peer.py"),
                onnx_path,
                "--port",
                "8199",
                "--threads",
                str(args.threads),
                "--max-batch",
                str(max_batch),
                "--max-delay-ms",
                str(delay_ms),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            if peer.stdout.readline().strip() != "ready":
                raise RuntimeError("the Ray Serve peer did not start")
            for clients in args.clients:
                row = load(
                    "http://127.0.0.1:8199/v2/models/peer/infer",
                    clients,
                    args.seconds,
                    shape,
                    "data",
                )
                row.update(server="ray-serve+onnxruntime", batching=delay)
                rows.append(row)
                report(row, args.json)
        finally:
            peer.send_signal(signal.SIGTERM)
            try:
                peer.wait(60)
            except subprocess.TimeoutExpired:
                peer.kill()
    return rows


def report(row: dict, json_path: str | None) -> None:
    extra = ""
    if "of_bench" in row:
        extra = f"  {row['of_bench']:.2f}x bench, p99 budget {row['p99_budget_ms']:.0f} ms"
    p50 = f"{row['p50_ms']:.1f}" if row["p50_ms"] is not None else "-"
    p99 = f"{row['p99_ms']:.1f}" if row["p99_ms"] is not None else "-"
    print(
        f"{row['server']:>22s} batching={row['batching']:>3s} clients={row['clients']:>3d} "
        f"{row['images_per_sec']:7.1f} img/s  p50 {p50:>7s} ms  p99 {p99:>7s} ms  "
        f"errors {row['errors']}{extra}",
        flush=True,
    )
    if json_path:
        with open(json_path, "a", encoding="utf-8") as out:
            out.write(json.dumps({**row, "time": time.strftime("%Y-%m-%dT%H:%M:%S")}) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--network", default="resnet-50")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--clients", default="1,4,16,64")
    parser.add_argument("--delays", default="off,2,5,10", help="off = --max-batch 1")
    parser.add_argument("--max-batch", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--peer", choices=["ray"], help="also load onnxruntime on Ray Serve")
    parser.add_argument("--json", help="append rows to this JSON-lines file")
    args = parser.parse_args()
    args.clients = [int(c) for c in args.clients.split(",")]

    import tilewise
    from tilewise.bench.machine import describe

    machine = describe(args.threads)
    print(
        f"tilewise {machine['tilewise']} serve load: {machine['cpu']}, {machine['cores']} "
        f"cores, {args.threads} threads; numpy {machine['numpy']}, numba {machine['numba']}"
    )
    graph = tilewise.zoo.get(args.network)
    shape = ",".join(map(str, graph.input_shape))
    best, ms = bench_best(args.network, args.threads, args.max_batch)
    print(
        f"tilewise bench {args.network}: best {best:.1f} img/s; ms per batch "
        + ", ".join(f"{b}: {t:.0f}" for b, t in ms.items()),
        flush=True,
    )
    tilewise_rows(args, shape, graph.input_name, best, ms)
    again, _ = bench_best(args.network, args.threads, args.max_batch)
    print(
        f"tilewise bench {args.network} again, after the load: best {again:.1f} img/s "
        "(the spread is this machine's noise)",
        flush=True,
    )
    if args.peer == "ray":
        peer_rows(args, shape, ms)


if __name__ == "__main__":
    main()
