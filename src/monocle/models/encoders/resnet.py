"""ResNet-18/34/50/101 with torchvision parameter names (conv1, bn1, layer1..4, fc dropped)."""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor, nn

from monocle.models.encoders.base import ImageNetEncoder


def _conv3x3(in_channels: int, out_channels: int, stride: int, dilation: int) -> nn.Conv2d:
    return nn.Conv2d(
        in_channels, out_channels, 3, stride, padding=dilation, dilation=dilation, bias=False
    )


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(
        self, in_channels: int, planes: int, stride: int, dilation: int, downsample: nn.Module
    ) -> None:
        super().__init__()
        self.conv1 = _conv3x3(in_channels, planes, stride, dilation)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = _conv3x3(planes, planes, 1, dilation)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x: Tensor) -> Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + self.downsample(x))


class Bottleneck(nn.Module):
    """torchvision's ResNet v1.5 bottleneck: the stride sits on the 3x3 conv."""

    expansion = 4

    def __init__(
        self, in_channels: int, planes: int, stride: int, dilation: int, downsample: nn.Module
    ) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = _conv3x3(planes, planes, stride, dilation)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: Tensor) -> Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + self.downsample(x))


RESNET_SPECS: dict[str, tuple[type[BasicBlock] | type[Bottleneck], tuple[int, ...], str]] = {
    "resnet18": (BasicBlock, (2, 2, 2, 2), "resnet18-f37072fd.pth"),
    "resnet34": (BasicBlock, (3, 4, 6, 3), "resnet34-b627a593.pth"),
    "resnet50": (Bottleneck, (3, 4, 6, 3), "resnet50-0676ba61.pth"),
    "resnet101": (Bottleneck, (3, 4, 23, 3), "resnet101-63fe2227.pth"),
}


class ResNetEncoder(ImageNetEncoder):
    """torchvision ResNet without ``fc``; returns 5 maps at strides 2, 4, 8, 16, 32.

    ``output_stride`` 16 or 8 replaces the last stride(s) by dilation (as torchvision's
    ``replace_stride_with_dilation``), keeping parameter names and shapes.
    """

    classifier_keys = ("fc.weight", "fc.bias")

    def __init__(self, name: str, output_stride: int = 32) -> None:
        super().__init__()
        if output_stride not in (8, 16, 32):
            raise ValueError(f"output_stride must be 8, 16 or 32, got {output_stride}")
        block, depths, file_name = RESNET_SPECS[name]
        self.name = name
        self.imagenet_url = f"https://download.pytorch.org/models/{file_name}"
        self.conv1 = nn.Conv2d(3, 64, 7, 2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, padding=1)
        self._in_channels, self._dilation = 64, 1
        reductions = [2, 4]
        layers = []
        for index, (planes, depth) in enumerate(zip((64, 128, 256, 512), depths, strict=True)):
            stride = 1 if index == 0 else 2
            dilate = index > 0 and reductions[-1] * 2 > output_stride
            layers.append(self._make_layer(block, planes, depth, stride, dilate))
            if index > 0:
                reductions.append(reductions[-1] * (1 if dilate else 2))
        self.layer1, self.layer2, self.layer3, self.layer4 = layers
        self.channels = (64, *(planes * block.expansion for planes in (64, 128, 256, 512)))
        self.reductions = tuple(reductions)
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")

    def _make_layer(
        self, block: type[nn.Module], planes: int, depth: int, stride: int, dilate: bool
    ) -> nn.Sequential:
        previous_dilation = self._dilation
        if dilate:
            self._dilation *= stride
            stride = 1
        out_channels = planes * block.expansion
        downsample: nn.Module = nn.Identity()
        if stride != 1 or self._in_channels != out_channels:
            downsample = nn.Sequential(
                nn.Conv2d(self._in_channels, out_channels, 1, stride, bias=False),
                nn.BatchNorm2d(out_channels),
            )
        blocks = [block(self._in_channels, planes, stride, previous_dilation, downsample)]
        self._in_channels = out_channels
        blocks += [
            block(out_channels, planes, 1, self._dilation, nn.Identity()) for _ in range(depth - 1)
        ]
        return nn.Sequential(*blocks)

    def forward(self, x: Tensor, stage_adapters: Sequence[nn.Module] | None = None) -> list[Tensor]:
        stages = (
            lambda t: self.relu(self.bn1(self.conv1(t))),
            lambda t: self.layer1(self.maxpool(t)),
            self.layer2,
            self.layer3,
            self.layer4,
        )
        features = []
        for index, stage in enumerate(stages):
            x = stage(x)
            if stage_adapters is not None:
                x = stage_adapters[index](x)
            features.append(x)
        return features
