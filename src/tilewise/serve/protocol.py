"""The Open Inference Protocol's infer request and response (KServe v2, JSON and the binary
tensor data extension), checked against one served model. Errors carry their HTTP status."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np

from tilewise.serve.models import ServedModel

HEADER_LENGTH = "Inference-Header-Content-Length"


class ProtocolError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class InferRequest:
    images: np.ndarray
    binary_output: bool
    request_id: str | None


def _bad(message: str) -> ProtocolError:
    return ProtocolError(400, message)


def _split_body(body: bytes, header_length: str | None) -> tuple[bytes, bytes]:
    if header_length is None:
        return body, b""
    try:
        length = int(header_length)
    except ValueError:
        raise _bad(f"{HEADER_LENGTH} '{header_length}' is not a number") from None
    if not 0 <= length <= len(body):
        raise _bad(f"{HEADER_LENGTH} {length} outside the body's {len(body)} bytes")
    return body[:length], body[length:]


def parse_infer(body: bytes, header_length: str | None, served: ServedModel) -> InferRequest:
    json_part, binary = _split_body(body, header_length)
    try:
        request = json.loads(json_part)
    except (ValueError, UnicodeDecodeError) as error:
        raise _bad(f"request body is not valid JSON: {error}") from None
    if not isinstance(request, dict) or not isinstance(request.get("inputs"), list):
        raise _bad("request must be a JSON object with an 'inputs' list")
    inputs = request["inputs"]
    names = [i.get("name") if isinstance(i, dict) else None for i in inputs]
    if names != [served.input_name]:
        raise _bad(f"model '{served.name}' takes one input, '{served.input_name}'; got {names}")
    images, used = _tensor(inputs[0], binary, served)
    if used != len(binary):
        raise _bad(f"{len(binary) - used} bytes of binary data are not claimed by any input")
    return InferRequest(images, _binary_output(request, served), request.get("id"))


def _tensor(spec: dict, binary: bytes, served: ServedModel) -> tuple[np.ndarray, int]:
    name = spec["name"]
    if spec.get("datatype") != "FP32":
        raise _bad(
            f"input '{name}': datatype {spec.get('datatype')!r} not supported; the model takes FP32"
        )
    shape = spec.get("shape")
    expected = [-1, *served.input_shape]
    if (
        not isinstance(shape, list)
        or len(shape) != len(expected)
        or not all(isinstance(d, int) for d in shape)
        or shape[1:] != expected[1:]
        or shape[0] < 1
    ):
        raise _bad(f"input '{name}': shape {shape} does not match the model's {expected}")
    count = math.prod(shape)
    parameters = spec.get("parameters") or {}
    if "binary_data_size" in parameters:
        size = parameters["binary_data_size"]
        if size != count * 4:
            raise _bad(
                f"input '{name}': binary_data_size {size} but shape {shape} in FP32 "
                f"is {count * 4} bytes"
            )
        if len(binary) < size:
            raise _bad(
                f"input '{name}': binary_data_size {size} but only {len(binary)} "
                f"bytes follow the JSON header"
            )
        return np.frombuffer(binary[:size], "<f4").reshape(shape).astype(np.float32), size
    if "data" not in spec:
        raise _bad(f"input '{name}': no 'data' and no binary_data_size")
    try:
        values = np.asarray(spec["data"], np.float32)
    except (ValueError, TypeError):
        raise _bad(f"input '{name}': 'data' is not a (nested) list of numbers") from None
    if values.size != count:
        raise _bad(f"input '{name}': {values.size} values for shape {shape} (needs {count})")
    return values.reshape(shape), 0


def _binary_output(request: dict, served: ServedModel) -> bool:
    default = bool((request.get("parameters") or {}).get("binary_data_output", False))
    outputs = request.get("outputs")
    if outputs is None:
        return default
    if not isinstance(outputs, list):
        raise _bad("'outputs' must be a list")
    binary = default
    for output in outputs:
        name = output.get("name") if isinstance(output, dict) else None
        if name != served.output_name:
            raise _bad(
                f"model '{served.name}' has one output, '{served.output_name}'; got {name!r}"
            )
        parameters = output.get("parameters") or {}
        if parameters.get("classification"):
            raise _bad(
                "the classification extension is not supported; "
                f"POST an image to /v2/models/{served.name}/classify"
            )
        binary = bool(parameters.get("binary_data", default))
    return binary


def encode_infer(
    served: ServedModel, request: InferRequest, outputs: np.ndarray
) -> tuple[bytes, dict[str, str]]:
    """The response body and its headers."""
    tensor = {"name": served.output_name, "datatype": "FP32", "shape": list(outputs.shape)}
    if request.binary_output:
        raw = np.ascontiguousarray(outputs, "<f4").tobytes()
        tensor["parameters"] = {"binary_data_size": len(raw)}
    else:
        raw = b""
        tensor["data"] = outputs.reshape(-1).tolist()
    response = {"model_name": served.name, "model_version": "1", "outputs": [tensor]}
    if request.request_id is not None:
        response["id"] = request.request_id
    header = json.dumps(response, separators=(",", ":")).encode()
    if not raw:
        return header, {"content-type": "application/json"}
    return header + raw, {
        "content-type": "application/octet-stream",
        HEADER_LENGTH: str(len(header)),
    }
