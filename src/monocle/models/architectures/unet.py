"""Plain U-Net on a CNN encoder: the baseline without Global Context or Spatial Attention."""

from __future__ import annotations

import os
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from monocle.models.base import DepthModel, build_model, create_pyramid_encoder
from monocle.models.blocks import conv_bn_relu
from monocle.models.config import PretrainedConfig
from monocle.models.heads import PredictionHeads
from monocle.models.registry import register_model


class UNet(DepthModel):
    """Upsample, concatenate the skip, two 3x3 conv-BN-ReLU; repeated from stride 32 to 2.

    Args:
        decoder_channels: widths (d1, d2, d3, d4) at strides 2, 4, 8, 16.
        encoder_weights: optional local ImageNet checkpoint for the encoder.
    The depth head runs on the stride-2 features and is upsampled bilinearly to full size.
    """

    def __init__(
        self,
        cfg: PretrainedConfig,
        decoder_channels: Sequence[int] = (32, 64, 128, 256),
        encoder_weights: str | os.PathLike | None = None,
    ) -> None:
        super().__init__(cfg)
        self.encoder = create_pyramid_encoder(cfg, encoder_weights)
        enc = self.encoder.channels
        dec = tuple(decoder_channels)
        if len(dec) != 4:
            raise ValueError(f"decoder_channels needs 4 widths (strides 2..16), got {dec}")
        self.decoder = nn.ModuleList(
            nn.Sequential(
                conv_bn_relu((dec[i + 1] if i < 3 else enc[4]) + enc[i], dec[i]),
                conv_bn_relu(dec[i], dec[i]),
            )
            for i in range(4)
        )
        self.heads = PredictionHeads(dec[0], cfg)

    def predict(self, x: Tensor) -> dict[str, Tensor]:
        features = self.encoder(x)
        p = features[4]
        for i in (3, 2, 1, 0):
            skip = features[i]
            p = F.interpolate(p, size=skip.shape[-2:], mode="bilinear", align_corners=False)
            p = self.decoder[i](torch.cat([p, skip], dim=1))
        return self.heads(p, size=x.shape[-2:])


@register_model
def unet_r18(**overrides) -> UNet:
    """U-Net on ResNet-18, the SANet ablation baseline."""
    cfg = PretrainedConfig(
        architecture="unet_r18", encoder="resnet18", input_size=(240, 320), channels_last=True
    )
    return build_model(UNet, cfg, overrides)
