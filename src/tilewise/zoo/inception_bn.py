"""Inception-BN as MXNet's example/image-classification/symbols/inception-bn.py builds it."""

from tilewise.ir.graph import Graph
from tilewise.zoo.builder import Builder

EPS = 1e-5 + 1e-10


def _conv(b: Builder, x: str, filters: int, kernel, stride=(1, 1), pad=(0, 0), name="", suffix=""):
    tag = f"{name}{suffix}"
    x = b.add(
        "Convolution", x, f"conv_{tag}",
        num_filter=filters, kernel=kernel, stride=stride, pad=pad,
    )  # fmt: skip
    x = b.add("BatchNorm", x, f"bn_{tag}", fix_gamma=False, eps=EPS, momentum=0.9)
    return b.add("Activation", x, f"relu_{tag}", act_type="relu")


def _block_a(b: Builder, x: str, n1, n3r, n3, nd3r, nd3, pool, proj, name) -> str:
    c1 = _conv(b, x, n1, (1, 1), name=f"{name}_1x1")
    c3 = _conv(b, x, n3r, (1, 1), name=f"{name}_3x3", suffix="_reduce")
    c3 = _conv(b, c3, n3, (3, 3), pad=(1, 1), name=f"{name}_3x3")
    d3 = _conv(b, x, nd3r, (1, 1), name=f"{name}_double_3x3", suffix="_reduce")
    d3 = _conv(b, d3, nd3, (3, 3), pad=(1, 1), name=f"{name}_double_3x3_0")
    d3 = _conv(b, d3, nd3, (3, 3), pad=(1, 1), name=f"{name}_double_3x3_1")
    p = b.add(
        "Pooling", x, f"{pool}_pool_{name}_pool",
        kernel=(3, 3), stride=(1, 1), pad=(1, 1), pool_type=pool,
    )  # fmt: skip
    p = _conv(b, p, proj, (1, 1), name=f"{name}_proj")
    return b.add("Concat", [c1, c3, d3, p], f"ch_concat_{name}_chconcat", num_args=4)


def _block_b(b: Builder, x: str, n3r, n3, nd3r, nd3, name) -> str:
    c3 = _conv(b, x, n3r, (1, 1), name=f"{name}_3x3", suffix="_reduce")
    c3 = _conv(b, c3, n3, (3, 3), pad=(1, 1), stride=(2, 2), name=f"{name}_3x3")
    d3 = _conv(b, x, nd3r, (1, 1), name=f"{name}_double_3x3", suffix="_reduce")
    d3 = _conv(b, d3, nd3, (3, 3), pad=(1, 1), stride=(1, 1), name=f"{name}_double_3x3_0")
    d3 = _conv(b, d3, nd3, (3, 3), pad=(1, 1), stride=(2, 2), name=f"{name}_double_3x3_1")
    p = b.add(
        "Pooling", x, f"max_pool_{name}_pool",
        kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type="max",
    )  # fmt: skip
    return b.add("Concat", [c3, d3, p], f"ch_concat_{name}_chconcat", num_args=3)


def inception_bn(num_classes: int = 1000, seed: int = 0) -> Graph:
    b = Builder("inception-bn", (3, 224, 224), seed)
    x = _conv(b, "data", 64, (7, 7), stride=(2, 2), pad=(3, 3), name="1")
    x = b.add("Pooling", x, "pool_1", kernel=(3, 3), stride=(2, 2), pool_type="max")
    x = _conv(b, x, 64, (1, 1), name="2_red")
    x = _conv(b, x, 192, (3, 3), pad=(1, 1), name="2")
    x = b.add("Pooling", x, "pool_2", kernel=(3, 3), stride=(2, 2), pool_type="max")
    x = _block_a(b, x, 64, 64, 64, 64, 96, "avg", 32, "3a")
    x = _block_a(b, x, 64, 64, 96, 64, 96, "avg", 64, "3b")
    x = _block_b(b, x, 128, 160, 64, 96, "3c")
    x = _block_a(b, x, 224, 64, 96, 96, 128, "avg", 128, "4a")
    x = _block_a(b, x, 192, 96, 128, 96, 128, "avg", 128, "4b")
    x = _block_a(b, x, 160, 128, 160, 128, 160, "avg", 128, "4c")
    x = _block_a(b, x, 96, 128, 192, 160, 192, "avg", 128, "4d")
    x = _block_b(b, x, 128, 192, 192, 256, "4e")
    x = _block_a(b, x, 352, 192, 320, 160, 224, "avg", 128, "5a")
    x = _block_a(b, x, 352, 192, 320, 192, 224, "max", 128, "5b")
    x = b.add("Pooling", x, "global_pool", kernel=(7, 7), stride=(1, 1), pool_type="avg")
    x = b.add("Flatten", x)
    x = b.add("FullyConnected", x, num_hidden=num_classes)
    return b.finish(b.add("SoftmaxOutput", x, "softmax"))
