"""tilewise export: a zoo network with its weights as an ONNX file."""

from __future__ import annotations

import argparse

from tilewise.cli.options import networks


def register(sub) -> None:
    export = sub.add_parser("export", help="write a zoo network with its weights as ONNX")
    export.add_argument("network", help="a zoo network")
    export.add_argument("output", help="the .onnx file to write")
    export.add_argument("--seed", type=int, default=0, help="weight initialisation seed")
    export.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tilewise import zoo
    from tilewise.frontend.onnx_export import export_onnx

    (network,) = networks(args.network)
    export_onnx(zoo.get(network, seed=args.seed), args.output)
    print(f"wrote {network} to {args.output}")
    return 0
