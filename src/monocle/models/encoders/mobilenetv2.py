"""MobileNetV2 with torchvision parameter names (features.N..., classifier dropped)."""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor, nn

from monocle.models.encoders.base import ImageNetEncoder


def _conv_bn_relu6(
    in_channels: int, out_channels: int, kernel_size: int, stride: int = 1, groups: int = 1
) -> nn.Sequential:
    # torchvision's Conv2dNormActivation: keys <i>.0 (conv) and <i>.1 (bn).
    return nn.Sequential(
        nn.Conv2d(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            kernel_size // 2,
            groups=groups,
            bias=False,
        ),
        nn.BatchNorm2d(out_channels),
        nn.ReLU6(inplace=True),
    )


class InvertedResidual(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, stride: int, expand: int) -> None:
        super().__init__()
        hidden = in_channels * expand
        self.use_residual = stride == 1 and in_channels == out_channels
        layers: list[nn.Module] = []
        if expand != 1:
            layers.append(_conv_bn_relu6(in_channels, hidden, 1))
        layers += [
            _conv_bn_relu6(hidden, hidden, 3, stride, groups=hidden),
            nn.Conv2d(hidden, out_channels, 1, bias=False),
            nn.BatchNorm2d(out_channels),
        ]
        self.conv = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.conv(x) if self.use_residual else self.conv(x)


# (expansion t, output channels c, repeats n, first stride s) from the MobileNetV2 paper.
_SETTINGS = (
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)
# Last block of each resolution: strides 2, 4, 8, 16, 32.
_OUTPUT_INDICES = (1, 3, 6, 13, 18)


class MobileNetV2Encoder(ImageNetEncoder):
    """torchvision MobileNetV2 (width 1.0) without ``classifier``; 5 maps at strides 2..32
    with channels 16, 24, 32, 96, 1280."""

    classifier_keys = ("classifier.1.weight", "classifier.1.bias")

    def __init__(self) -> None:
        super().__init__()
        self.name = "mobilenet_v2"
        self.imagenet_url = "https://download.pytorch.org/models/mobilenet_v2-b0353104.pth"
        layers: list[nn.Module] = [_conv_bn_relu6(3, 32, 3, 2)]
        in_channels = 32
        for expand, out_channels, repeats, stride in _SETTINGS:
            for index in range(repeats):
                layers.append(
                    InvertedResidual(in_channels, out_channels, stride if index == 0 else 1, expand)
                )
                in_channels = out_channels
        layers.append(_conv_bn_relu6(in_channels, 1280, 1))
        self.features = nn.Sequential(*layers)
        self.channels = (16, 24, 32, 96, 1280)
        self.reductions = (2, 4, 8, 16, 32)
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out")

    def forward(self, x: Tensor, stage_adapters: Sequence[nn.Module] | None = None) -> list[Tensor]:
        features = []
        for index, layer in enumerate(self.features):
            x = layer(x)
            if index in _OUTPUT_INDICES:
                if stage_adapters is not None:
                    x = stage_adapters[len(features)](x)
                features.append(x)
        return features
