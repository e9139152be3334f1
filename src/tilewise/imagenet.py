"""ImageNet-style input preparation and top-k class names, for `tilewise predict`."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import numpy as np

from tilewise.errors import TilewiseError

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
RESIZE = 256  # short side before the centre crop
CROP = 224


@cache
def class_names() -> list[str]:
    """The 1000 ImageNet-1k class names, in the usual index order."""
    return (Path(__file__).parent / "data" / "imagenet_classes.txt").read_text().splitlines()


def preprocess(
    image,
    resize: int = RESIZE,
    crop: int = CROP,
    mean: tuple[float, ...] = IMAGENET_MEAN,
    std: tuple[float, ...] = IMAGENET_STD,
    bgr: bool = False,
) -> np.ndarray:
    """A file path or PIL image -> float32 (3, crop, crop): the short side resized to
    `resize` (bilinear), a centred crop, values scaled to [0, 1], then (x - mean) / std."""
    if crop > resize:
        raise TilewiseError(f"crop {crop} is larger than the resized short side {resize}")
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError:
        raise TilewiseError("reading images needs Pillow: pip install pillow") from None
    name = str(image) if isinstance(image, str | os.PathLike) else "image"
    try:
        if not isinstance(image, Image.Image):
            image = Image.open(image)
        image = to_rgb(image)  # decodes: damage shows here
    except Image.DecompressionBombError as error:
        raise TilewiseError(f"{name}: image refused: {error}") from None
    except UnidentifiedImageError:  # its text names a path or a stream: say the same for both
        raise TilewiseError(f"{name}: not a readable image (unknown format, or not an "
                            "image)") from None  # fmt: skip
    except Exception as error:  # Pillow's decoders raise OSError, SyntaxError, struct.error...
        raise TilewiseError(f"{name}: not a readable image ({type(error).__name__}: "
                            f"{error})") from None  # fmt: skip
    width, height = image.size
    ratio = resize / min(width, height)
    image = image.resize((round(width * ratio), round(height * ratio)), Image.BILINEAR)
    width, height = image.size
    left, top = (width - crop) // 2, (height - crop) // 2
    pixels = np.asarray(image.crop((left, top, left + crop, top + crop)), np.float32) / 255.0
    if bgr:
        pixels = pixels[:, :, ::-1]
    pixels = (pixels - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)
    return np.ascontiguousarray(pixels.transpose(2, 0, 1), np.float32)


def to_rgb(image):
    """8-bit RGB from any mode Pillow opens: 16-bit and 32-bit grey scaled (Pillow's own
    conversion clips them at 255, turning most of a 16-bit photo white), CMYK and palettes
    converted, transparency composited over white (as the image shows on a white page)."""
    from PIL import Image

    if image.mode.startswith("I;16") or image.mode == "I":
        grey = np.asarray(image, np.float64) / 257.0
        image = Image.fromarray(np.clip(grey + 0.5, 0, 255).astype(np.uint8), "L")
    elif image.mode == "F":
        image = Image.fromarray(np.clip(np.asarray(image) + 0.5, 0, 255).astype(np.uint8), "L")
    if image.mode == "P" and "transparency" in image.info or image.mode in ("PA", "LA", "RGBA"):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return image.convert("RGB")


def probabilities(scores: np.ndarray) -> np.ndarray:
    """Rows of class scores as probabilities: a softmax unless they already are."""
    scores = scores.reshape(scores.shape[0], -1).astype(np.float64)
    if scores.min() >= 0 and np.allclose(scores.sum(axis=1), 1, atol=1e-3):
        return scores
    shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def top_k(row: np.ndarray, k: int = 5, names: list[str] | None = None) -> list[tuple]:
    """(index, name, probability) of the k most likely classes of one row."""
    names = names if names is not None else class_names()
    order = np.argsort(-row)[:k]
    return [(int(i), names[i] if i < len(names) else f"class {i}", float(row[i])) for i in order]
