"""Layer benchmark: every distinct conv shape of VGG-16, AlexNet, Inception-BN, Inception-v3
and ResNet-50, each applicable algorithm timed against the plain GEMM path and, where
PyTorch is installed, torch.nn.functional.conv2d, side by side in one process.

    python benchmarks/layers.py --batch-sizes 1,16 --threads 2 [--networks vgg-16]

Prints milliseconds per layer and speedups over gemm; the last lines sum each network.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import tilewise
from tilewise.conv.registry import applicable, plain_choice
from tilewise.ir.attrs import resolve
from tilewise.ir.ops import CONVOLUTION, conv_output_hw
from tilewise.plan.select import select_convolution
from tilewise.zoo.layers import conv_shapes

NETWORKS = "vgg-16,alexnet,inception-bn,inception-v3,resnet-50"


def best_of(run, repeats: int = 5) -> float:
    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def torch_conv(shape, weight, x, threads):
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    tx, tw = torch.from_numpy(x), torch.from_numpy(weight)
    with torch.inference_mode():
        return best_of(lambda: torch.nn.functional.conv2d(tx, tw, None, shape.stride, shape.pad))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--networks", default=NETWORKS)
    parser.add_argument("--batch-sizes", default="1,16")
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    threads = tilewise.set_threads(args.threads)
    for batch in [int(b) for b in args.batch_sizes.split(",")]:
        totals: dict[str, dict[str, float]] = {}
        for network in args.networks.split(","):
            for shape in conv_shapes(network):
                attrs = resolve(CONVOLUTION.attrs, {**shape.attrs, "no_bias": True})
                in_shape = (batch, shape.channels, shape.height, shape.width)
                out_shape = (batch, shape.filters, *conv_output_hw(attrs, *in_shape[2:]))
                rng = np.random.default_rng(0)
                x = rng.uniform(-1, 1, in_shape).astype(np.float32)
                w = rng.uniform(-0.1, 0.1, (shape.filters, shape.channels, *shape.kernel))
                w = w.astype(np.float32)
                out = np.empty(out_shape, np.float32)
                times = {}
                for algorithm in applicable(attrs, in_shape):
                    impl = algorithm.create(attrs, w, None, in_shape, out_shape)
                    scratch = np.empty(max(impl.scratch, 1), np.float32)
                    tilewise.set_threads(threads)
                    times[algorithm.name] = best_of(
                        lambda i=impl, s=scratch, a=x, o=out: i.run(a, o, s)
                    )
                base = times[plain_choice(attrs, in_shape).name]
                auto = select_convolution(attrs, in_shape, out_shape, "auto", threads)[0].name
                peer = torch_conv(shape, w, x, threads)
                tilewise.set_threads(threads)
                cells = "  ".join(f"{n} {t * 1e3:.2f} ({base / t:.2f}x)" for n, t in times.items())
                torch_cell = f"  torch {peer * 1e3:.2f}" if peer else ""
                print(f"b{batch} {shape.label()}: {cells}{torch_cell}  auto={auto}", flush=True)
                sums = totals.setdefault(network, {"gemm": 0.0, "auto": 0.0, "best": 0.0,
                                                   "torch": 0.0})  # fmt: skip
                sums["gemm"] += base
                sums["auto"] += times[auto]
                sums["best"] += min(times.values())
                sums["torch"] += peer or 0.0
        for network, sums in totals.items():
            print(
                f"b{batch} {network} conv total: gemm {sums['gemm'] * 1e3:.1f} ms, auto "
                f"{sums['auto'] * 1e3:.1f} ms ({sums['gemm'] / sums['auto']:.2f}x), best "
                f"{sums['best'] * 1e3:.1f} ms, torch {sums['torch'] * 1e3:.1f} ms"
            )


if __name__ == "__main__":
    main()
