"""FastDepth's NNConv5 decoder stage (Wofk et al., 2019)."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from monocle.models.blocks.conv import conv_bn_relu


class NNConv5(nn.Module):
    """Depthwise 5x5 conv-BN-ReLU -> pointwise 1x1 conv-BN-ReLU -> 2x nearest upsample.

    Shape: (B,C_in,H,W) -> (B,C_out,2H,2W).
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.depthwise = conv_bn_relu(in_channels, in_channels, 5, groups=in_channels)
        self.pointwise = conv_bn_relu(in_channels, out_channels, 1)

    def forward(self, x: Tensor) -> Tensor:
        return F.interpolate(self.pointwise(self.depthwise(x)), scale_factor=2.0, mode="nearest")
