"""tilewise command line: bench | profile | networks."""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime, timezone

DEFAULT_NETWORK = "resnet-50"
DEFAULT_BATCHES = "1,2,4,8,16,32"


class CliError(Exception):
    """A user mistake: printed as one line, exit status 2."""


MODEL_HELP = "a model file: .onnx, or an MXNet checkpoint prefix or -symbol.json"


def _batch_sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        sizes = []
    if not sizes or min(sizes) < 1:
        raise CliError(f"--batch-sizes must be comma-separated positive integers, got '{text}'")
    return sizes


def _networks(text: str) -> list[str]:
    from tilewise import zoo

    chosen = list(zoo.BENCHMARK_NETWORKS) if text == "all" else text.split(",")
    unknown = [n for n in chosen if n not in zoo.BUILDERS]
    if unknown:
        raise CliError(
            f"unknown network(s) {', '.join(unknown)}; choose from: all, {', '.join(zoo.names())}"
        )
    return chosen


def _shape(text: str | None) -> tuple[int, ...] | None:
    if text is None:
        return None
    try:
        shape = tuple(int(part) for part in text.split(","))
    except ValueError:
        shape = ()
    if not shape or min(shape) < 1:
        raise CliError(f"--input-shape must be comma-separated positive integers, got '{text}'")
    return shape


def _graphs(args: argparse.Namespace) -> list[tuple[str, object]]:
    """(label, graph builder taking the batch size) for --model PATH, else for the zoo
    networks named. ONNX graphs are built per batch size (their shapes fold at load)."""
    from functools import cache
    from pathlib import Path

    from tilewise import zoo
    from tilewise.frontend.load import load_graph

    if getattr(args, "model", None):
        shape = _shape(args.input_shape)

        def build_model(batch: int = 1):
            return load_graph(args.model, input_shape=shape, batch_size=batch)

        return [(Path(args.model).name, build_model)]

    def zoo_builder(name: str):
        built = cache(lambda: zoo.get(name))  # one graph serves every batch size
        return lambda batch=1: built()

    return [(name, zoo_builder(name)) for name in _networks(args.network)]


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _progress(text: str) -> None:
    end = "\r" if sys.stderr.isatty() else "\n"
    print(f"\x1b[2K{text}" if sys.stderr.isatty() else text, end=end, file=sys.stderr, flush=True)


def cmd_compare(args: argparse.Namespace) -> int:
    from pathlib import Path

    from tilewise.bench.compare import run_compare
    from tilewise.bench.machine import describe
    from tilewise.bench.peers import PEERS
    from tilewise.bench.report import text_table, write_report
    from tilewise.conv.registry import check_algo
    from tilewise.runtime.threads import set_threads

    peers = [p for p in args.compare.split(",") if p]
    unknown = [p for p in peers if p not in PEERS]
    if unknown:
        raise CliError(f"unknown peer(s) {', '.join(unknown)}; choose from: {', '.join(PEERS)}")
    algos = args.algo.split(",")
    for algo in algos:
        check_algo(algo)
    lines = ["tilewise-auto"] + [f"tilewise-{a}" for a in algos if a != "auto"]
    networks = [name for name, _ in _graphs(args)]
    threads = set_threads(args.threads)
    out_dir = Path(args.out)
    rows, notes, interrupted = [], [], False
    try:
        rows, notes = run_compare(networks, _batch_sizes(args.batch_sizes), lines + peers,
                                  threads, args.rounds, args.min_time, out_dir,
                                  describe(threads), _progress)  # fmt: skip
    except KeyboardInterrupt:
        interrupted = True
        from tilewise.bench.report import read_rows

        results = out_dir / "results.jsonl"
        rows = read_rows(results) if results.exists() else []
    _progress("")
    for note in notes:
        print(f"note: {note}")
    if not rows:
        print("no measurements finished")
        return 130 if interrupted else 1
    print(text_table(rows))
    report = write_report(rows, out_dir, notes)
    print(f"results: {out_dir / 'results.jsonl'}; report with charts: {report}")
    return 130 if interrupted else 0


def cmd_report(args: argparse.Namespace) -> int:
    from pathlib import Path

    from tilewise.bench.report import read_rows, text_table, write_report

    try:
        rows = read_rows(args.results)
    except (OSError, ValueError) as error:
        raise CliError(str(error)) from None
    if not rows:
        raise CliError(f"{args.results}: no results")
    out_dir = Path(args.out) if args.out else Path(args.results).parent
    print(text_table(rows))
    print(f"report with charts: {write_report(rows, out_dir)}")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    if args.compare:
        return cmd_compare(args)
    from tilewise.bench.cold_start import measure_cold_start
    from tilewise.bench.machine import describe
    from tilewise.bench.runner import measure
    from tilewise.bench.table import format_table
    from tilewise.conv.registry import check_algo
    from tilewise.runtime.threads import set_threads

    networks, batches = _graphs(args), _batch_sizes(args.batch_sizes)
    check_algo(args.algo)
    threads = set_threads(args.threads)
    machine = describe(threads)
    print(
        f"tilewise {machine['tilewise']} bench: {machine['cpu']} ({machine['machine']}), "
        f"{machine['cores']} cores, {threads} threads, algo={args.algo}"
    )
    print(
        f"python {machine['python']}, numpy {machine['numpy']}, numba {machine['numba']}, "
        f"BLAS {machine['blas']}"
    )
    rows, results = [], []
    total = len(networks) * len(batches)
    started = time.perf_counter()
    for index, (network, build) in enumerate(networks):
        for j, batch in enumerate(batches):
            graph = build(batch)
            done = index * len(batches) + j
            elapsed = time.perf_counter() - started
            eta = f", ~{elapsed / done * (total - done):.0f}s left" if done else ""
            _progress(f"[{done + 1}/{total}] {network} batch {batch}{eta}")
            m = measure(network, batch, threads, args.algo, args.warmup, args.min_time,
                        args.min_runs, graph, args.tolerance)  # fmt: skip
            results.append(m)
            rows.append([network, batch, m.images_per_sec, m.ms_per_batch, m.compile_s,
                         m.first_call_s, m.runs])  # fmt: skip
            if args.json:
                row = {**m.as_row(), **machine, "timestamp": _now()}
                with open(args.json, "a", encoding="utf-8") as out:
                    out.write(json.dumps(row) + "\n")
    _progress("")
    headers = ["network", "batch", "images/sec", "ms/batch", "compile s", "first call s", "runs"]
    print(format_table(headers, rows))
    if not args.no_cold_start and not args.model:
        cold = measure_cold_start(networks[0][0], batches[0], threads, args.algo)
        print(
            f"cold start in a new process ({networks[0][0]}, batch {batches[0]}): "
            f"{cold['total_s']:.2f} s = import {cold['import_s']:.2f} s + build "
            f"{cold['build_s']:.2f} s + compile {cold['compile_s']:.2f} s + first batch "
            f"{cold['first_batch_s']:.2f} s; warm: {results[0].ms_per_batch / 1e3:.3f} s/batch"
        )
    if args.json:
        print(f"rows appended to {args.json}")
    return 0


def cmd_profile(args: argparse.Namespace) -> int:
    import numpy as np

    import tilewise
    from tilewise.bench.table import format_table

    if not args.model and not args.network:
        raise CliError("profile needs a NETWORK or --model PATH")
    ((network, build),) = _graphs(args)
    model = tilewise.compile(
        build(args.batch_size),
        batch_size=args.batch_size,
        threads=args.threads,
        algo=args.algo,
        tolerance=args.tolerance,
    )
    x = np.random.default_rng(0).uniform(-1, 1, model.input_shape).astype(np.float32)
    model(x)
    layers = model.profile(x, repeat=args.repeat)
    total = sum(r["seconds"] for r in layers)
    rows = []
    for r in layers:
        split = [r["phases"].get(k) for k in ("input transform", "products", "output transform")]
        split = ["" if s is None else round(s * 1e3, 3) for s in split]
        rows.append([r["name"], r["op"], "x".join(map(str, r["output_shape"][1:])), r["algorithm"],
                     r["seconds"] * 1e3, r["gflops"], 100 * r["seconds"] / total, *split,
                     r["reason"]])  # fmt: skip
    headers = ["layer", "op", "output", "algorithm", "ms", "GFLOP/s", "%", "in-tf ms",
               "products ms", "out-tf ms", "reason"]  # fmt: skip
    print(format_table(headers, rows, left={0, 1, 3, len(headers) - 1}))
    print(
        f"{network} batch {args.batch_size}, {model.threads} threads: {total * 1e3:.2f} ms, "
        f"{model.flops / total / 1e9:.1f} GFLOP/s overall"
    )
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    import tilewise
    from tilewise.frontend.onnx_export import export_onnx

    (network,) = _networks(args.network)
    export_onnx(tilewise.zoo.get(network, seed=args.seed), args.output)
    print(f"wrote {network} to {args.output}")
    return 0


def _floats(text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a list of numbers") from None
    if len(values) not in (1, 3):
        raise argparse.ArgumentTypeError(f"'{text}': give 1 or 3 values (one per channel)")
    return values * 3 if len(values) == 1 else values


def cmd_predict(args: argparse.Namespace) -> int:
    from pathlib import Path

    import numpy as np

    import tilewise
    from tilewise.imagenet import class_names, preprocess, probabilities, top_k

    names = class_names()
    if args.labels:
        names = Path(args.labels).read_text(encoding="utf-8").splitlines()
    images = np.stack([preprocess(path, args.resize, args.crop, args.mean, args.std, args.bgr)
                       for path in args.images])  # fmt: skip
    model = tilewise.load(args.model, input_shape=(3, args.crop, args.crop), threads=args.threads)
    rows = probabilities(model(images))
    for path, row in zip(args.images, rows, strict=True):
        print(path)
        for rank, (index, name, p) in enumerate(top_k(row, args.top, names), start=1):
            print(f"  {rank}. {name:<32s} {p:7.4f}  (class {index})")
    return 0


def cmd_networks(args: argparse.Namespace) -> int:
    from tilewise import zoo

    for name in zoo.names():
        print(name)
    return 0


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")  # noqa: UP017


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tilewise", description="Fast CPU inference for convolutional networks."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    bench = sub.add_parser(
        "bench",
        help="images/sec per network and batch size (MXNet benchmark_score)",
        description="Random U(-1, 1) images; warm-up, then timed runs; median time per batch.",
    )
    bench.add_argument(
        "--network",
        default=DEFAULT_NETWORK,
        help=f"network(s), comma-separated, or 'all' (default {DEFAULT_NETWORK})",
    )
    bench.add_argument("--batch-sizes", default=DEFAULT_BATCHES,
                       help=f"comma-separated (default {DEFAULT_BATCHES})")  # fmt: skip
    bench.add_argument("--threads", type=_positive, default=None, help="default: all cores")
    bench.add_argument(
        "--algo", default="auto", help="convolution algorithm: auto, tune, gemm, or a name"
    )
    bench.add_argument(
        "--tolerance", type=float, default=1e-3, help="--algo tune: largest error allowed"
    )
    bench.add_argument(
        "--warmup", type=int, default=2, help="untimed runs, at least 0.5 s (default 2)"
    )
    bench.add_argument("--min-time", type=float, default=1.0, help="seconds timed (default 1)")
    bench.add_argument("--min-runs", type=_positive, default=3, help="timed runs (default 3)")
    bench.add_argument("--json", metavar="FILE", help="append one JSON row per measurement")
    bench.add_argument(
        "--model",
        metavar="PATH",
        help=MODEL_HELP,
    )
    bench.add_argument(
        "--compare",
        metavar="PEERS",
        help="also run peers: onnxruntime,openvino,torch (same weights, via ONNX); "
        "--algo then takes a list, e.g. auto,gemm",
    )
    bench.add_argument("--rounds", type=_positive, default=3, help="--compare: rounds (3)")
    bench.add_argument("--out", default="bench-results", help="--compare: output folder")
    bench.add_argument(
        "--input-shape", help="per-sample input shape for --model (default 3,224,224)"
    )
    bench.add_argument(
        "--no-cold-start", action="store_true", help="skip the cold-start run in a new process"
    )
    bench.set_defaults(func=cmd_bench)

    profile = sub.add_parser("profile", help="per-layer time, algorithm and GFLOP/s")
    profile.add_argument("network", nargs="?", help="a zoo network (or use --model)")
    profile.add_argument(
        "--model",
        metavar="PATH",
        help=MODEL_HELP,
    )
    profile.add_argument("--input-shape", help="per-sample input shape for --model, e.g. 3,224,224")
    profile.add_argument("--batch-size", type=_positive, default=1)
    profile.add_argument("--threads", type=_positive, default=None)
    profile.add_argument("--algo", default="auto")
    profile.add_argument("--tolerance", type=float, default=1e-3)
    profile.add_argument("--repeat", type=_positive, default=5, help="best of N (default 5)")
    profile.set_defaults(func=cmd_profile)

    export = sub.add_parser("export", help="write a zoo network with its weights as ONNX")
    export.add_argument("network", help="a zoo network")
    export.add_argument("output", help="the .onnx file to write")
    export.add_argument("--seed", type=int, default=0, help="weight initialisation seed")
    export.set_defaults(func=cmd_export)

    report = sub.add_parser("report", help="redraw the charts and report from saved results")
    report.add_argument("results", help="a results.jsonl written by bench --compare")
    report.add_argument("--out", help="output folder (default: beside the results)")
    report.set_defaults(func=cmd_report)

    predict = sub.add_parser(
        "predict",
        help="classify images with a model: top classes with probabilities",
        description="ImageNet preprocessing: the short side resized (bilinear), a centred "
        "crop, RGB scaled to [0, 1], then (x - mean) / std; a softmax is applied unless "
        "the model already outputs probabilities.",
    )
    predict.add_argument("model", help="a model file: .onnx, or an MXNet checkpoint prefix")
    predict.add_argument("images", nargs="+", help="image files (anything Pillow reads)")
    predict.add_argument("--resize", type=_positive, default=256, help="short side (256)")
    predict.add_argument("--crop", type=_positive, default=224, help="centre crop (224)")
    predict.add_argument("--mean", type=_floats, default=(0.485, 0.456, 0.406),
                         help="per-channel mean on [0, 1] (ImageNet's)")  # fmt: skip
    predict.add_argument("--std", type=_floats, default=(0.229, 0.224, 0.225),
                         help="per-channel std on [0, 1] (ImageNet's)")  # fmt: skip
    predict.add_argument("--bgr", action="store_true", help="feed BGR instead of RGB")
    predict.add_argument("--top", type=_positive, default=5, help="classes shown (5)")
    predict.add_argument("--labels", metavar="FILE", help="class names, one per line "
                         "(default: the ImageNet-1k names)")  # fmt: skip
    predict.add_argument("--threads", type=_positive, default=None)
    predict.set_defaults(func=cmd_predict)

    networks = sub.add_parser("networks", help="list the zoo networks")
    networks.set_defaults(func=cmd_networks)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    import tilewise

    try:
        return args.func(args)
    except CliError as error:
        print(f"tilewise: error: {error}", file=sys.stderr)
        return 2
    except tilewise.TilewiseError as error:
        print(f"tilewise: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("tilewise: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
