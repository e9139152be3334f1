"""The shared loop of transform-domain convolution (Winograd, FFT): per chunk of images,
transform the input tiles, multiply per transform position, transform back.

A subclass packs its weights, sizes its chunk and scratch, and implements the two
transforms; the products and the phase profile are shared.
"""

from __future__ import annotations

import numpy as np

from tilewise.conv.algorithm import Convolution
from tilewise.conv.profile import PhaseProfile
from tilewise.ir.ops import asymmetric
from tilewise.kernels.matmul import matmul


def tiled_why_not(attrs: dict) -> str | None:
    """What every tiled transform needs: stride and dilation 1, one group, even padding."""
    if attrs["stride"] != (1, 1) or attrs["dilate"] != (1, 1):
        return f"stride {attrs['stride']} / dilate {attrs['dilate']} is not 1"
    if attrs["num_group"] != 1:
        return f"num_group {attrs['num_group']} is not 1"
    if asymmetric(attrs):
        return f"padding {attrs['pad']} / {attrs['pad_end']} is asymmetric"
    return None


class TransformConvolution(Convolution):
    u: np.ndarray  # transformed weights (positions, filters, channels)
    chunk: int  # images per chunk

    def views(self, scratch: np.ndarray, count: int, channels: int, filters: int):
        """(v, m): transformed input (positions, channels, tiles) and products
        (positions, filters, tiles) for `count` images, inside `scratch`."""
        raise NotImplementedError

    def input_transform(self, images: np.ndarray, v: np.ndarray) -> None:
        raise NotImplementedError

    def output_transform(self, m: np.ndarray, outputs: np.ndarray) -> None:
        raise NotImplementedError

    def run(self, x: np.ndarray, out: np.ndarray, scratch: np.ndarray,
            profile: PhaseProfile | None = None) -> None:  # fmt: skip
        batch, channels = x.shape[:2]
        filters = out.shape[1]
        for start in range(0, batch, self.chunk):
            count = min(self.chunk, batch - start)
            v, m = self.views(scratch, count, channels, filters)
            if profile:
                profile.start()
            self.input_transform(x[start : start + count], v)
            if profile:
                profile.lap("input transform")
            matmul(self.u, v, out=m)
            if profile:
                profile.lap("products")
            self.output_transform(m, out[start : start + count])
            if profile:
                profile.lap("output transform")
