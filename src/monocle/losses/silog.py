"""Scale-invariant log loss (SILog) of Eigen et al. 2014."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from monocle.losses.masking import check_depth_pair


def silog_loss(
    pred: Tensor, target: Tensor, mask: Tensor, *, lam: float = 0.5, eps: float = 1e-6
) -> Tensor:
    r"""Eigen's scale-invariant log loss, per image, then the mean over the batch.

    For each image, with :math:`d_i = \log \hat y_i - \log y_i` over its valid pixels and
    weights :math:`w_i` (:math:`n = \sum_i w_i`):

    .. math::
        L = \frac{1}{n}\sum_i w_i d_i^2 - \frac{\lambda}{n^2}\Big(\sum_i w_i d_i\Big)^2 .

    ``lam = 0.5`` is Eigen's training value; ``lam = 1`` makes the loss the (weighted) variance
    of :math:`d`, which ignores a global scale of ``pred``. This is the Eigen formula itself: no
    square root and no output scale factor (the BTS/AdaBins variant is
    :math:`10\sqrt{L}`). Images without a valid pixel are left out of the batch mean.

    Args:
        pred: predicted depth :math:`(B,1,H,W)`, positive where valid.
        target: ground-truth depth :math:`(B,1,H,W)`, positive where valid.
        mask: bool validity or float weights :math:`(B,1,H,W)`.
        lam: weight of the scale-invariance term, in [0, 1].
        eps: predictions below ``eps`` are clamped before the log (a ReLU head can output 0).

    Returns:
        scalar loss; 0 (with zero gradients) when the mask has no valid pixel.
    """
    weights = check_depth_pair("silog_loss", pred, target, mask)
    if not 0.0 <= lam <= 1.0:
        raise ValueError(f"silog_loss: lam must be in [0, 1], got {lam}")
    valid = weights > 0
    # Invalid pixels get log(1) on both sides, so neither the value nor its gradient is NaN.
    log_pred = torch.log(torch.where(valid, pred.clamp_min(eps), torch.ones_like(pred)))
    log_target = torch.log(torch.where(valid, target, torch.ones_like(target)))
    d = (log_pred - log_target).flatten(1)
    w = weights.flatten(1)
    n = w.sum(dim=1)
    has_pixels = n > 0
    n_safe = torch.where(has_pixels, n, torch.ones_like(n))
    mean_d = (w * d).sum(dim=1) / n_safe
    mean_d2 = (w * d**2).sum(dim=1) / n_safe
    per_image = mean_d2 - lam * mean_d**2
    images = has_pixels.sum().clamp_min(1)
    return torch.where(has_pixels, per_image, torch.zeros_like(per_image)).sum() / images


class SILogLoss(nn.Module):
    """Module twin of :func:`silog_loss`."""

    def __init__(self, lam: float = 0.5, eps: float = 1e-6) -> None:
        super().__init__()
        self.lam = lam
        self.eps = eps

    def forward(self, pred: Tensor, target: Tensor, mask: Tensor) -> Tensor:
        return silog_loss(pred, target, mask, lam=self.lam, eps=self.eps)
