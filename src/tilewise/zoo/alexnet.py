"""AlexNet as MXNet's example/image-classification/symbols/alexnet.py builds it."""

from tilewise.ir.graph import Graph
from tilewise.zoo.builder import Builder


def alexnet(num_classes: int = 1000, seed: int = 0) -> Graph:
    b = Builder("alexnet", (3, 224, 224), seed)
    x = b.add("Convolution", "data", "conv1", kernel=(11, 11), stride=(4, 4), num_filter=96)
    x = b.add("Activation", x, act_type="relu")
    x = b.add("LRN", x, alpha=0.0001, beta=0.75, knorm=2, nsize=5)
    x = b.add("Pooling", x, pool_type="max", kernel=(3, 3), stride=(2, 2))
    x = b.add("Convolution", x, "conv2", kernel=(5, 5), pad=(2, 2), num_filter=256)
    x = b.add("Activation", x, act_type="relu")
    x = b.add("LRN", x, alpha=0.0001, beta=0.75, knorm=2, nsize=5)
    x = b.add("Pooling", x, kernel=(3, 3), stride=(2, 2), pool_type="max")
    for name, filters in (("conv3", 384), ("conv4", 384), ("conv5", 256)):
        x = b.add("Convolution", x, name, kernel=(3, 3), pad=(1, 1), num_filter=filters)
        x = b.add("Activation", x, act_type="relu")
    x = b.add("Pooling", x, kernel=(3, 3), stride=(2, 2), pool_type="max")
    x = b.add("Flatten", x)
    for name in ("fc1", "fc2"):
        x = b.add("FullyConnected", x, name, num_hidden=4096)
        x = b.add("Activation", x, act_type="relu")
        x = b.add("Dropout", x, p=0.5)
    x = b.add("FullyConnected", x, "fc3", num_hidden=num_classes)
    return b.finish(b.add("SoftmaxOutput", x, "softmax"))
