"""tilewise serve: models behind the Open Inference Protocol (KServe v2) over HTTP."""

from __future__ import annotations

import argparse

from tilewise.cli.options import CliError, add_algorithm, add_threads, input_shape, positive
from tilewise.serve.config import ServeConfig

DEFAULTS = ServeConfig()


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value < 0:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number >= 0")
    return value


def register(sub) -> None:
    serve = sub.add_parser(
        "serve",
        help="serve models over HTTP (KServe v2 protocol) with dynamic batching",
        description="Serve models over the Open Inference Protocol (KServe v2: Triton's, "
        "OpenVINO Model Server's and KServe's REST API) with dynamic batching; /metrics "
        "for Prometheus and a page at / to try an image classifier. Needs the serve "
        "extra: pip install 'tilewise[serve]'.",
    )
    serve.add_argument(
        "models",
        nargs="+",
        metavar="MODEL",
        help="ONNX file, MXNet checkpoint prefix or zoo network; NAME=MODEL to name it",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (8000; 0 picks a free one)")
    serve.add_argument(
        "--max-batch",
        type=positive,
        default=DEFAULTS.max_batch,
        help=f"images per batch ({DEFAULTS.max_batch})",
    )
    serve.add_argument(
        "--max-delay-ms",
        type=_positive_float,
        default=DEFAULTS.max_delay_ms,
        help="longest the oldest request waits for others to batch with; "
        "--max-batch 1 turns batching off "
        f"({DEFAULTS.max_delay_ms:g})",
    )
    serve.add_argument(
        "--queue",
        type=positive,
        default=DEFAULTS.queue,
        help=f"requests waiting per model before 503 ({DEFAULTS.queue})",
    )
    serve.add_argument(
        "--timeout",
        type=_positive_float,
        default=DEFAULTS.timeout_s,
        help=f"seconds per request, queue and compute ({DEFAULTS.timeout_s:g})",
    )
    serve.add_argument(
        "--max-body-mb",
        type=_positive_float,
        default=DEFAULTS.max_body_mb,
        help=f"largest request body in MiB ({DEFAULTS.max_body_mb:g})",
    )
    serve.add_argument(
        "--input-shape", help="per-sample input shape for model files, e.g. 3,224,224"
    )
    add_threads(serve)
    add_algorithm(serve)
    serve.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        from tilewise.serve import create_app, resolve_model
        from tilewise.serve.runner import run_server
    except ImportError as error:
        raise CliError(
            f"serving needs the serve extra ({error.name} is missing): "
            "pip install 'tilewise[serve]'"
        ) from None
    config = ServeConfig(
        max_batch=args.max_batch,
        max_delay_ms=args.max_delay_ms,
        queue=args.queue,
        timeout_s=args.timeout,
        max_body_mb=args.max_body_mb,
        threads=args.threads,
    )
    shape = input_shape(args.input_shape)
    models = [resolve_model(spec, args.threads, args.algo, shape) for spec in args.models]
    run_server(create_app(models, config), args.host, args.port, max(config.timeout_s, 1.0))
    return 0
