"""VGG as MXNet's example/image-classification/symbols/vgg.py builds it."""

from tilewise.ir.graph import Graph
from tilewise.zoo.builder import Builder

FILTERS = (64, 128, 256, 512, 512)
LAYERS = {11: (1, 1, 2, 2, 2), 13: (2, 2, 2, 2, 2), 16: (2, 2, 3, 3, 3), 19: (2, 2, 4, 4, 4)}


def vgg(num_layers: int = 16, num_classes: int = 1000, seed: int = 0) -> Graph:
    b = Builder(f"vgg-{num_layers}", (3, 224, 224), seed)
    x = "data"
    for i, count in enumerate(LAYERS[num_layers]):
        for j in range(count):
            x = b.add(
                "Convolution", x, f"conv{i + 1}_{j + 1}",
                kernel=(3, 3), pad=(1, 1), num_filter=FILTERS[i],
            )  # fmt: skip
            x = b.add("Activation", x, f"relu{i + 1}_{j + 1}", act_type="relu")
        x = b.add("Pooling", x, f"pool{i + 1}", pool_type="max", kernel=(2, 2), stride=(2, 2))
    x = b.add("Flatten", x, "flatten")
    for layer in (6, 7):
        x = b.add("FullyConnected", x, f"fc{layer}", num_hidden=4096)
        x = b.add("Activation", x, f"relu{layer}", act_type="relu")
        x = b.add("Dropout", x, f"drop{layer}", p=0.5)
    x = b.add("FullyConnected", x, "fc8", num_hidden=num_classes)
    return b.finish(b.add("SoftmaxOutput", x, "softmax"))
