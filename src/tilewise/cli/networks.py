"""tilewise networks: list the zoo networks."""

from __future__ import annotations

import argparse


def register(sub) -> None:
    sub.add_parser("networks", help="list the zoo networks").set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tilewise import zoo

    for name in zoo.names():
        print(name)
    return 0
