"""Winograd F(m, r) along one axis, for 1 x r and r x 1 kernels on channel-blocked
activations: F(4, 3) for Inception-v3's 1x3 / 3x1 layers, 1.5 multiplies per output instead
of 3. A tile is m outputs along the kernel's axis; the products are the same tuple GEMM as
the 2-D algorithms', over m + r - 1 positions.

F(2, 7) for the 1x7 / 7x1 layers (4 multiplies instead of 7) was built and measured level
with the direct kernel inside the network, at batch 1 and 16 (the direct kernel runs those
at 85-95% of the FMA peak, and U is 8/7 of the weights): not kept.
"""

from __future__ import annotations

import numpy as np

from tilewise.conv.algorithm import ConvAlgorithm
from tilewise.conv.cost import weight_seconds
from tilewise.conv.nchwc_winograd import BlockedWinograd, tiled_seconds
from tilewise.conv.transform import tiled_why_not
from tilewise.kernels.nchwc_winograd_generated import KERNELS_1D
from tilewise.kernels.winograd_matrices import winograd_matrices

# measured / modelled time inside Inception-v3 against the direct kernel's estimate (8 layers,
# interleaved in one process): 1.24 at batch 16. At batch 1 U, twice the direct kernel's
# weights, streams from memory: 1x3 384->384 at 8x8 took 0.35 ms where the direct kernel
# took 0.24; the extra weight term below makes the estimate pick the direct kernel there.
MODEL_ERROR = 1.25


def _taps(kernel: tuple[int, int]) -> int:
    return kernel[1] if kernel[0] == 1 else kernel[0]


class BlockedWinograd1D(BlockedWinograd):
    def setup(self, m: int, attrs: dict, weight: np.ndarray, c: int) -> np.ndarray:
        kh, kw = attrs["kernel"]
        r = _taps((kh, kw))
        _, g, _ = winograd_matrices(m, r)
        along_w = kh == 1
        self.tile = (1, m) if along_w else (m, 1)
        self.positions = m + r - 1
        self.axis = (*self.tile, 0 if along_w else 1, 1 if along_w else 0)  # mh mw dy dx
        self.input_kernel, self.output_kernel = KERNELS_1D[(m, r, c)]
        taps = weight.reshape(*weight.shape[:2], r).astype(np.float64)
        return np.einsum("ai,kci->akc", g, taps)  # U[p] = G w along the axis, in float64


def blocked_winograd_1d(m: int, r: int, error_limit: float) -> ConvAlgorithm:
    def why_not(attrs: dict, in_shape: tuple) -> str | None:
        kernel = attrs["kernel"]
        if sorted(kernel) != [1, r]:
            return f"kernel {kernel} is not 1x{r} or {r}x1"
        if problem := tiled_why_not(attrs):
            return problem
        if attrs["pad"][0 if kernel[0] == 1 else 1] != 0:
            return f"pad {attrs['pad']} pads the kernel's 1-wide axis"
        if max(attrs["pad"]) >= r:
            return f"pad {attrs['pad']} is over {r - 1}"
        return None

    def estimate(attrs: dict, in_shape: tuple, out_shape: tuple, threads: int) -> float:
        tile = (1, m) if attrs["kernel"][0] == 1 else (m, 1)
        seconds = tiled_seconds(tile, m + r - 1, in_shape, out_shape, threads)
        u = (m + r - 1) * in_shape[1] * out_shape[1]
        return MODEL_ERROR * seconds + weight_seconds(u)

    return ConvAlgorithm(
        name=f"nchwc-winograd-f{m}-1x{r}",
        summary=f"channel-blocked Winograd F({m},{r}) along a 1x{r} or {r}x1 kernel, "
        f"{(m + r - 1) / m:.2f} multiplies per output instead of {r}",
        priority=20 + m,
        plain=False,
        why_not=why_not,
        estimate=estimate,
        create=lambda *args, **kwargs: BlockedWinograd1D(m, *args, **kwargs),
        error_limit=error_limit,
        blocked=True,
    )


NCHWC_WINOGRAD_F4_1X3 = blocked_winograd_1d(4, 3, error_limit=1e-5)
