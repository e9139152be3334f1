"""tilewise command line: one module per command, shared options in cli/options.py."""

from __future__ import annotations

import argparse
import logging
import sys

from tilewise.cli import (
    batch_predict,
    bench,
    export,
    networks,
    predict,
    profile,
    report,
    serve,
)
from tilewise.cli.options import CliError

COMMANDS = (bench, profile, export, report, predict, batch_predict, networks, serve)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tilewise", description="Fast CPU inference for convolutional networks."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.register(sub)
    return parser


def _log_to_stderr() -> None:
    """tilewise's own progress (first-run compilation) on stderr, one line each."""
    logger = logging.getLogger("tilewise")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("tilewise: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _log_to_stderr()
    from tilewise.errors import TilewiseError

    try:
        return args.func(args)
    except (CliError, TilewiseError) as error:
        print(f"tilewise: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("tilewise: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
