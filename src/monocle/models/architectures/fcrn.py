"""FCRN (Laina et al., 3DV 2016): ResNet-50 + four up-projection blocks."""

from __future__ import annotations

import os
from collections.abc import Sequence

from torch import Tensor, nn

from monocle.models.base import DepthModel, build_model, create_pyramid_encoder
from monocle.models.blocks import UpProjection
from monocle.models.config import PretrainedConfig
from monocle.models.heads import PredictionHeads
from monocle.models.registry import register_model


class FCRN(DepthModel):
    """Stride-32 features -> 1x1 conv-BN -> 4 up-projections (stride 2) -> 3x3 conv depth.

    As in Laina et al., depth is predicted at half resolution; the raw map is upsampled
    bilinearly to the input size before the output activation.

    Args:
        decoder_channels: width after the 1x1 conv, then after each of the 4 up-projections.
        encoder_weights: optional local ImageNet checkpoint for the encoder.
    """

    def __init__(
        self,
        cfg: PretrainedConfig,
        decoder_channels: Sequence[int] = (1024, 512, 256, 128, 64),
        encoder_weights: str | os.PathLike | None = None,
    ) -> None:
        super().__init__(cfg)
        self.encoder = create_pyramid_encoder(cfg, encoder_weights)
        dec = tuple(decoder_channels)
        if len(dec) != 5:
            raise ValueError(f"decoder_channels needs 5 widths, got {dec}")
        self.bottleneck = nn.Sequential(
            nn.Conv2d(self.encoder.channels[4], dec[0], 1, bias=False), nn.BatchNorm2d(dec[0])
        )
        self.up = nn.Sequential(*(UpProjection(dec[i], dec[i + 1]) for i in range(4)))
        self.heads = PredictionHeads(dec[4], cfg)

    def predict(self, x: Tensor) -> dict[str, Tensor]:
        features = self.encoder(x)[4]
        return self.heads(self.up(self.bottleneck(features)), size=x.shape[-2:])


@register_model
def fcrn_r50(**overrides) -> FCRN:
    """FCRN with ResNet-50, as in the paper (input 228x304)."""
    cfg = PretrainedConfig(architecture="fcrn_r50", encoder="resnet50", input_size=(228, 304))
    return build_model(FCRN, cfg, overrides)
