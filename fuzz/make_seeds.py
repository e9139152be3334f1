"""Write fuzz/seeds/{onnx,params,symbol,image}: real files the harnesses start from."""

import io
import shutil
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "tests" / "data" / "mxnet"


def main() -> None:
    import tilewise
    from tilewise.frontend.onnx_export import export_onnx

    seeds = {name: HERE / "seeds" / name for name in ("onnx", "params", "symbol", "image")}
    for folder in seeds.values():
        folder.mkdir(parents=True, exist_ok=True)
    export_onnx(tilewise.zoo.get("tiny"), str(seeds["onnx"] / "tiny.onnx"))
    for name in ("ops_conv", "ops_merge", "ops_softmax"):
        shape = np.load(DATA / f"{name}-io.npz")["x"].shape[1:]
        model = tilewise.load(str(DATA / name), input_shape=shape)
        export_onnx(model.graph, str(seeds["onnx"] / f"{name}.onnx"))
        shutil.copy(DATA / f"{name}-symbol.json", seeds["symbol"] / f"{name}.json")
    for name in ("ops_fc3d-0000.params", "ops_merge-0000.params", "dtypes.nd", "list.nd"):
        shutil.copy(DATA / name, seeds["params"] / name)
    from PIL import Image

    rgb = (np.random.default_rng(0).uniform(0, 255, (20, 24, 3))).astype(np.uint8)
    for mode, fmt in [
        ("RGB", "JPEG"),
        ("RGB", "PNG"),
        ("P", "PNG"),
        ("RGBA", "WEBP"),
        ("L", "BMP"),
        ("CMYK", "TIFF"),
        ("I;16", "PNG"),
    ]:
        image = Image.fromarray(rgb)
        image = (
            image.convert("L").point(lambda v: v * 257, "I").convert("I;16")
            if mode == "I;16"
            else image.convert(mode)
        )
        buffer = io.BytesIO()
        image.save(buffer, fmt)
        (seeds["image"] / f"{mode.replace(';', '')}.{fmt.lower()}").write_bytes(buffer.getvalue())
    print("seeds in", HERE / "seeds")


if __name__ == "__main__":
    main()
