"""Small networks written in PyTorch, exported as torchvision and timm models are
(torch.onnx.export, TorchScript exporter), loaded by tilewise and compared with PyTorch."""

import numpy as np
import pytest
from reference import relative_error

import tilewise

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")
nn = torch.nn


class SqueezeExcite(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.reduce = nn.Conv2d(channels, channels // 4, 1)
        self.expand = nn.Conv2d(channels // 4, channels, 1)

    def forward(self, x):
        scale = x.mean((2, 3), keepdim=True)
        scale = nn.functional.hardsigmoid(self.expand(torch.relu(self.reduce(scale))))
        return x * scale


class MobileBlock(nn.Module):
    """MobileNetV3-style: expand 1x1, depthwise, squeeze-excite, project 1x1, residual."""

    def __init__(self, channels: int, kernel: int, stride: int) -> None:
        super().__init__()
        wide = channels * 4
        self.stride = stride
        self.expand = nn.Sequential(nn.Conv2d(channels, wide, 1, bias=False),
                                    nn.BatchNorm2d(wide), nn.Hardswish())  # fmt: skip
        self.depthwise = nn.Sequential(
            nn.Conv2d(wide, wide, kernel, stride, kernel // 2, groups=wide, bias=False),
            nn.BatchNorm2d(wide), nn.ReLU6())  # fmt: skip
        self.excite = SqueezeExcite(wide)
        self.project = nn.Sequential(nn.Conv2d(wide, channels, 1, bias=False),
                                     nn.BatchNorm2d(channels))  # fmt: skip

    def forward(self, x):
        y = self.project(self.excite(self.depthwise(self.expand(x))))
        return x + y if self.stride == 1 else y


class TinyNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1), nn.BatchNorm2d(8), nn.ReLU())
        self.blocks = nn.Sequential(MobileBlock(8, 3, 1), MobileBlock(8, 5, 2),
                                    nn.MaxPool2d(3, 2, 1, ceil_mode=True))  # fmt: skip
        self.head = nn.Sequential(nn.Dropout(0.2), nn.Linear(8, 10))

    def forward(self, x):
        x = self.blocks(self.stem(x))
        x = nn.functional.adaptive_avg_pool2d(x, 1)
        x = x.view(x.size(0), -1)  # Shape -> Gather -> Unsqueeze -> Concat -> Reshape
        return torch.log_softmax(self.head(x), dim=1)


class ChannelsLastNet(nn.Module):
    """Takes NHWC images, as Keras-trained models do."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 6, 3, padding=1, groups=3)
        self.fc = nn.Linear(6, 4)

    def forward(self, x):
        x = torch.nn.functional.leaky_relu(self.conv(x.permute(0, 3, 1, 2)), 0.1)
        return torch.softmax(self.fc(torch.flatten(x.amax((2, 3)), 1)), -1)


def _randomize(model: nn.Module) -> nn.Module:
    torch.manual_seed(0)
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.running_mean.uniform_(-0.2, 0.2)
            module.running_var.uniform_(0.5, 1.5)
            module.weight.data.uniform_(0.5, 1.5)
            module.bias.data.uniform_(-0.2, 0.2)
    return model.eval()


@pytest.mark.parametrize("opset", [11, 13, 17])
@pytest.mark.parametrize("net,shape", [(TinyNet, (3, 32, 32)), (ChannelsLastNet, (9, 9, 3))])
def test_exported_network_matches_pytorch(net, shape, opset, tmp_path):
    model = _randomize(net())
    path = str(tmp_path / f"{net.__name__}.onnx")
    torch.onnx.export(model, torch.zeros(1, *shape), path, opset_version=opset, dynamo=False,
                      input_names=["x"], dynamic_axes={"x": {0: "N"}})  # fmt: skip
    loaded = tilewise.load(path)
    for batch in (1, 3):
        x = np.random.default_rng(batch).uniform(-1, 1, (batch, *shape)).astype(np.float32)
        with torch.no_grad():
            expected = model(torch.from_numpy(x)).numpy()
        got = loaded(x)
        assert got.shape == expected.shape
        assert relative_error(got, expected) <= 1e-5
