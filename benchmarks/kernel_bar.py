"""The kernel bar: the blocked pointwise and direct kernels against one core's sgemm rate and
onnxruntime's own Conv on the same layers, 1 and 2 threads, interleaved rounds.

    python benchmarks/kernel_bar.py --rounds 5

sgemm: numpy matmul 1024^3 with that many BLAS threads. onnxruntime: a single-Conv ONNX file,
intra_op_num_threads = threads. Batch 1, blocked input and output (as inside a network).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from blocked_layers import best_time, ort_session
from threadpoolctl import threadpool_limits

import tilewise
from tilewise.bench.machine import describe
from tilewise.conv.nchwc import BlockedConvolution, blocked_shape
from tilewise.host import simd_width
from tilewise.ir.attrs import resolve
from tilewise.ir.ops import CONVOLUTION, conv_output_hw
from tilewise.kernels.blocked import to_blocked

# (channels, filters, size, kernel, pad)
LAYERS = [(256, 64, 56, 1, 0), (1024, 256, 14, 1, 0), (256, 256, 14, 3, 1), (64, 64, 56, 3, 1)]


def sgemm_rate(threads: int) -> float:
    a = np.random.default_rng(0).random((1024, 1024), dtype=np.float32)
    with threadpool_limits(threads, user_api="blas"):
        return 2 * 1024**3 / best_time(lambda: a @ a, 5) / 1e9


def contenders(layer, threads: int):
    channels, filters, size, k, pad = layer
    attrs = resolve(CONVOLUTION.attrs, {"kernel": (k, k), "pad": (pad, pad),
                                        "num_filter": filters, "no_bias": True})  # fmt: skip
    in_shape = (1, channels, size, size)
    out_shape = (1, filters, *conv_output_hw(attrs, size, size))
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, in_shape).astype(np.float32)
    w = rng.uniform(-0.1, 0.1, (filters, channels, k, k)).astype(np.float32)
    c = simd_width()
    conv = BlockedConvolution(attrs, w, None, in_shape, out_shape, input_blocked=True,
                              output_blocked=True)  # fmt: skip
    xb = np.empty(blocked_shape(in_shape, c), np.float32)
    to_blocked(x, xb)
    yb = np.empty(blocked_shape(out_shape, c), np.float32)
    scratch = np.empty(max(conv.scratch, 1), np.float32)
    runs = {"tilewise": lambda: conv.run(xb, yb, scratch)}
    session = ort_session(attrs, w, in_shape, threads)
    if session is not None:
        runs["onnxruntime"] = lambda: session.run(None, {"x": x})
    return runs, 2 * filters * channels * k * k * out_shape[2] * out_shape[3]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    machine = describe(1)
    print(f"{machine['cpu']}, SIMD flags {machine['cpu_flags']}, block {simd_width()}; "
          f"numba {machine['numba']}, BLAS {machine['blas']}")  # fmt: skip
    peaks = {threads: sgemm_rate(threads) for threads in (1, 2)}
    # OpenBLAS's idle workers spin on after a multi-threaded call and take a core from
    # Numba's second thread (measured: 3x3 256->256 @14 on 2 threads 240 -> 87 GFLOP/s)
    time.sleep(1.0)
    for threads, peak in peaks.items():
        tilewise.set_threads(threads)
        print(f"\n{threads} thread(s): sgemm 1024^3 {peak:.1f} GFLOP/s")
        for layer in LAYERS:
            runs, flops = contenders(layer, threads)
            rates: dict[str, list[float]] = {name: [] for name in runs}
            for _ in range(args.rounds):
                for name, run in runs.items():
                    tilewise.set_threads(threads)
                    rates[name].append(flops / best_time(run, 10) / 1e9)
            median = {name: float(np.median(r)) for name, r in rates.items()}
            channels, filters, size, k, _ = layer
            cells = [f"{name} {rate:6.1f} GFLOP/s ({100 * rate / peak:3.0f}% of sgemm)"
                     for name, rate in median.items()]  # fmt: skip
            if "onnxruntime" in median:
                cells.append(f"tilewise/ort {median['tilewise'] / median['onnxruntime']:.2f}x")
            print(f"  {k}x{k} {channels}->{filters} @{size}x{size}: " + "  ".join(cells))


if __name__ == "__main__":
    main()
