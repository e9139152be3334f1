"""A thin `onnx.backend.base.Backend` over tilewise, for ONNX's own backend test suite.

tilewise runs a model with one float32 input (and any number of outputs); the suite's
node tests feed weights
(a Conv's W, an Add's second operand) as graph inputs. So the first input is the data
and every further input is bound as a constant at run time, as an initializer would be.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import numpy_helper
from onnx.backend.base import Backend, BackendRep

from tilewise.errors import InputError, TilewiseError
from tilewise.frontend.onnx_import import OnnxModel
from tilewise.runtime.compiler import compile_graph


class TilewiseRep(BackendRep):
    def __init__(self, model: onnx.ModelProto, algo: str = "auto") -> None:
        self.model = model
        self.algo = algo
        initialized = {t.name for t in model.graph.initializer}
        self.inputs = [i.name for i in model.graph.input if i.name not in initialized]

    def run(self, inputs, **kwargs) -> tuple[np.ndarray, ...]:
        if isinstance(inputs, dict):
            inputs = [inputs[name] for name in self.inputs]
        elif isinstance(inputs, np.ndarray):
            inputs = [inputs]
        inputs = list(inputs)
        if not self.inputs:
            raise TilewiseError(f"{self.model.graph.name}: the graph has no input (a constant "
                                "graph); tilewise runs models with one float32 input")  # fmt: skip
        if len(inputs) != len(self.inputs):
            raise InputError(f"the model has inputs {self.inputs}, got {len(inputs)} arrays")
        data = np.asarray(inputs[0])
        if data.dtype != np.float32 or data.ndim == 0:
            raise InputError(f"input '{self.inputs[0]}' must be float32 with a batch "
                             f"dimension, got {data.dtype} of shape {data.shape}")  # fmt: skip
        model = onnx.ModelProto()
        model.CopyFrom(self.model)
        for name, value in zip(self.inputs[1:], inputs[1:], strict=True):
            model.graph.initializer.append(numpy_helper.from_array(np.asarray(value), name))
        source = OnnxModel(model, input_shape=data.shape[1:])
        compiled = compile_graph(source.graph(data.shape[0]), batch_size=data.shape[0],
                                 algo=self.algo)  # fmt: skip
        outputs = compiled.run_outputs(np.ascontiguousarray(data))
        return tuple(value.astype(source.output_dtypes.get(name, value.dtype))
                     for name, value in outputs.items())  # fmt: skip


class TilewiseBackend(Backend):
    @classmethod
    def is_compatible(cls, model: onnx.ModelProto, device: str = "CPU", **kwargs) -> bool:
        return device == "CPU"

    @classmethod
    def prepare(cls, model: onnx.ModelProto, device: str = "CPU", **kwargs) -> TilewiseRep:
        super().prepare(model, device, **kwargs)  # runs the ONNX checker
        return TilewiseRep(model, kwargs.get("algo", "auto"))

    @classmethod
    def supports_device(cls, device: str) -> bool:
        return device == "CPU"
