"""DORN (Fu et al., 2018): spacing-increasing discretisation and ordinal decoding.

Ordinal convention shared with ``monocle.losses``: ``ordinal_logits`` has 2K channels; the
pair (2k, 2k+1) is a 2-way softmax and ``P^k = softmax(pair)[1]`` is the probability that the
depth exceeds threshold ``t_{k+1}``, for k = 0..K-1. The label of a depth d in bin
[t_l, t_{l+1}) is l, i.e. classifiers k < l answer "yes".
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn


def sid_thresholds(alpha: float, beta: float, num_bins: int) -> Tensor:
    """Spacing-increasing discretisation of [alpha, beta] into ``num_bins`` bins, in metres.

    With the shift ξ = 1 - alpha the range becomes [1, beta + ξ] and
    ``t_i = exp(log(1) + i * log((beta + ξ) / 1) / K) - ξ``, so t_0 = alpha, t_K = beta and
    bins widen with depth.

    Returns: (num_bins + 1,) float32, increasing.
    """
    if not 0 < alpha < beta or num_bins < 1:
        raise ValueError(
            f"need 0 < alpha < beta and num_bins >= 1, got alpha={alpha}, beta={beta}, "
            f"num_bins={num_bins}"
        )
    shift = 1.0 - alpha
    steps = torch.arange(num_bins + 1, dtype=torch.float64) / num_bins
    return (torch.exp(steps * math.log(beta + shift)) - shift).float()


def ordinal_log_probabilities(logits: Tensor) -> tuple[Tensor, Tensor]:
    """log P^k and log(1 - P^k) from ordinal logits.

    Args: logits (B,2K,H,W). Returns: two (B,K,H,W) tensors.
    """
    log_probs = logits.unflatten(1, (-1, 2)).log_softmax(dim=2)
    return log_probs[:, :, 1], log_probs[:, :, 0]


def decode_ordinal(logits: Tensor, thresholds: Tensor) -> Tensor:
    """DORN decoding: ``l = Σ_k 1[P^k >= 0.5]``, depth = (t_l + t_{l+1}) / 2.

    ``l`` is clamped to K-1 (P^{K-1} asks "deeper than beta?"), so the depth is always a bin
    centre inside [alpha, beta]. The thresholds are in metres (shift already removed), which
    equals DORN's ``(t_l + t_{l+1}) / 2 - ξ`` on shifted thresholds.

    Args:
        logits: (B,2K,H,W).
        thresholds: (K+1,) from :func:`sid_thresholds`.
    Returns: depth (B,1,H,W).
    """
    num_bins = thresholds.shape[0] - 1
    if logits.shape[1] != 2 * num_bins:
        raise ValueError(
            f"ordinal logits need 2K = {2 * num_bins} channels for {num_bins} bins, "
            f"got shape {tuple(logits.shape)}"
        )
    pairs = logits.unflatten(1, (num_bins, 2))
    # P^k >= 0.5 exactly when the "deeper" logit is not below the other one.
    label = (pairs[:, :, 1] >= pairs[:, :, 0]).sum(dim=1, keepdim=True).clamp(max=num_bins - 1)
    centres = 0.5 * (thresholds[:-1] + thresholds[1:])
    return centres[label]


class OrdinalDepthHead(nn.Module):
    """Wraps ordinal logits into ``{"ordinal_logits", "depth"}`` using SID bin centres.

    Shape: logits (B,2K,H,W) -> ordinal_logits (B,2K,H,W), depth (B,1,H,W).
    """

    def __init__(self, num_bins: int, alpha: float, beta: float) -> None:
        super().__init__()
        self.num_bins = num_bins
        self.register_buffer("thresholds", sid_thresholds(alpha, beta, num_bins), persistent=False)

    def forward(self, logits: Tensor) -> dict[str, Tensor]:
        return {"ordinal_logits": logits, "depth": decode_ordinal(logits, self.thresholds)}
