"""FullyConnected: one BLAS GEMM against the weight as stored (a split GEMV at small batch),
then bias and activation."""

from __future__ import annotations

import numpy as np

from tilewise.kernels.activation import CODES, NONE, bias_act
from tilewise.kernels.gemv import MAX_ROWS, gemv
from tilewise.kernels.matmul import matmul
from tilewise.operators.base import Operator


class FullyConnected(Operator):
    def __init__(self, attrs: dict, weight: np.ndarray, bias: np.ndarray | None, batch: int):
        self.weight_t = np.ascontiguousarray(weight, np.float32).T  # BLAS reads it transposed
        self.bias = np.zeros(weight.shape[0], np.float32) if bias is None else bias.copy()
        self.act = CODES[attrs.get("act")]
        self.has_bias = bias is not None
        self.flops = 2 * batch * weight.size
        # flatten=False keeps the leading axes as rows: more than the batch
        self.small = batch <= MAX_ROWS and attrs.get("flatten", True)
        self.algorithm = "gemv" if self.small else "gemm"

    def run(self, inputs, out, scratch):
        rows = out.reshape(-1, out.shape[-1])  # flatten=False applies to the last axis only
        x = inputs[0].reshape(rows.shape[0], -1)
        if self.small and rows.shape[0] <= MAX_ROWS and x.flags.c_contiguous:
            gemv(self.weight_t.T, x, rows)
        else:
            matmul(x, self.weight_t, out=rows)
        if self.act != NONE:
            bias_act(rows.reshape(rows.shape[0], rows.shape[1], 1), self.bias, self.act)
        elif self.has_bias:  # NumPy's add: no kernel to compile for a classifier's bias
            np.add(rows, self.bias, out=rows)  # (bias_act and its activations: ~2.4 s)
