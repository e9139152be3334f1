"""batch-predict throughput: local engine, Ray (1 actor x 2 threads, 2 actors x 1 thread),
and onnxruntime in the same Ray pipeline, beside `tilewise bench` at the same batch size.

    python benchmarks/batch_predict.py --images 512 --threads 2 \\
        --models resnet-50,~/.cache/tilewise/fixtures/efficientnet-lite0.onnx

Images: random 280x280 crops of scikit-image's photographs, JPEG, in a temporary folder.
Also timed: decoding and preprocessing alone on one thread, to say which side bounds the
local engine."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def make_images(folder: Path, count: int) -> None:
    from PIL import Image
    from skimage import data

    sources = [data.astronaut(), data.coffee(), data.chelsea(), data.rocket()]
    rng = np.random.default_rng(0)
    for i in range(count):
        image = sources[i % len(sources)]
        top = rng.integers(0, image.shape[0] - 280)
        left = rng.integers(0, image.shape[1] - 280)
        Image.fromarray(image[top : top + 280, left : left + 280]).save(folder / f"{i:05d}.jpg")


def bench(model: str, batch: int, threads: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        rows = Path(tmp) / "rows.jsonl"
        source = ["--network", model] if "/" not in model else ["--model", model]
        subprocess.run(
            [
                sys.executable,
                "-m",
                "tilewise.cli",
                "bench",
                *source,
                "--batch-sizes",
                str(batch),
                "--threads",
                str(threads),
                "--no-cold-start",
                "--json",
                str(rows),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return json.loads(rows.read_text().splitlines()[0])["images_per_sec"]


def decode_rate(folder: Path, options) -> float:
    from tilewise.batch.inputs import list_inputs
    from tilewise.batch.rows import decode

    items = list_inputs(str(folder))
    started = time.perf_counter()
    for item in items:
        decode(item, options)
    return len(items) / (time.perf_counter() - started)


class OrtClassifier:
    """The peer: the same decoding and rows, onnxruntime in place of tilewise."""

    def __init__(self, onnx_path: str, options, threads: int) -> None:
        import onnxruntime as ort

        settings = ort.SessionOptions()
        settings.intra_op_num_threads = threads
        settings.inter_op_num_threads = 1
        self.session = ort.InferenceSession(onnx_path, settings, providers=["CPUExecutionProvider"])
        self.options = options

    def __call__(self, batch: dict):
        import pyarrow as pa

        from tilewise.batch.inputs import Item
        from tilewise.batch.rows import decode, schema
        from tilewise.imagenet import probabilities, top_k

        keys = [str(k) for k in batch["key"]]
        images = [decode(Item(k), self.options) for k in keys]
        x = np.stack(images)
        scores = self.session.run(None, {self.session.get_inputs()[0].name: x})[0]
        rows = []
        for key, row in zip(keys, probabilities(scores), strict=True):
            top = top_k(row, self.options.top)
            rows.append(
                {
                    "path": key,
                    "top_indices": [t[0] for t in top],
                    "top_names": [t[1] for t in top],
                    "top_probabilities": [t[2] for t in top],
                    "model": "onnxruntime",
                    "error": None,
                }
            )
        return pa.Table.from_pylist(rows, schema=schema())


def ort_on_ray(model: str, folder: Path, out: Path, options, threads: int) -> float:
    import ray

    from tilewise.batch.inputs import list_inputs
    from tilewise.bench.compare import export_network

    onnx_path = model if model.endswith(".onnx") else export_network(model)
    items = list_inputs(str(folder))
    started = time.perf_counter()
    dataset = ray.data.from_items([{"key": i.key} for i in items], override_num_blocks=4)
    dataset.map_batches(
        OrtClassifier,
        fn_constructor_args=(onnx_path, options, threads),
        batch_size=options.batch_size,
        concurrency=1,
        num_cpus=threads,
        batch_format="numpy",
    ).write_parquet(str(out))
    return len(items) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=512)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--models", default="resnet-50")
    args = parser.parse_args()

    import ray

    import tilewise
    from tilewise.batch import predict
    from tilewise.batch.rows import Options
    from tilewise.bench.machine import describe

    machine = describe(args.threads)
    print(
        f"tilewise {tilewise.__version__} batch-predict: {machine['cpu']}, {machine['cores']} "
        f"cores, {args.threads} threads, {args.images} images, batch {args.batch_size}; "
        f"ray {ray.__version__}"
    )
    options = Options(batch_size=args.batch_size)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "images"
        folder.mkdir()
        make_images(folder, args.images)
        print(f"decode + preprocess alone, 1 thread: {decode_rate(folder, options):.1f} img/s")
        ray.init(num_cpus=args.threads, include_dashboard=False, log_to_driver=False)
        for model in args.models.split(","):
            model = os.path.expanduser(model)
            label = Path(model).name
            rates = {"bench": bench(model, args.batch_size, args.threads)}
            runs = {
                "local": {"engine": "local", "threads": args.threads},
                "ray 1x2": {"engine": "ray", "threads": args.threads, "actors": 1},
                "ray 2x1": {"engine": "ray", "threads": 1, "actors": args.threads},
            }
            for name, settings in runs.items():
                out = Path(tmp) / f"{label}-{name.replace(' ', '')}"
                rates[name] = predict(model, str(folder), str(out), options=options, **settings)[
                    "images_per_sec"
                ]
            rates["onnxruntime on ray 1x2"] = ort_on_ray(
                model, folder, Path(tmp) / f"{label}-ort", options, args.threads
            )
            cells = ", ".join(f"{k} {v:.1f}" for k, v in rates.items())
            print(
                f"{label}: {cells} img/s; local/bench {rates['local'] / rates['bench']:.2f}, "
                f"ray 1x2/local {rates['ray 1x2'] / rates['local']:.2f}, "
                f"ray 2x1/local {rates['ray 2x1'] / rates['local']:.2f}",
                flush=True,
            )
        ray.shutdown()


if __name__ == "__main__":
    main()
