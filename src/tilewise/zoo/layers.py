"""Distinct convolution shapes of the zoo networks: data for accuracy tests and layer benches."""

from __future__ import annotations

from dataclasses import dataclass

from tilewise.ir.verify import infer_shapes


@dataclass(frozen=True)
class ConvShape:
    network: str
    layer: str  # first layer with this shape
    channels: int
    filters: int
    height: int
    width: int
    kernel: tuple[int, int]
    stride: tuple[int, int]
    pad: tuple[int, int]

    @property
    def attrs(self) -> dict:
        return {"kernel": self.kernel, "stride": self.stride, "pad": self.pad,
                "num_filter": self.filters}  # fmt: skip

    def label(self) -> str:
        kh, kw = self.kernel
        return (
            f"{self.network}:{self.layer} {self.channels}->{self.filters} {kh}x{kw}"
            f"/s{self.stride[0]} p{self.pad[0]},{self.pad[1]} on {self.height}x{self.width}"
        )


def conv_shapes(network: str) -> list[ConvShape]:
    """Each distinct (channels, filters, size, kernel, stride, pad) once, in graph order."""
    from tilewise import zoo

    graph = zoo.get(network)
    shapes = infer_shapes(graph, 1)
    seen, found = set(), []
    for node in graph.nodes:
        if node.op != "Convolution":
            continue
        attrs = node.typed
        _, c, h, w = shapes[node.inputs[0]]
        key = (c, attrs["num_filter"], h, w, attrs["kernel"], attrs["stride"], attrs["pad"])
        if key not in seen:
            seen.add(key)
            found.append(ConvShape(network, node.name, *key))
    return found
