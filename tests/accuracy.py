"""The two error measures for fast convolution, against the float64 reference.

- NNPACK's: inputs and kernels from U(-0.1, 1); per run the worst relative error over all
  outputs, |y - ref| / |ref|; the median over runs.
- Zero-mean: inputs U(-1, 1), Xavier-scaled kernels; max |y - ref| / max |ref|.
"""

from __future__ import annotations

import numpy as np
from reference import conv2d

from tilewise.conv.registry import ALGORITHMS, applicable
from tilewise.ir.attrs import resolve
from tilewise.ir.ops import CONVOLUTION, conv_output_hw

RUNS = 3


def model_limit(model) -> float:
    """A compiled model's error limit (max |y - ref| / max |ref| on its logits): the per-layer
    limit of the least exact convolution algorithm it uses. Errors relative to the largest
    output do not grow with depth (measured on the zoo: 3e-7 to 1.8e-6 on logits)."""
    used = {row["algorithm"] for row in model.layers() if row["op"] == "Convolution"}
    return max(
        [ALGORITHMS[name].error_limit for name in used] + [ALGORITHMS["im2col-gemm"].error_limit]
    )


def _attrs(shape) -> dict:
    return resolve(CONVOLUTION.attrs, {**shape.attrs, "no_bias": True})


def _run(algorithm, attrs, weight, x) -> np.ndarray:
    oh, ow = conv_output_hw(attrs, x.shape[2], x.shape[3])
    out_shape = (x.shape[0], attrs["num_filter"], oh, ow)
    impl = algorithm.create(attrs, weight, None, x.shape, out_shape)
    out = np.empty(out_shape, np.float32)
    impl.run(x, out, np.empty(max(impl.scratch, 1), np.float32))
    return out


def measure(shape, algorithms=None, seed: int = 0) -> dict[str, tuple[float, float]]:
    """algorithm name -> (NNPACK measure, zero-mean measure) for one layer at batch 1."""
    attrs = _attrs(shape)
    in_shape = (1, shape.channels, shape.height, shape.width)
    chosen = algorithms or [a.name for a in applicable(attrs, in_shape)]
    kernel_shape = (shape.filters, shape.channels, *shape.kernel)
    rng = np.random.default_rng(seed)
    nnpack = {name: [] for name in chosen}
    for _ in range(RUNS):
        x = rng.uniform(-0.1, 1.0, in_shape).astype(np.float32)
        w = rng.uniform(-0.1, 1.0, kernel_shape).astype(np.float32)
        ref = conv2d(x.astype(np.float64), w.astype(np.float64), None, shape.stride, shape.pad)
        for name in chosen:
            y = _run(ALGORITHMS[name], attrs, w, x)
            nnpack[name].append(float(np.max(np.abs(y - ref) / np.abs(ref))))
    fan_in = shape.channels * shape.kernel[0] * shape.kernel[1]
    x = rng.uniform(-1, 1, in_shape).astype(np.float32)
    w = (rng.uniform(-1, 1, kernel_shape) * np.sqrt(3 / fan_in)).astype(np.float32)
    ref = conv2d(x.astype(np.float64), w.astype(np.float64), None, shape.stride, shape.pad)
    result = {}
    for name in chosen:
        y = _run(ALGORITHMS[name], attrs, w, x)
        zero_mean = float(np.max(np.abs(y - ref)) / np.max(np.abs(ref)))
        result[name] = (float(np.median(nnpack[name])), zero_mean)
    return result
