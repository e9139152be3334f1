"""A tiny network (3x32x32) with the zoo's op types, for smoke tests of whole pipelines."""

from tilewise.ir.graph import Graph
from tilewise.zoo.builder import Builder


def tiny(num_classes: int = 10, seed: int = 0) -> Graph:
    b = Builder("tiny", (3, 32, 32), seed)
    x = b.add("Convolution", "data", "conv1", kernel=(3, 3), pad=(1, 1), num_filter=8)
    x = b.add("BatchNorm", x, "bn1", fix_gamma=False)
    x = b.add("Activation", x, "relu1", act_type="relu")
    x = b.add("Pooling", x, "pool1", kernel=(2, 2), stride=(2, 2), pool_type="max")
    left = b.add("Convolution", x, "conv2a", kernel=(1, 1), num_filter=8)
    right = b.add("Convolution", x, "conv2b", kernel=(3, 3), pad=(1, 1), num_filter=8)
    x = b.add("Concat", [left, right], "cat", num_args=2)
    x = b.add("Activation", x, "relu2", act_type="relu")
    x = b.add("Pooling", x, "pool2", global_pool=True, kernel=(1, 1), pool_type="avg")
    x = b.add("Flatten", x, "flat")
    x = b.add("FullyConnected", x, "fc", num_hidden=num_classes)
    return b.finish(b.add("SoftmaxOutput", x, "softmax"))
