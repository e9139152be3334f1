"""tilewise predict: classify images with a model, top classes with probabilities."""

from __future__ import annotations

import argparse

from tilewise.cli.options import add_threads, positive
from tilewise.imagenet import CROP, IMAGENET_MEAN, IMAGENET_STD, RESIZE


def _floats(text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a list of numbers") from None
    if len(values) not in (1, 3):
        raise argparse.ArgumentTypeError(f"'{text}': give 1 or 3 values (one per channel)")
    return values * 3 if len(values) == 1 else values


def add_preprocessing(parser: argparse.ArgumentParser) -> None:
    """ImageNet-style preparation, shared with batch-predict."""
    parser.add_argument("--resize", type=positive, default=RESIZE, help=f"short side ({RESIZE})")
    parser.add_argument("--crop", type=positive, default=CROP, help=f"centre crop ({CROP})")
    parser.add_argument("--mean", type=_floats, default=IMAGENET_MEAN,
                        help="per-channel mean on [0, 1] (ImageNet's)")  # fmt: skip
    parser.add_argument("--std", type=_floats, default=IMAGENET_STD,
                        help="per-channel std on [0, 1] (ImageNet's)")  # fmt: skip
    parser.add_argument("--bgr", action="store_true", help="feed BGR instead of RGB")


def register(sub) -> None:
    predict = sub.add_parser(
        "predict",
        help="classify images with a model: top classes with probabilities",
        description="ImageNet preprocessing: the short side resized (bilinear), a centred "
        "crop, RGB scaled to [0, 1], then (x - mean) / std; a softmax is applied unless "
        "the model already outputs probabilities.",
    )
    predict.add_argument("model", help="ONNX file, MXNet checkpoint prefix or zoo network")
    predict.add_argument("images", nargs="+", help="image files (anything Pillow reads)")
    add_preprocessing(predict)
    predict.add_argument("--top", type=positive, default=5, help="classes shown (5)")
    predict.add_argument("--labels", metavar="FILE", help="class names, one per line "
                         "(default: the ImageNet-1k names)")  # fmt: skip
    add_threads(predict)
    predict.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    import numpy as np

    from tilewise.frontend.load import load_named
    from tilewise.imagenet import class_names, preprocess, probabilities, top_k

    names = class_names()
    if args.labels:
        names = Path(args.labels).read_text(encoding="utf-8").splitlines()
    images = np.stack([preprocess(path, args.resize, args.crop, args.mean, args.std, args.bgr)
                       for path in args.images])  # fmt: skip
    _, model = load_named(args.model, (3, args.crop, args.crop), args.threads)
    rows = probabilities(model(images))
    for path, row in zip(args.images, rows, strict=True):
        print(path)
        for rank, (index, name, p) in enumerate(top_k(row, args.top, names), start=1):
            print(f"  {rank}. {name:<32s} {p:7.4f}  (class {index})")
    return 0
