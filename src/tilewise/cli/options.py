"""What several commands share: the error type, argument parsers, option groups (declared
once here), the model or network source, and the progress line."""

from __future__ import annotations

import argparse
import sys

from tilewise.plan.tuning import DEFAULT_TOLERANCE

DEFAULT_NETWORK = "resnet-50"
MODEL_HELP = "a model file: .onnx, or an MXNet checkpoint prefix or -symbol.json"


class CliError(Exception):
    """A user mistake: printed as one line, exit status 2."""


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def batch_sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        sizes = []
    if not sizes or min(sizes) < 1:
        raise CliError(f"--batch-sizes must be comma-separated positive integers, got '{text}'")
    return sizes


def networks(text: str) -> list[str]:
    from tilewise import zoo

    chosen = list(zoo.BENCHMARK_NETWORKS) if text == "all" else text.split(",")
    unknown = [n for n in chosen if n not in zoo.BUILDERS]
    if unknown:
        raise CliError(
            f"unknown network(s) {', '.join(unknown)}; choose from: all, {', '.join(zoo.names())}"
        )
    return chosen


def input_shape(text: str | None) -> tuple[int, ...] | None:
    if text is None:
        return None
    try:
        shape = tuple(int(part) for part in text.split(","))
    except ValueError:
        shape = ()
    if not shape or min(shape) < 1:
        raise CliError(f"--input-shape must be comma-separated positive integers, got '{text}'")
    return shape


def add_threads(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--threads", type=positive, default=None, help="default: all cores")


def add_algorithm(parser: argparse.ArgumentParser, extra_help: str = "") -> None:
    """--algo and --tolerance, as compile() takes them."""
    parser.add_argument(
        "--algo",
        default="auto",
        help="convolution algorithm: auto, tune, gemm, or a name" + extra_help,
    )
    parser.add_argument(
        "--tolerance",
        type=float,
        default=DEFAULT_TOLERANCE,
        help=f"--algo tune: largest error allowed ({DEFAULT_TOLERANCE:g})",
    )


def add_model_file(parser: argparse.ArgumentParser) -> None:
    """--model PATH and its --input-shape: run a file instead of a zoo network."""
    parser.add_argument("--model", metavar="PATH", help=MODEL_HELP)
    parser.add_argument("--input-shape",
                        help="per-sample input shape for --model, e.g. 3,224,224")  # fmt: skip


def graphs(args: argparse.Namespace) -> list[tuple[str, object]]:
    """(label, graph builder taking the batch size) for --model PATH, else for the zoo
    networks named. ONNX graphs are built per batch size (their shapes fold at load)."""
    from functools import cache
    from pathlib import Path

    from tilewise import zoo
    from tilewise.frontend.load import load_graph

    if getattr(args, "model", None):
        shape = input_shape(args.input_shape)

        def build_model(batch: int = 1):
            return load_graph(args.model, input_shape=shape, batch_size=batch)

        return [(Path(args.model).name, build_model)]

    def zoo_builder(name: str):
        built = cache(lambda: zoo.get(name))  # one graph serves every batch size
        return lambda batch=1: built()

    return [(name, zoo_builder(name)) for name in networks(args.network)]


def progress(text: str) -> None:
    end = "\r" if sys.stderr.isatty() else "\n"
    print(f"\x1b[2K{text}" if sys.stderr.isatty() else text, end=end, file=sys.stderr, flush=True)
