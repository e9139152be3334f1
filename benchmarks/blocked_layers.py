"""The channel-blocked kernel against the NCHW algorithms, layer by layer: every distinct conv
shape of the networks named, timed in interleaved rounds in one process.

    python benchmarks/blocked_layers.py --networks resnet-50,inception-v3 --batch-sizes 1,16

Per layer: nchwc-direct on blocked input and output (as inside a blocked region; NCHW input
read in place where it is narrower than a block), the best NCHW algorithm (with and
without the two reorders it would cost inside a blocked region), onnxruntime on a
single-Conv ONNX file where onnxruntime is installed, and each one's GFLOP/s.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

import numpy as np

import tilewise
from tilewise.conv.nchwc import BlockedConvolution, blocked_shape
from tilewise.conv.registry import applicable
from tilewise.host import simd_width
from tilewise.ir.attrs import resolve
from tilewise.ir.ops import CONVOLUTION, conv_output_hw
from tilewise.kernels.blocked import from_blocked, to_blocked
from tilewise.zoo.layers import conv_shapes

WARM_SECONDS = 0.1  # the first calls after another runtime ran are slow (caches, idle threads)


def best_time(run, rounds: int) -> float:
    began = time.perf_counter()
    while time.perf_counter() - began < WARM_SECONDS:
        run()
    return min(_timed(run) for _ in range(rounds))


def _timed(run) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def ort_session(attrs, weight, in_shape, threads):
    try:
        import onnx
        import onnxruntime as ort
    except ImportError:
        return None
    helper = onnx.helper
    (ph, pw), (sh, sw) = attrs["pad"], attrs["stride"]
    node = helper.make_node("Conv", ["x", "w"], ["y"], kernel_shape=list(attrs["kernel"]),
                            pads=[ph, pw, ph, pw], strides=[sh, sw])  # fmt: skip
    graph = helper.make_graph(
        [node], "conv", [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, in_shape)],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, None)],
        [onnx.numpy_helper.from_array(weight, "w")],
    )  # fmt: skip
    path = Path(tempfile.mkdtemp()) / "conv.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    # ORT's default (its threads spin between parallel sections): without spinning each of
    # its sections waited for a wake-up (measured: 1x1 1024->256 @14 on 2 threads 252 ->
    # 310 GFLOP/s). Each runtime's timing starts after WARM_SECONDS of its own runs, so the
    # other's spinning threads have stopped by then.
    options.add_session_config_entry("session.intra_op.allow_spinning", "1")
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def measure_layer(shape, batch: int, threads: int, c: int, rounds: int):
    """(seconds per algorithm, (best NCHW seconds, its name), reorder seconds, flops)."""
    attrs = resolve(CONVOLUTION.attrs, {**shape.attrs, "no_bias": True})
    in_shape = (batch, shape.channels, shape.height, shape.width)
    out_shape = (batch, shape.filters, *conv_output_hw(attrs, *in_shape[2:]))
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, in_shape).astype(np.float32)
    w = rng.uniform(-0.1, 0.1, (shape.filters, shape.channels, *shape.kernel)).astype(np.float32)
    flops = 2 * math.prod(out_shape) * shape.channels * math.prod(shape.kernel)
    wide = shape.channels > c
    blocked = BlockedConvolution(attrs, w, None, in_shape, out_shape, input_blocked=wide,
                                 output_blocked=True)  # fmt: skip
    xb = np.zeros(blocked_shape(in_shape, c), np.float32)
    to_blocked(x, xb)
    yb = np.empty(blocked_shape(out_shape, c), np.float32)
    scratch = np.empty(max(blocked.scratch, 1), np.float32)
    source = xb if wide else x
    times = {"nchwc": best_time(lambda: blocked.run(source, yb, scratch), rounds)}
    out = np.empty(out_shape, np.float32)
    for algorithm in applicable(attrs, in_shape):
        if not algorithm.blocked:
            impl = algorithm.create(attrs, w, None, in_shape, out_shape)
            work = np.empty(max(impl.scratch, 1), np.float32)
            times[algorithm.name] = best_time(lambda i=impl, s=work: i.run(x, out, s), rounds)
    nchw = min((t, n) for n, t in times.items() if n != "nchwc")
    reorders = best_time(lambda: to_blocked(x, xb), rounds)
    reorders += best_time(lambda: from_blocked(yb, out), rounds)
    session = ort_session(attrs, w, in_shape, threads)
    if session is not None:
        times["ort"] = best_time(lambda: session.run(None, {"x": x}), rounds)
        tilewise.set_threads(threads)
    return times, nchw, reorders, flops


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--networks", default="resnet-50,inception-v3")
    parser.add_argument("--batch-sizes", default="1,16")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    threads = tilewise.set_threads(args.threads)
    c = simd_width()
    print(f"block {c}, {threads} threads; ms (GFLOP/s)")
    for batch in [int(b) for b in args.batch_sizes.split(",")]:
        totals: dict[str, float] = {}
        for network in args.networks.split(","):
            for shape in conv_shapes(network):
                times, nchw, reorders, flops = measure_layer(shape, batch, threads, c, args.rounds)
                cells = [f"nchwc {times['nchwc'] * 1e3:.3f} ({flops / times['nchwc'] / 1e9:.0f})",
                         f"{nchw[1]} {nchw[0] * 1e3:.3f} ({flops / nchw[0] / 1e9:.0f})",
                         f"+reorders {(nchw[0] + reorders) * 1e3:.3f}"]  # fmt: skip
                if "ort" in times:
                    cells.append(f"ort {times['ort'] * 1e3:.3f} ({flops / times['ort'] / 1e9:.0f})")
                print(f"b{batch} {shape.label()}: " + "  ".join(cells), flush=True)
                for key, value in (("nchwc", times["nchwc"]), ("nchw-best", nchw[0]),
                                   ("ort", times.get("ort", 0.0))):  # fmt: skip
                    totals[f"{network} {key}"] = totals.get(f"{network} {key}", 0.0) + value
        for key, value in totals.items():
            print(f"b{batch} total {key}: {value * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
