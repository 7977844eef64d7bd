"""DORN's ordinal regression loss (Fu et al. 2018) over spacing-increasing bins."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from monocle.losses.masking import check_depth_map, mask_weights, weighted_mean
from monocle.models.blocks.dorn import ordinal_log_probabilities, sid_thresholds


def ordinal_labels(target: Tensor, thresholds: Tensor) -> Tensor:
    r"""Bin index :math:`l \in [0, K-1]` of each depth, for bins :math:`[t_l, t_{l+1})`.

    Depths below :math:`t_0` fall in bin 0 and depths at or above :math:`t_K` in bin
    :math:`K-1`.

    Args:
        target: depth :math:`(B,1,H,W)`, in the units of ``thresholds``.
        thresholds: increasing bin edges :math:`(K+1,)`, e.g.
            :func:`~monocle.models.blocks.dorn.sid_thresholds` (in metres).

    Returns:
        long labels :math:`(B,1,H,W)`.
    """
    if thresholds.ndim != 1 or thresholds.numel() < 2:
        raise ValueError(
            "ordinal_labels: thresholds must be 1-D bin edges (K+1,), "
            f"got shape {tuple(thresholds.shape)}"
        )
    interior = thresholds[1:-1].to(device=target.device, dtype=target.dtype).contiguous()
    return torch.bucketize(target, interior, right=True)


def ordinal_loss(logits: Tensor, target: Tensor, mask: Tensor, *, thresholds: Tensor) -> Tensor:
    r"""DORN ordinal loss :math:`-\frac1N\sum [\sum_{k<l}\log P^k + \sum_{k\ge l}\log(1-P^k)]`.

    Channel layout, from :func:`monocle.models.blocks.dorn.ordinal_log_probabilities` (shared
    with DORN's head and :func:`~monocle.models.blocks.dorn.decode_ordinal`): the pair of
    channels :math:`(2k, 2k+1)` is a 2-way (log-)softmax and :math:`P^k` is its second entry,
    the probability that the depth lies beyond bin ``k``; the decoded bin is
    :math:`\hat l = \sum_k 1[P^k \ge 0.5]`. ``l`` is :func:`ordinal_labels` of the ground
    truth. The per-pixel sum over ``k`` is averaged with the mask weights (:math:`N = \sum w`).

    Args:
        logits: :math:`(B,2K,H,W)` ordinal logits.
        target: ground-truth depth :math:`(B,1,H,W)`.
        mask: bool validity or float weights :math:`(B,1,H,W)`.
        thresholds: bin edges :math:`(K+1,)` in the units of ``target``.

    Returns:
        scalar loss (its minimum 0 is approached as the logits agree ever more firmly with the
        labels); 0 (with zero gradients) when the mask has no valid pixel.
    """
    name = "ordinal_loss"
    check_depth_map(name, "target", target)
    num_bins = thresholds.numel() - 1
    if (
        logits.ndim != 4
        or logits.shape[1] != 2 * num_bins
        or logits.shape[0] != target.shape[0]
        or logits.shape[2:] != target.shape[2:]
    ):
        raise ValueError(
            f"{name}: logits have shape {tuple(logits.shape)}; expected "
            f"({target.shape[0]},{2 * num_bins},{target.shape[2]},{target.shape[3]}) for "
            f"{num_bins} bins ({thresholds.numel()} thresholds) and target {tuple(target.shape)}."
        )
    weights = mask_weights(name, target, mask)
    valid = weights > 0
    labels = ordinal_labels(torch.where(valid, target, torch.zeros_like(target)), thresholds)
    log_beyond, log_not_beyond = ordinal_log_probabilities(logits)  # (B,K,H,W) each
    bins = torch.arange(num_bins, device=logits.device).view(1, -1, 1, 1)
    log_likelihood = torch.where(bins < labels, log_beyond, log_not_beyond)
    return weighted_mean(-log_likelihood.sum(dim=1, keepdim=True), weights.to(logits.dtype))


class OrdinalLoss(nn.Module):
    """Module twin of :func:`ordinal_loss` with SID thresholds from ``(alpha, beta, num_bins)``."""

    thresholds: Tensor

    def __init__(self, alpha: float, beta: float, num_bins: int = 80) -> None:
        super().__init__()
        self.register_buffer("thresholds", sid_thresholds(alpha, beta, num_bins), persistent=False)

    def forward(self, logits: Tensor, target: Tensor, mask: Tensor) -> Tensor:
        return ordinal_loss(logits, target, mask, thresholds=self.thresholds)
