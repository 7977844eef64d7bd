"""Laina et al. (FCRN, 2016) up-projection block."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn


def unpool2x(x: Tensor) -> Tensor:
    """Laina's 2x unpooling: each value goes to the top-left of a 2x2 cell, zeros elsewhere.

    Shape: (B,C,H,W) -> (B,C,2H,2W).
    """
    # Zero-pad a trailing axis after each column and each row, then fold them into W and H.
    cells = F.pad(x[:, :, :, None, :, None], (0, 1, 0, 0, 0, 1))  # (B,C,H,2,W,2)
    return cells.flatten(-2).flatten(2, 3)


class UpProjection(nn.Module):
    """unpool2x -> {5x5 conv-BN-ReLU-3x3 conv-BN} + {5x5 conv-BN} -> ReLU.

    Shape: (B,C_in,H,W) -> (B,C_out,2H,2W).
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.upper = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, 5, padding=2, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
            nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels),
        )
        self.bottom = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, 5, padding=2, bias=False),
            nn.BatchNorm2d(out_channels),
        )

    def forward(self, x: Tensor) -> Tensor:
        x = unpool2x(x)
        return F.relu(self.upper(x) + self.bottom(x))
