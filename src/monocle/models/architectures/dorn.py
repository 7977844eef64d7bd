"""DORN (Fu et al., CVPR 2018): dilated encoder, scene understanding module, ordinal output."""

from __future__ import annotations

import os
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from monocle.models.base import DepthModel, build_model, create_pyramid_encoder
from monocle.models.blocks import OrdinalDepthHead
from monocle.models.config import PretrainedConfig
from monocle.models.registry import register_model


def _conv_relu_pair(in_channels: int, width: int, kernel_size: int, dilation: int) -> nn.Sequential:
    padding = dilation * (kernel_size // 2)
    return nn.Sequential(
        nn.Conv2d(in_channels, width, kernel_size, padding=padding, dilation=dilation),
        nn.ReLU(inplace=True),
        nn.Conv2d(width, width, 1),
        nn.ReLU(inplace=True),
    )


class SceneUnderstanding(nn.Module):
    """DORN's scene understanding module: full-image encoder + 1x1 branch + ASPP branches.

    The full-image encoder is global average pooling -> 1x1 conv (an FC layer) -> ReLU,
    broadcast to every position (DORN pools with a fixed kernel; global pooling keeps any size).
    Shape: (B,C,h,w) -> (B,width,h,w).
    """

    def __init__(self, in_channels: int, width: int, dilations: Sequence[int]) -> None:
        super().__init__()
        self.full_image = nn.Sequential(
            nn.AdaptiveAvgPool2d(1), nn.Conv2d(in_channels, width, 1), nn.ReLU(inplace=True)
        )
        self.branches = nn.ModuleList(
            [_conv_relu_pair(in_channels, width, 1, 1)]
            + [_conv_relu_pair(in_channels, width, 3, rate) for rate in dilations]
        )
        self.fuse = nn.Sequential(
            nn.Conv2d(width * (len(self.branches) + 1), width, 1), nn.ReLU(inplace=True)
        )

    def forward(self, x: Tensor) -> Tensor:
        local = [branch(x) for branch in self.branches]
        context = self.full_image(x).expand_as(local[0])
        return self.fuse(torch.cat([context, *local], dim=1))


class DORN(DepthModel):
    """Dilated CNN (``output_stride``) -> scene understanding -> 1x1 conv to 2K ordinal logits,
    upsampled bilinearly to the input size and decoded on SID bins over
    [cfg.min_depth, cfg.max_depth].

    Returns ``ordinal_logits`` (B,2K,H,W) for the ordinal loss and the decoded ``depth``
    (B,1,H,W), piecewise constant and not differentiable.

    Args:
        num_bins: K ordinal bins (DORN's per-dataset K was not retrieved; 80 is the default).
        width: channels of the scene understanding module (DORN: 512).
        dilations: ASPP rates.
        output_stride: encoder output stride (16 or 8; DORN used 8).
        encoder_weights: optional local ImageNet checkpoint for the encoder.
    """

    def __init__(
        self,
        cfg: PretrainedConfig,
        num_bins: int = 80,
        width: int = 256,
        dilations: Sequence[int] = (6, 12, 18),
        output_stride: int = 16,
        encoder_weights: str | os.PathLike | None = None,
    ) -> None:
        if cfg.output_kind != "metric":
            raise ValueError(
                f"{cfg.architecture} predicts metric depth by ordinal regression; "
                f"output_kind={cfg.output_kind!r} is not supported, use 'metric'"
            )
        super().__init__(cfg)
        self.encoder = create_pyramid_encoder(cfg, encoder_weights, output_stride=output_stride)
        self.scene = SceneUnderstanding(self.encoder.channels[4], width, dilations)
        self.classifier = nn.Conv2d(width, 2 * num_bins, 1)
        self.ordinal = OrdinalDepthHead(num_bins, cfg.min_depth, cfg.max_depth)

    def predict(self, x: Tensor) -> dict[str, Tensor]:
        logits = self.classifier(self.scene(self.encoder(x)[4]))
        logits = F.interpolate(logits, size=x.shape[-2:], mode="bilinear", align_corners=False)
        return self.ordinal(logits)


@register_model
def dorn_r18(**overrides) -> DORN:
    """DORN on a ResNet-18 at output stride 16: CPU-sized (the paper used ResNet-101, os 8)."""
    cfg = PretrainedConfig(
        architecture="dorn_r18",
        encoder="resnet18",
        input_size=(257, 353),
        size_multiple=16,
        channels_last=True,
    )
    return build_model(DORN, cfg, overrides)
