"""BerHu (reverse Huber) loss of Laina et al. 2016, as trained by SANet."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from monocle.losses.masking import check_depth_pair, weighted_mean


def berhu_loss(
    pred: Tensor,
    target: Tensor,
    mask: Tensor,
    *,
    c_ratio: float = 0.2,
    log: bool = False,
    eps: float = 1e-6,
) -> Tensor:
    r"""Reverse Huber loss with the threshold set from the batch's largest residual.

    With :math:`d = \hat y - y` (or :math:`d = \log \hat y - \log y` with ``log``) and
    :math:`c = \text{c\_ratio} \cdot \max |d|` over the valid pixels of the whole batch
    (``c`` is detached, as in FCRN/SANet):

    .. math::
        B(d) = |d| \text{ if } |d| \le c, \quad \frac{d^2 + c^2}{2c} \text{ otherwise},

    averaged with the mask weights: :math:`\sum_i w_i B(d_i) / \sum_i w_i`.

    Args:
        pred: predicted depth :math:`(B,1,H,W)`.
        target: ground-truth depth :math:`(B,1,H,W)`.
        mask: bool validity or float weights :math:`(B,1,H,W)`.
        c_ratio: threshold as a fraction of the largest absolute residual.
        log: compare log depths. In metres, a batch that mixes rooms (1-10 m) and streets
            (up to 80 m) is ruled by the far pixels; in log space an error of 10% weighs the
            same at 2 m and at 60 m, while a global scale error is still fully penalised.
        eps: with ``log``, predictions are clamped to at least ``eps`` before the log.

    Returns:
        scalar loss; 0 (with zero gradients) when the mask has no valid pixel.
    """
    weights = check_depth_pair("berhu_loss", pred, target, mask)
    if c_ratio <= 0:
        raise ValueError(f"berhu_loss: c_ratio must be > 0, got {c_ratio}")
    valid = weights > 0
    if log:
        # Invalid pixels get log(1) on both sides, so neither value nor gradient is NaN.
        pred = torch.log(torch.where(valid, pred.clamp_min(eps), torch.ones_like(pred)))
        target = torch.log(torch.where(valid, target, torch.ones_like(target)))
    residual = torch.where(valid, pred - target, torch.zeros_like(pred))
    abs_residual = residual.abs()
    # Flooring c keeps the unselected quadratic branch finite when every residual is 0.
    c = (c_ratio * abs_residual.detach().max()).clamp_min(torch.finfo(pred.dtype).tiny)
    quadratic = (residual**2 + c**2) / (2 * c)
    return weighted_mean(torch.where(abs_residual <= c, abs_residual, quadratic), weights)


class BerHuLoss(nn.Module):
    """Module twin of :func:`berhu_loss`."""

    def __init__(self, c_ratio: float = 0.2, log: bool = False, eps: float = 1e-6) -> None:
        super().__init__()
        self.c_ratio = c_ratio
        self.log = log
        self.eps = eps

    def forward(self, pred: Tensor, target: Tensor, mask: Tensor) -> Tensor:
        return berhu_loss(pred, target, mask, c_ratio=self.c_ratio, log=self.log, eps=self.eps)
