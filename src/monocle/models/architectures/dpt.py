"""DPT (Ranftl et al., ICCV 2021) with a ViT-S/16 encoder, sized for CPU."""

from __future__ import annotations

import os
from collections.abc import Sequence

from torch import Tensor, nn

from monocle.models.base import DepthModel, build_model
from monocle.models.blocks import FeatureFusionBlock, Reassemble
from monocle.models.config import PretrainedConfig
from monocle.models.encoders import VisionTransformerEncoder, create_encoder
from monocle.models.heads import PredictionHeads
from monocle.models.registry import register_model


class DPT(DepthModel):
    """ViT tokens from 4 blocks -> reassemble at strides 4, 8, 16, 32 -> fusion (stride 2)
    -> head (3x3 conv, 2x up, 3x3 conv, ReLU, 1x1 conv) at full resolution.

    Args:
        features: fusion width (DPT: 256).
        reassemble_channels: widths at strides 4, 8, 16, 32 (DPT ViT-B: 96, 192, 384, 768).
        encoder_weights: optional local timm ImageNet checkpoint for the ViT.
    """

    def __init__(
        self,
        cfg: PretrainedConfig,
        features: int = 64,
        reassemble_channels: Sequence[int] = (48, 96, 192, 384),
        encoder_weights: str | os.PathLike | None = None,
    ) -> None:
        super().__init__(cfg)
        encoder = create_encoder(cfg.encoder, pretrained=encoder_weights or False)
        if not isinstance(encoder, VisionTransformerEncoder):
            raise ValueError(
                f"{cfg.architecture} needs a ViT encoder (vit_small_patch16), got {cfg.encoder!r}"
            )
        if len(reassemble_channels) != 4:
            raise ValueError(f"reassemble_channels needs 4 widths, got {reassemble_channels}")
        self.encoder = encoder
        dim = encoder.channels[0]
        self.reassemble = nn.ModuleList(
            Reassemble(dim, channels, features, scale)
            for channels, scale in zip(reassemble_channels, (4, 2, 1, 0.5), strict=True)
        )
        self.fusion = nn.ModuleList(FeatureFusionBlock(features, with_skip=i < 3) for i in range(4))
        self.neck = nn.Sequential(
            nn.Conv2d(features, features // 2, 3, padding=1),
            nn.Upsample(scale_factor=2.0, mode="bilinear", align_corners=True),
            nn.Conv2d(features // 2, 32, 3, padding=1),
            nn.ReLU(inplace=True),
        )
        self.heads = PredictionHeads(32, cfg, kernel_size=1)

    def predict(self, x: Tensor) -> dict[str, Tensor]:
        tokens, height, width = self.encoder.forward_tokens(x)
        maps = [layer(t, height, width) for layer, t in zip(self.reassemble, tokens, strict=True)]
        p = self.fusion[3](maps[3])
        for i in (2, 1, 0):
            p = self.fusion[i](p, maps[i])
        return self.heads(self.neck(p))


@register_model
def dpt_small(**overrides) -> DPT:
    """DPT on ViT-S/16 with 64-wide fusion: a CPU-sized DPT."""
    cfg = PretrainedConfig(
        architecture="dpt_small", encoder="vit_small_patch16", input_size=(384, 384)
    )
    return build_model(DPT, cfg, overrides)
