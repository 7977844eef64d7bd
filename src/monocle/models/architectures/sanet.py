"""SANet (Chen et al., ECCV 2020): GCB on the encoder, SAB in the decoder, multi-scale head.

Follows ``ansj11/SANet`` ``sanet/model.py`` (see methods.md §1). Deviations, on purpose:
ImageNet mean/std normalisation instead of BGR*4/255 (so ImageNet encoders see what they were
trained on), a bounded metric activation instead of the final ReLU (see ``heads.py``), and the
decoder widths are configurable (``decoder_channels``; the default equals the encoder's, which
is the original).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from monocle.models.base import DepthModel, build_model, create_pyramid_encoder
from monocle.models.blocks import (
    GlobalContextBlock,
    SpatialAttentionBlock,
    conv_bn_relu,
    conv_relu,
)
from monocle.models.config import PretrainedConfig
from monocle.models.heads import PredictionHeads
from monocle.models.registry import register_model


class _SkipOnly(nn.Module):
    """Stands in for the SAB in the ablation without spatial attention: passes the skip."""

    def forward(self, g: Tensor, x: Tensor) -> Tensor:
        return x


def _pixel_shuffle_up(in_channels: int, out_channels: int, factor: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels * factor**2, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels * factor**2),
        nn.PixelShuffle(factor),
        nn.ReLU(inplace=True),
    )


class SANet(DepthModel):
    """U-shaped encoder-decoder with Global Context and Spatial Attention Blocks.

    Args:
        cfg: pretrained config (``cfg.encoder`` picks the backbone).
        decoder_channels: widths (d1, d2, d3, d4) of the decoder at strides 2, 4, 8, 16;
            default: the encoder's first four widths (the original). d1 is also the head width.
        global_context, spatial_attention: switch GCB / SAB off for the paper's ablations.
        normals_head: also return unit ``normals`` (B,3,H,W).
        segmentation_head: also return person ``segmentation`` logits (B,1,H,W).
        encoder_weights: optional local ImageNet checkpoint for the encoder.
    """

    def __init__(
        self,
        cfg: PretrainedConfig,
        decoder_channels: Sequence[int] | None = None,
        global_context: bool = True,
        spatial_attention: bool = True,
        normals_head: bool = False,
        segmentation_head: bool = False,
        encoder_weights: str | os.PathLike | None = None,
    ) -> None:
        super().__init__(cfg)
        self.encoder = create_pyramid_encoder(cfg, encoder_weights)
        enc = self.encoder.channels
        dec = tuple(decoder_channels or enc[:4])
        if len(dec) != 4:
            raise ValueError(f"decoder_channels needs 4 widths (strides 2..16), got {dec}")
        self.context = nn.ModuleList(
            [nn.Identity()]
            + [
                GlobalContextBlock(c, ratio=0.25, per_channel_mask=True)
                if global_context
                else nn.Identity()
                for c in enc[1:]
            ]
        )
        self.mid = nn.ModuleList(conv_bn_relu(enc[i], dec[i]) for i in range(4))
        self.upconv = nn.ModuleList(
            conv_bn_relu(dec[i + 1] if i < 3 else enc[4], dec[i]) for i in range(4)
        )
        self.attention = nn.ModuleList(
            SpatialAttentionBlock(d) if spatial_attention else _SkipOnly() for d in dec
        )
        self.smooth = nn.ModuleList(conv_bn_relu(2 * d, d) for d in dec)
        self.side = nn.ModuleList(_pixel_shuffle_up(dec[i], dec[0], 2**i) for i in (1, 2, 3))
        self.fuse = conv_relu(4 * dec[0], 2 * dec[0])
        self.refine = conv_relu(2 * dec[0], dec[0])
        self.heads = PredictionHeads(
            dec[0], cfg, normals=normals_head, segmentation=segmentation_head
        )

    def predict(self, x: Tensor) -> dict[str, Tensor]:
        features = self.encoder(x, stage_adapters=self.context)
        p = features[4]
        decoded: list[Tensor] = []
        for i in (3, 2, 1, 0):
            skip = features[i]
            p = F.interpolate(p, size=skip.shape[-2:], mode="bilinear", align_corners=False)
            p = self.upconv[i](p)
            attended = self.attention[i](p, self.mid[i](skip))
            p = self.smooth[i](torch.cat([p, attended], dim=1))
            decoded.insert(0, p)
        sides = [decoded[0]] + [side(d) for side, d in zip(self.side, decoded[1:], strict=True)]
        fused = self.fuse(torch.cat(sides, dim=1))
        fused = F.interpolate(fused, size=x.shape[-2:], mode="bilinear", align_corners=False)
        return self.heads(self.refine(fused))


_CFG = PretrainedConfig(architecture="sanet", encoder="resnet101", input_size=(240, 320))


def _sanet(name: str, encoder: str, overrides: dict) -> SANet:
    # Channels-last pays for depthwise and basic-block encoders, not for bottlenecks (config.py).
    channels_last = encoder in ("mobilenet_v2", "resnet18")
    cfg = replace(_CFG, architecture=name, encoder=encoder, channels_last=channels_last)
    return build_model(SANet, cfg, overrides)


@register_model
def sanet_r18(**overrides) -> SANet:
    """SANet on ResNet-18: the CPU-sized default."""
    return _sanet("sanet_r18", "resnet18", overrides)


@register_model
def sanet_r34(**overrides) -> SANet:
    """SANet on ResNet-34."""
    return _sanet("sanet_r34", "resnet34", overrides)


@register_model
def sanet_r50(**overrides) -> SANet:
    """SANet on ResNet-50."""
    return _sanet("sanet_r50", "resnet50", overrides)


@register_model
def sanet_r101(**overrides) -> SANet:
    """SANet on ResNet-101, as in the paper."""
    return _sanet("sanet_r101", "resnet101", overrides)


@register_model
def sanet_mbv2(**overrides) -> SANet:
    """SANet on MobileNetV2 with a slim decoder: the mobile preset."""
    overrides = {"decoder_channels": (16, 24, 32, 64), **overrides}
    return _sanet("sanet_mbv2", "mobilenet_v2", overrides)
