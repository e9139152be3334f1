"""Peer runtimes behind one interface: load an ONNX file, return a callable on float32 NCHW.

tilewise itself runs the zoo graph (the same weights the ONNX file carries). PyTorch runs
the ONNX graph through tilewise's own small converter (bench/onnx_torch.py).
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable

import numpy as np

PEERS = ("onnxruntime", "openvino", "torch")


def version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def missing(runtime: str) -> str | None:
    """Why `runtime` cannot run here, or None."""
    needs = {"onnxruntime": ["onnxruntime"], "openvino": ["openvino"],
             "torch": ["torch", "onnx"]}.get(runtime, [])  # fmt: skip
    absent = [p for p in needs if version(p) is None]
    return f"not installed ({', '.join(absent)})" if absent else None


def runtime_version(runtime: str) -> str:
    if runtime.startswith("tilewise"):
        from tilewise.version import __version__

        return __version__
    return version("torch" if runtime == "torch" else runtime) or "?"


def load(runtime: str, onnx_path: str, network: str, batch: int, threads: int,
         model: str = "", input_shape: tuple[int, ...] | None = None,
         ) -> Callable[[np.ndarray], np.ndarray]:  # fmt: skip
    """`model`: a model file tilewise runs instead of the zoo network (the peers' file)."""
    if runtime.startswith("tilewise"):
        import tilewise

        algo = runtime.split("-", 1)[1] if "-" in runtime else "auto"
        if model:
            return tilewise.load(model, input_shape=input_shape, threads=threads, algo=algo)
        return tilewise.compile(tilewise.zoo.get(network), batch_size=batch, threads=threads,
                                algo=algo)  # fmt: skip
    if runtime == "onnxruntime":
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        session = ort.InferenceSession(onnx_path, options, providers=["CPUExecutionProvider"])
        name = session.get_inputs()[0].name
        return lambda x: session.run(None, {name: x})[0]
    if runtime == "openvino":
        import openvino as ov

        core = ov.Core()
        # float32 like everyone else: on CPUs with bf16 OpenVINO otherwise computes in bf16
        config = {"INFERENCE_NUM_THREADS": threads, "PERFORMANCE_HINT": "LATENCY",
                  "INFERENCE_PRECISION_HINT": "f32"}  # fmt: skip
        compiled = core.compile_model(onnx_path, "CPU", config)
        request = compiled.create_infer_request()
        return lambda x: request.infer({0: x})[compiled.output(0)]
    if runtime == "torch":
        import onnx
        import torch

        from tilewise.bench.onnx_torch import convert

        torch.set_num_threads(threads)
        return convert(onnx.load(onnx_path))
    raise ValueError(f"unknown runtime '{runtime}'")
