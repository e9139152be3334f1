"""tilewise batch-predict: classify a folder, a list or a Parquet file into Parquet."""

from __future__ import annotations

import argparse

from tilewise.cli.options import CliError, add_threads, input_shape, positive
from tilewise.cli.predict import add_preprocessing


def register(sub) -> None:
    batch = sub.add_parser(
        "batch-predict",
        help="classify many images (folder, list, Parquet) into Parquet; locally or on Ray",
        description="Classify every image of INPUT (a folder, searched recursively for "
        "jpg/png/webp/bmp; a text file of paths; or a Parquet file with an image-bytes or "
        "path column) into OUT, a folder of Parquet parts with one row per input: path, top "
        "class indices, names and probabilities, model, error. Unreadable files get a row "
        "with their error. Needs pyarrow and Pillow; --engine ray needs the ray extra.",
    )
    batch.add_argument("model", help="ONNX file, MXNet checkpoint prefix or zoo network")
    batch.add_argument("input", help="folder, text file of paths, or Parquet file")
    batch.add_argument("--out", required=True, help="output folder of Parquet parts")
    batch.add_argument("--top", type=positive, default=5, help="classes per image (5)")
    batch.add_argument("--batch-size", type=positive, default=16, help="images per call (16)")
    batch.add_argument(
        "--engine", choices=["local", "ray"], default="local", help="local (default) or ray"
    )
    batch.add_argument(
        "--ray-address",
        help="with --engine ray: 'auto' or HOST:PORT of a "
        "running cluster (default: start Ray on this machine)",
    )
    batch.add_argument(
        "--actors",
        type=positive,
        help="with --engine ray: model copies (default: cluster CPUs / --threads)",
    )
    batch.add_argument(
        "--decoders", type=positive, default=1, help="local engine: image-decoding threads (1)"
    )
    batch.add_argument("--resume", action="store_true", help="skip inputs already in OUT")
    batch.add_argument("--overwrite", action="store_true", help="replace what OUT holds")
    batch.add_argument("--input-shape", help="per-sample input shape for MXNet checkpoints")
    add_preprocessing(batch)
    add_threads(batch)
    batch.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        import pyarrow  # noqa: F401
        from tqdm import tqdm
    except ImportError as error:
        raise CliError(f"batch-predict needs {error.name}: pip install 'tilewise[batch]'") from None
    from tilewise.batch import predict
    from tilewise.batch.rows import Options

    options = Options(
        top=args.top,
        batch_size=args.batch_size,
        resize=args.resize,
        crop=args.crop,
        mean=args.mean,
        std=args.std,
        bgr=args.bgr,
    )
    with tqdm(
        unit="img", desc="batch-predict", mininterval=1.0, disable=args.engine == "ray"
    ) as bar:
        summary = predict(
            args.model,
            args.input,
            args.out,
            engine=args.engine,
            options=options,
            threads=args.threads,
            decoders=args.decoders,
            actors=args.actors,
            ray_address=args.ray_address,
            input_shape=input_shape(args.input_shape),
            resume=args.resume,
            overwrite=args.overwrite,
            progress=bar,
        )
    done = summary["inputs"] - summary["skipped"]
    print(
        f"{done} image(s) classified into {args.out} in {summary['seconds']:.1f} s "
        f"({summary['images_per_sec']:.1f} img/s), {summary.get('errors', 0)} unreadable, "
        f"{summary['skipped']} already there"
    )
    return 0
