"""MiDaS scale-and-shift-invariant loss (Ranftl et al. 2020) and its per-image alignment."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from monocle.losses.masking import check_depth_pair, weighted_mean

# A prediction whose weighted spread is below this many ulps of its magnitude counts as constant:
# its least-squares scale would only fit rounding noise.
_CONSTANT_ULPS = 64.0


def scale_and_shift(pred: Tensor, target: Tensor, weights: Tensor) -> tuple[Tensor, Tensor]:
    r"""Per-image weighted least squares :math:`\min_{s,b} \sum_i w_i (s \hat y_i + b - y_i)^2`.

    Closed form on centred values (better conditioned than the 2x2 normal equations):
    :math:`s = \mathrm{cov}_w(\hat y, y) / \mathrm{var}_w(\hat y)`,
    :math:`b = \bar y - s \bar{\hat y}`.
    A constant prediction gets :math:`s = 0, b = \bar y`; an image without weight gets
    :math:`s = 0, b = 0`. Differentiable in ``pred`` and ``target``.

    This is the training-time, batched torch solve; ``monocle.metrics`` keeps its own float64
    evaluation version.

    Args:
        pred: :math:`(B,1,H,W)`.
        target: :math:`(B,1,H,W)`, finite wherever the weight is > 0.
        weights: float weights :math:`(B,1,H,W)`, 0 where invalid.

    Returns:
        ``(scale, shift)``, each :math:`(B,1,1,1)`, so that ``scale * pred + shift`` aligns.
    """
    valid = weights > 0
    p = torch.where(valid, pred, torch.zeros_like(pred)).flatten(1)
    t = torch.where(valid, target, torch.zeros_like(target)).flatten(1)
    w = weights.flatten(1)
    n = w.sum(dim=1, keepdim=True)
    n_safe = torch.where(n > 0, n, torch.ones_like(n))
    p_mean = (w * p).sum(dim=1, keepdim=True) / n_safe
    t_mean = (w * t).sum(dim=1, keepdim=True) / n_safe
    p_centred = torch.where(w > 0, p - p_mean, torch.zeros_like(p))
    variance = (w * p_centred**2).sum(dim=1, keepdim=True) / n_safe
    covariance = (w * p_centred * (t - t_mean)).sum(dim=1, keepdim=True) / n_safe
    rounding = _CONSTANT_ULPS * torch.finfo(pred.dtype).eps * p_mean.detach().abs()
    spread = variance > rounding**2
    scale = torch.where(spread, covariance / torch.where(spread, variance, 1.0), 0.0)
    shift = t_mean - scale * p_mean
    return scale.view(-1, 1, 1, 1), shift.view(-1, 1, 1, 1)


def ssi_loss(pred: Tensor, target: Tensor, mask: Tensor, *, trim: float = 0.0) -> Tensor:
    r"""MiDaS scale-and-shift-invariant loss: mean absolute residual after per-image alignment.

    Each image's prediction is aligned to its target with :func:`scale_and_shift` (least squares
    over the mask, gradients flow through the solve), then
    :math:`L = \sum_{b,i} w_{bi} |s_b \hat y_{bi} + t_b - y_{bi}| / \sum_{b,i} w_{bi}` over the
    whole batch (MiDaS "batch-based" reduction). With ``trim > 0`` each image keeps only its
    ``floor((1 - trim) * n_valid)`` smallest residuals (MiDaS's trimmed loss uses 0.2). The loss
    works in whatever space the inputs are in; MiDaS uses disparity.

    Args:
        pred: prediction :math:`(B,1,H,W)` (any scale and shift).
        target: ground truth :math:`(B,1,H,W)`.
        mask: bool validity or float weights :math:`(B,1,H,W)`.
        trim: fraction of the largest residuals dropped per image, in [0, 1).

    Returns:
        scalar loss; 0 (with zero gradients) when the mask has no valid pixel.
    """
    weights = check_depth_pair("ssi_loss", pred, target, mask)
    if not 0.0 <= trim < 1.0:
        raise ValueError(f"ssi_loss: trim must be in [0, 1), got {trim}")
    scale, shift = scale_and_shift(pred, target, weights)
    valid = weights > 0
    target_safe = torch.where(valid, target, torch.zeros_like(target))
    residual = (scale * pred + shift - target_safe).abs().flatten(1)
    w = weights.flatten(1)
    if trim > 0:
        valid_flat = w > 0
        kept = torch.floor((1.0 - trim) * valid_flat.sum(dim=1, keepdim=True))
        sort_key = torch.where(valid_flat, residual.detach(), torch.inf)
        order = sort_key.argsort(dim=1)
        rank = torch.arange(residual.shape[1], device=residual.device).expand_as(residual)
        w = torch.where(rank < kept, w.gather(1, order), 0.0)
        residual = residual.gather(1, order)
    return weighted_mean(residual, w)


class SSILoss(nn.Module):
    """Module twin of :func:`ssi_loss`."""

    def __init__(self, trim: float = 0.0) -> None:
        super().__init__()
        self.trim = trim

    def forward(self, pred: Tensor, target: Tensor, mask: Tensor) -> Tensor:
        return ssi_loss(pred, target, mask, trim=self.trim)
