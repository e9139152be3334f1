"""1x1 stride-1 convolution as a plain GEMM: the input already is the right operand."""

from __future__ import annotations

from tilewise.conv.algorithm import ConvAlgorithm
from tilewise.conv.gemm import GemmConvolution, gemm_estimate
from tilewise.ir.ops import asymmetric

# max |y - ref| / max |ref| on zero-mean data over tests/test_conv_accuracy.py's layers:
# measured worst 3.8e-7 (inception-bn's 1x1 layers), limit with a 2.5x margin
ERROR_LIMIT = 1e-6


def why_not(attrs: dict, in_shape: tuple) -> str | None:
    if attrs["kernel"] != (1, 1):
        return f"kernel {attrs['kernel']} is not 1x1"
    if attrs["stride"] != (1, 1) or attrs["pad"] != (0, 0) or asymmetric(attrs):
        return f"stride {attrs['stride']} / pad {attrs['pad']} is not 1 / 0"
    return None


DIRECT_1X1 = ConvAlgorithm(
    name="direct-1x1",
    summary="1x1 stride 1: the input is the GEMM operand, no im2col",
    priority=20,
    plain=True,
    why_not=why_not,
    estimate=lambda attrs, i, o, threads: gemm_estimate(attrs, i, o, threads, copies=False),
    create=lambda *args: GemmConvolution(*args, direct=True),
    error_limit=ERROR_LIMIT,
)
