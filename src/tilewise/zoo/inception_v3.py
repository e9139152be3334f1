"""Inception-v3 as MXNet's example/image-classification/symbols/inception-v3.py builds it."""

from tilewise.ir.graph import Graph
from tilewise.zoo.builder import Builder


def _conv(b: Builder, x: str, filters: int, kernel=(1, 1), stride=(1, 1), pad=(0, 0), name="",
          suffix=""):  # fmt: skip
    tag = f"{name}{suffix}"
    x = b.add(
        "Convolution", x, f"{tag}_conv2d",
        num_filter=filters, kernel=kernel, stride=stride, pad=pad, no_bias=True,
    )  # fmt: skip
    x = b.add("BatchNorm", x, f"{tag}_batchnorm", fix_gamma=True)
    return b.add("Activation", x, f"{tag}_relu", act_type="relu")


def _pool(b: Builder, x: str, pool: str, name: str, stride=(1, 1), pad=(1, 1)) -> str:
    return b.add(
        "Pooling", x, f"{pool}_pool_{name}_pool",
        kernel=(3, 3), stride=stride, pad=pad, pool_type=pool,
    )  # fmt: skip


def _concat(b: Builder, towers: list[str], name: str) -> str:
    return b.add("Concat", towers, f"ch_concat_{name}_chconcat", num_args=len(towers))


def _block_a(b, x, n1, n3r, n31, n32, n5r, n5, pool, proj, name):
    t1 = _conv(b, x, n1, name=f"{name}_conv")
    t5 = _conv(b, x, n5r, name=f"{name}_tower", suffix="_conv")
    t5 = _conv(b, t5, n5, (5, 5), pad=(2, 2), name=f"{name}_tower", suffix="_conv_1")
    t3 = _conv(b, x, n3r, name=f"{name}_tower_1", suffix="_conv")
    t3 = _conv(b, t3, n31, (3, 3), pad=(1, 1), name=f"{name}_tower_1", suffix="_conv_1")
    t3 = _conv(b, t3, n32, (3, 3), pad=(1, 1), name=f"{name}_tower_1", suffix="_conv_2")
    p = _conv(b, _pool(b, x, pool, name), proj, name=f"{name}_tower_2", suffix="_conv")
    return _concat(b, [t1, t5, t3, p], name)


def _block_b(b, x, n3, nd3r, nd31, nd32, name):
    t3 = _conv(b, x, n3, (3, 3), stride=(2, 2), name=f"{name}_conv")
    d3 = _conv(b, x, nd3r, name=f"{name}_tower", suffix="_conv")
    d3 = _conv(b, d3, nd31, (3, 3), pad=(1, 1), name=f"{name}_tower", suffix="_conv_1")
    d3 = _conv(b, d3, nd32, (3, 3), stride=(2, 2), name=f"{name}_tower", suffix="_conv_2")
    p = _pool(b, x, "max", name, stride=(2, 2), pad=(0, 0))
    return _concat(b, [t3, d3, p], name)


def _block_c(b, x, n1, nd7r, nd71, nd72, nq7r, nq71, nq72, nq73, nq74, pool, proj, name):
    row, col = ((1, 7), (0, 3)), ((7, 1), (3, 0))
    t1 = _conv(b, x, n1, name=f"{name}_conv")
    d7 = _conv(b, x, nd7r, name=f"{name}_tower", suffix="_conv")
    for i, (filters, (kernel, pad)) in enumerate(((nd71, row), (nd72, col)), start=1):
        d7 = _conv(b, d7, filters, kernel, pad=pad, name=f"{name}_tower", suffix=f"_conv_{i}")
    q7 = _conv(b, x, nq7r, name=f"{name}_tower_1", suffix="_conv")
    for i, (filters, (kernel, pad)) in enumerate(
        ((nq71, col), (nq72, row), (nq73, col), (nq74, row)), start=1
    ):
        q7 = _conv(b, q7, filters, kernel, pad=pad, name=f"{name}_tower_1", suffix=f"_conv_{i}")
    p = _conv(b, _pool(b, x, pool, name), proj, name=f"{name}_tower_2", suffix="_conv")
    return _concat(b, [t1, d7, q7, p], name)


def _block_d(b, x, n3r, n3, nd7r, nd71, nd72, nd73, name):
    t3 = _conv(b, x, n3r, name=f"{name}_tower", suffix="_conv")
    t3 = _conv(b, t3, n3, (3, 3), stride=(2, 2), name=f"{name}_tower", suffix="_conv_1")
    d7 = _conv(b, x, nd7r, name=f"{name}_tower_1", suffix="_conv")
    d7 = _conv(b, d7, nd71, (1, 7), pad=(0, 3), name=f"{name}_tower_1", suffix="_conv_1")
    d7 = _conv(b, d7, nd72, (7, 1), pad=(3, 0), name=f"{name}_tower_1", suffix="_conv_2")
    d7 = _conv(b, d7, nd73, (3, 3), stride=(2, 2), name=f"{name}_tower_1", suffix="_conv_3")
    p = b.add("Pooling", x, f"max_pool_{name}_pool", kernel=(3, 3), stride=(2, 2), pool_type="max")
    return _concat(b, [t3, d7, p], name)


def _block_e(b, x, n1, nd3r, nd31, nd32, n3r, n3, n3d1, n3d2, pool, proj, name):
    t1 = _conv(b, x, n1, name=f"{name}_conv")
    d3 = _conv(b, x, nd3r, name=f"{name}_tower", suffix="_conv")
    d3a = _conv(b, d3, nd31, (1, 3), pad=(0, 1), name=f"{name}_tower", suffix="_mixed_conv")
    d3b = _conv(b, d3, nd32, (3, 1), pad=(1, 0), name=f"{name}_tower", suffix="_mixed_conv_1")
    t3 = _conv(b, x, n3r, name=f"{name}_tower_1", suffix="_conv")
    t3 = _conv(b, t3, n3, (3, 3), pad=(1, 1), name=f"{name}_tower_1", suffix="_conv_1")
    t3a = _conv(b, t3, n3d1, (1, 3), pad=(0, 1), name=f"{name}_tower_1", suffix="_mixed_conv")
    t3b = _conv(b, t3, n3d2, (3, 1), pad=(1, 0), name=f"{name}_tower_1", suffix="_mixed_conv_1")
    p = _conv(b, _pool(b, x, pool, name), proj, name=f"{name}_tower_2", suffix="_conv")
    return _concat(b, [t1, d3a, d3b, t3a, t3b, p], name)


def inception_v3(num_classes: int = 1000, seed: int = 0) -> Graph:
    b = Builder("inception-v3", (3, 299, 299), seed)
    x = b.add("_copy", "data", "id")
    x = _conv(b, x, 32, (3, 3), stride=(2, 2), name="conv")
    x = _conv(b, x, 32, (3, 3), name="conv_1")
    x = _conv(b, x, 64, (3, 3), pad=(1, 1), name="conv_2")
    x = b.add("Pooling", x, "pool", kernel=(3, 3), stride=(2, 2), pool_type="max")
    x = _conv(b, x, 80, (1, 1), name="conv_3")
    x = _conv(b, x, 192, (3, 3), name="conv_4")
    x = b.add("Pooling", x, "pool1", kernel=(3, 3), stride=(2, 2), pool_type="max")
    x = _block_a(b, x, 64, 64, 96, 96, 48, 64, "avg", 32, "mixed")
    x = _block_a(b, x, 64, 64, 96, 96, 48, 64, "avg", 64, "mixed_1")
    x = _block_a(b, x, 64, 64, 96, 96, 48, 64, "avg", 64, "mixed_2")
    x = _block_b(b, x, 384, 64, 96, 96, "mixed_3")
    x = _block_c(b, x, 192, 128, 128, 192, 128, 128, 128, 128, 192, "avg", 192, "mixed_4")
    x = _block_c(b, x, 192, 160, 160, 192, 160, 160, 160, 160, 192, "avg", 192, "mixed_5")
    x = _block_c(b, x, 192, 160, 160, 192, 160, 160, 160, 160, 192, "avg", 192, "mixed_6")
    x = _block_c(b, x, 192, 192, 192, 192, 192, 192, 192, 192, 192, "avg", 192, "mixed_7")
    x = _block_d(b, x, 192, 320, 192, 192, 192, 192, "mixed_8")
    x = _block_e(b, x, 320, 384, 384, 384, 448, 384, 384, 384, "avg", 192, "mixed_9")
    x = _block_e(b, x, 320, 384, 384, 384, 448, 384, 384, 384, "max", 192, "mixed_10")
    x = b.add("Pooling", x, "global_pool", kernel=(8, 8), stride=(1, 1), pool_type="avg")
    x = b.add("Flatten", x, "flatten")
    x = b.add("FullyConnected", x, "fc1", num_hidden=num_classes)
    return b.finish(b.add("SoftmaxOutput", x, "softmax"))
