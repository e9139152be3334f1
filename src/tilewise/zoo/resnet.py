"""Pre-activation ResNet as MXNet's example/image-classification/symbols/resnet.py builds it."""

from tilewise.ir.graph import Graph
from tilewise.zoo.builder import Builder

UNITS = {
    18: (2, 2, 2, 2),
    34: (3, 4, 6, 3),
    50: (3, 4, 6, 3),
    101: (3, 4, 23, 3),
    152: (3, 8, 36, 3),
}
BN = {"fix_gamma": False, "eps": 2e-5, "momentum": 0.9}
WORKSPACE = 256


def _conv(b: Builder, x: str, name: str, filters: int, kernel, stride, pad=None) -> str:
    attrs = {"num_filter": filters, "kernel": kernel, "stride": stride}
    if pad is not None:
        attrs["pad"] = pad
    return b.add("Convolution", x, name, **attrs, no_bias=True, workspace=WORKSPACE)


def _bn_relu(b: Builder, x: str, name: str, index: int) -> str:
    x = b.add("BatchNorm", x, f"{name}_bn{index}", **BN)
    return b.add("Activation", x, f"{name}_relu{index}", act_type="relu")


def _unit(b: Builder, data: str, filters: int, stride, dim_match: bool, name: str,
          bottleneck: bool) -> str:  # fmt: skip
    act1 = _bn_relu(b, data, name, 1)
    if bottleneck:
        x = _conv(b, act1, f"{name}_conv1", filters // 4, (1, 1), (1, 1), (0, 0))
        x = _conv(b, _bn_relu(b, x, name, 2), f"{name}_conv2", filters // 4, (3, 3), stride, (1, 1))
        x = _conv(b, _bn_relu(b, x, name, 3), f"{name}_conv3", filters, (1, 1), (1, 1), (0, 0))
    else:
        x = _conv(b, act1, f"{name}_conv1", filters, (3, 3), stride, (1, 1))
        x = _conv(b, _bn_relu(b, x, name, 2), f"{name}_conv2", filters, (3, 3), (1, 1), (1, 1))
    shortcut = data if dim_match else _conv(b, act1, f"{name}_sc", filters, (1, 1), stride)
    return b.add("elemwise_add", [x, shortcut])


def resnet(num_layers: int = 50, num_classes: int = 1000, seed: int = 0) -> Graph:
    bottleneck = num_layers >= 50
    filters = (64, 256, 512, 1024, 2048) if bottleneck else (64, 64, 128, 256, 512)
    b = Builder(f"resnet-{num_layers}", (3, 224, 224), seed)
    x = b.add("_copy", "data", "id")
    x = b.add("BatchNorm", x, "bn_data", fix_gamma=True, eps=2e-5, momentum=0.9)
    x = _conv(b, x, "conv0", filters[0], (7, 7), (2, 2), (3, 3))
    x = b.add("BatchNorm", x, "bn0", **BN)
    x = b.add("Activation", x, "relu0", act_type="relu")
    x = b.add("Pooling", x, kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type="max")
    for stage, units in enumerate(UNITS[num_layers]):
        stride = (1, 1) if stage == 0 else (2, 2)
        for unit in range(units):
            x = _unit(
                b, x, filters[stage + 1], stride if unit == 0 else (1, 1), unit > 0,
                f"stage{stage + 1}_unit{unit + 1}", bottleneck,
            )  # fmt: skip
    x = b.add("BatchNorm", x, "bn1", **BN)
    x = b.add("Activation", x, "relu1", act_type="relu")
    x = b.add("Pooling", x, "pool1", global_pool=True, kernel=(7, 7), pool_type="avg")
    x = b.add("Flatten", x)
    x = b.add("FullyConnected", x, "fc1", num_hidden=num_classes)
    return b.finish(b.add("SoftmaxOutput", x, "softmax"))
