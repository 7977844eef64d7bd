"""DPT (Ranftl et al., 2021) reassemble and fusion blocks."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def tokens_to_map(tokens: Tensor, height: int, width: int) -> Tensor:
    """(B, h*w, D) patch tokens -> (B, D, h, w) feature map."""
    return tokens.transpose(1, 2).unflatten(2, (height, width))


class Reassemble(nn.Module):
    """Tokens of one transformer layer -> an image-like feature map at ``scale`` x the token grid.

    Readout 'project': each patch token is concatenated with the class token and projected
    back to D (Linear + GELU). Then 1x1 conv to ``channels``, resample (transposed conv for
    scale 4 or 2, identity for 1, stride-2 3x3 conv for 0.5) and a 3x3 conv to ``features``.

    Shape: tokens (B, 1+h*w, D) -> (B, features, scale*h, scale*w).
    """

    def __init__(self, embed_dim: int, channels: int, features: int, scale: float) -> None:
        super().__init__()
        self.readout = nn.Sequential(nn.Linear(2 * embed_dim, embed_dim), nn.GELU())
        self.project = nn.Conv2d(embed_dim, channels, 1)
        if scale in (4, 2):
            factor = int(scale)
            self.resample = nn.ConvTranspose2d(channels, channels, factor, stride=factor)
        elif scale == 1:
            self.resample = nn.Identity()
        elif scale == 0.5:
            self.resample = nn.Conv2d(channels, channels, 3, stride=2, padding=1)
        else:
            raise ValueError(f"Reassemble scale must be one of 4, 2, 1, 0.5, got {scale}")
        self.to_features = nn.Conv2d(channels, features, 3, padding=1, bias=False)

    def forward(self, tokens: Tensor, height: int, width: int) -> Tensor:
        patches = tokens[:, 1:]
        readout = tokens[:, :1].expand_as(patches)
        patches = self.readout(torch.cat([patches, readout], dim=-1))
        x = self.project(tokens_to_map(patches, height, width))
        return self.to_features(self.resample(x))


class ResidualConvUnit(nn.Module):
    """``x + conv(ReLU(conv(ReLU(x))))`` with 3x3 convs. Shape preserved."""

    def __init__(self, features: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(features, features, 3, padding=1)
        self.conv2 = nn.Conv2d(features, features, 3, padding=1)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.conv2(F.relu(self.conv1(F.relu(x))))


class FeatureFusionBlock(nn.Module):
    """DPT fusion: ``out_conv(up2x(RCU2(x + RCU1(skip))))``; without a skip, ``x`` alone.

    Shape: x, skip (B,F,h,w) -> (B,F,2h,2w).
    """

    def __init__(self, features: int, with_skip: bool = True) -> None:
        super().__init__()
        self.skip_unit = ResidualConvUnit(features) if with_skip else None
        self.unit = ResidualConvUnit(features)
        self.out_conv = nn.Conv2d(features, features, 1)

    def forward(self, x: Tensor, skip: Tensor | None = None) -> Tensor:
        if self.skip_unit is not None:
            x = x + self.skip_unit(skip)
        x = F.interpolate(self.unit(x), scale_factor=2.0, mode="bilinear", align_corners=True)
        return self.out_conv(x)
