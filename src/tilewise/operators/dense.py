"""FullyConnected: a split GEMV at 1-2 rows; above it the channel-blocked 1x1 kernel on
images of one pixel (weights packed once, as onnxruntime's MLAS pre-packs its B); BLAS
where the rows are not the batch (flatten=False)."""

from __future__ import annotations

import numpy as np

from tilewise.conv.nchwc import BlockedConvolution
from tilewise.host import simd_width
from tilewise.ir.attrs import resolve
from tilewise.ir.ops import CONVOLUTION
from tilewise.kernels.activation import CODES, NONE, bias_act
from tilewise.kernels.gemv import MAX_ROWS, gemv
from tilewise.kernels.matmul import matmul
from tilewise.operators.base import Operator

# rows up to which the GEMV beats the blocked kernel: measured 2 threads, 2048->1000 at 2 /
# 3 / 4 rows 0.115 / 0.168 / 0.208 ms against 0.134 / 0.140 / 0.145
GEMV_ROWS = min(2, MAX_ROWS)


class FullyConnected(Operator):
    def __init__(self, attrs: dict, weight: np.ndarray, bias: np.ndarray | None, batch: int):
        filters, depth = weight.shape
        self.act = CODES[attrs.get("act")]
        self.has_bias = bias is not None
        self.bias = np.zeros(filters, np.float32) if bias is None else bias.copy()
        self.flops = 2 * batch * weight.size
        flatten = attrs.get("flatten", True)
        # flatten=False keeps the leading axes as rows: more than the batch
        self.small = batch <= GEMV_ROWS and flatten
        self.blocked: BlockedConvolution | None = None
        if flatten and not self.small:
            # BLAS packed the whole weight on every call: measured 2 threads, batch 16,
            # 1280->1000 0.39 -> 0.31 ms, 2048->1000 1.08 -> 0.44, 9216->4096 20.2 -> 7.1
            conv = resolve(CONVOLUTION.attrs, {"kernel": (1, 1), "num_filter": filters,
                                               "act": attrs.get("act")})  # fmt: skip
            self.in_block = simd_width()
            self.blocked = BlockedConvolution(
                conv, weight.reshape(filters, depth, 1, 1).astype(np.float32), bias,
                (batch, depth, 1, 1), (batch, filters, 1, 1),
                input_blocked=depth % self.in_block == 0, output_blocked=False,
            )  # fmt: skip
            self.scratch = self.blocked.scratch
            self.algorithm = "nchwc-direct"
        else:  # BLAS reads the weight transposed
            self.weight_t = np.ascontiguousarray(weight, np.float32).T
            self.algorithm = "gemv" if self.small else "gemm"

    def run(self, inputs, out, scratch):
        rows = out.reshape(-1, out.shape[-1])  # flatten=False applies to the last axis only
        x = inputs[0].reshape(rows.shape[0], -1)
        if self.blocked is not None:
            self._run_blocked(np.ascontiguousarray(x), rows, scratch)
            return
        if self.small and rows.shape[0] <= MAX_ROWS and x.flags.c_contiguous:
            gemv(self.weight_t.T, x, rows)
        else:
            matmul(x, self.weight_t, out=rows)
        if self.act != NONE:
            bias_act(rows.reshape(rows.shape[0], rows.shape[1], 1), self.bias, self.act)
        elif self.has_bias:  # NumPy's add: no kernel to compile for a classifier's bias
            np.add(rows, self.bias, out=rows)  # (bias_act and its activations: ~2.4 s)

    def _run_blocked(self, x: np.ndarray, rows: np.ndarray, scratch: np.ndarray) -> None:
        """Rows of `depth` features are images of one pixel: NCHW and NCHWc are the same
        memory when the features fill whole blocks (else the kernel reorders them)."""
        batch, depth = x.shape
        c = self.in_block
        image = x.reshape(batch, depth // c, 1, 1, c) if depth % c == 0 else x[:, :, None, None]
        self.blocked.run(image, rows.reshape(batch, -1, 1, 1), scratch)
