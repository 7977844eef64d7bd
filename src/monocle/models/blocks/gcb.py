"""Global Context Block (Cao et al., GCNet, arXiv 1904.11492) as used by SANet."""

from __future__ import annotations

from torch import Tensor, nn


class GlobalContextBlock(nn.Module):
    """Attention pooling + channel-add fusion: ``x + W2 ReLU(LN(W1 Σ_j α_j x_j))``.

    ``α = softmax_HW(W_k x)``. With ``per_channel_mask=True`` (SANet's variant) ``W_k`` is a
    depthwise 1x1 conv, so each channel pools with its own spatial softmax; otherwise it is
    GCNet's single shared 1-channel mask. ``W2`` is zero-initialised, so the block starts as
    the identity and cannot disturb a pretrained encoder.

    Shape: (B,C,H,W) -> (B,C,H,W). Parameter names follow mmcv/SANet
    (``conv_mask``, ``channel_add_conv.{0,1,3}``).
    """

    def __init__(self, channels: int, ratio: float = 0.25, per_channel_mask: bool = True) -> None:
        super().__init__()
        hidden = max(1, int(channels * ratio))
        if per_channel_mask:
            self.conv_mask = nn.Conv2d(channels, channels, 1, groups=channels)
        else:
            self.conv_mask = nn.Conv2d(channels, 1, 1)
        self.channel_add_conv = nn.Sequential(
            nn.Conv2d(channels, hidden, 1),
            nn.LayerNorm([hidden, 1, 1]),
            nn.ReLU(inplace=True),
            nn.Conv2d(hidden, channels, 1),
        )
        nn.init.kaiming_normal_(self.conv_mask.weight, mode="fan_in", nonlinearity="relu")
        nn.init.zeros_(self.conv_mask.bias)
        nn.init.zeros_(self.channel_add_conv[-1].weight)
        nn.init.zeros_(self.channel_add_conv[-1].bias)

    def forward(self, x: Tensor) -> Tensor:
        weights = self.conv_mask(x).flatten(2).softmax(dim=-1)  # (B, C or 1, HW)
        context = (x.flatten(2) * weights).sum(dim=-1)[..., None, None]  # (B, C, 1, 1)
        return x + self.channel_add_conv(context)
