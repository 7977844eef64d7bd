"""Spatial Attention Block of SANet (mode 'spatial', fuse 'mul')."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class SpatialAttentionBlock(nn.Module):
    """``att = ReLU(Conv1x1(C/2→1)(ReLU(Conv3x3(2C→C/2)(cat[g, x]))))``; returns ``att ⊙ x``.

    Args (forward):
        g: (B,C,H,W) decoder feature (guides where to look).
        x: (B,C,H,W) encoder skip feature (what is passed on).
    Returns: (B,C,H,W).
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.att = nn.Sequential(
            nn.Conv2d(2 * channels, max(1, channels // 2), 3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(max(1, channels // 2), 1, 1),
            nn.ReLU(inplace=True),
        )

    def forward(self, g: Tensor, x: Tensor) -> Tensor:
        return self.att(torch.cat([g, x], dim=1)) * x
