"""Gradient losses: SANet's multi-spacing scale-invariant gradient and MiDaS gradient matching."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from monocle.losses.masking import check_depth_pair, pair_weights
from monocle.losses.ssi import scale_and_shift


def _differences(x: Tensor, spacing: int) -> tuple[Tensor, Tensor]:
    """Forward differences ``x[i, j+h] - x[i, j]`` and ``x[i+h, j] - x[i, j]`` (cropped)."""
    return x[..., :, spacing:] - x[..., :, :-spacing], x[..., spacing:, :] - x[..., :-spacing, :]


def _pair_weights(weights: Tensor, spacing: int) -> tuple[Tensor, Tensor]:
    along_x = pair_weights(weights[..., :, spacing:], weights[..., :, :-spacing])
    along_y = pair_weights(weights[..., spacing:, :], weights[..., :-spacing, :])
    return along_x, along_y


def scale_invariant_gradients(
    depth: Tensor, spacing: int, *, eps: float = 1e-6
) -> tuple[Tensor, Tensor]:
    r"""DeMoN's scale-invariant gradient of a depth map at one spacing ``h``.

    .. math::
        g_x(i,j) = \frac{f(i,j+h) - f(i,j)}{|f(i,j+h)| + |f(i,j)|}, \qquad
        g_y(i,j) = \frac{f(i+h,j) - f(i,j)}{|f(i+h,j)| + |f(i,j)|}

    (denominator floored at ``eps``). Multiplying ``f`` by a constant leaves both unchanged.

    Args:
        depth: :math:`(B,1,H,W)`.
        spacing: ``h`` in pixels, >= 1.

    Returns:
        ``(g_x, g_y)`` of shapes :math:`(B,1,H,W-h)` and :math:`(B,1,H-h,W)`.
    """
    magnitude = depth.abs()
    diff_x, diff_y = _differences(depth, spacing)
    sum_x = magnitude[..., :, spacing:] + magnitude[..., :, :-spacing]
    sum_y = magnitude[..., spacing:, :] + magnitude[..., :-spacing, :]
    return diff_x / sum_x.clamp_min(eps), diff_y / sum_y.clamp_min(eps)


def scale_invariant_gradient_loss(
    pred: Tensor,
    target: Tensor,
    mask: Tensor,
    *,
    spacings: Sequence[int] = (1, 2, 4, 8, 16),
    eps: float = 1e-6,
) -> Tensor:
    r"""SANet's gradient loss with DeMoN's scale-invariant gradients at several spacings.

    For each spacing ``h``: the L1 difference between predicted and ground-truth
    :func:`scale_invariant_gradients`, averaged over every x- and y-pair whose two pixels are
    valid (pair weight = the smaller mask weight). The result is the mean over the spacings that
    fit in the image (a spacing >= H and >= W has no pair and is skipped).

    Args:
        pred: predicted depth :math:`(B,1,H,W)`.
        target: ground-truth depth :math:`(B,1,H,W)`.
        mask: bool validity or float weights :math:`(B,1,H,W)`.
        spacings: pixel spacings ``h``.
        eps: floor of the gradient denominator.

    Returns:
        scalar loss; 0 (with zero gradients) when the mask has no valid pixel.
    """
    weights = check_depth_pair("scale_invariant_gradient_loss", pred, target, mask)
    if not spacings or any(int(h) != h or h < 1 for h in spacings):
        raise ValueError(
            f"scale_invariant_gradient_loss: spacings must be positive integers, got {spacings}"
        )
    valid = weights > 0
    # Invalid pixels become 1 on both sides: their differences are finite and weigh 0.
    pred_safe = torch.where(valid, pred, torch.ones_like(pred))
    target_safe = torch.where(valid, target, torch.ones_like(target))
    losses, has_pairs = [], []
    for h in spacings:
        pred_gx, pred_gy = scale_invariant_gradients(pred_safe, h, eps=eps)
        target_gx, target_gy = scale_invariant_gradients(target_safe, h, eps=eps)
        weight_x, weight_y = _pair_weights(weights, h)
        total = weight_x.sum() + weight_y.sum()
        error = (weight_x * (pred_gx - target_gx).abs()).sum()
        error = error + (weight_y * (pred_gy - target_gy).abs()).sum()
        losses.append(error / torch.where(total > 0, total, 1.0))
        has_pairs.append(total > 0)
    return torch.stack(losses).sum() / torch.stack(has_pairs).sum().clamp_min(1)


def gradient_matching_loss(
    pred: Tensor, target: Tensor, mask: Tensor, *, scales: int = 4, align: bool = True
) -> Tensor:
    r"""MiDaS multi-scale gradient matching on the residual :math:`R = s\hat y + b - y`.

    ``(s, b)`` come from the per-image least-squares :func:`~monocle.losses.ssi.scale_and_shift`
    when ``align`` is true (MiDaS applies this term to the aligned prediction); otherwise
    :math:`s=1, b=0`. At scale ``k`` (``k = 0 .. scales-1``) the maps are subsampled with stride
    :math:`2^k` and
    :math:`L_k = \sum (w_x |\nabla_x R| + w_y |\nabla_y R|) / \sum w` over the batch, with the
    pair weights the smaller of the two pixel weights and :math:`\sum w` the mask sum at that
    scale (Ranftl's reference code). The loss is :math:`\sum_k L_k` (a sum, as in MiDaS).

    Args:
        pred: prediction :math:`(B,1,H,W)`.
        target: ground truth :math:`(B,1,H,W)`.
        mask: bool validity or float weights :math:`(B,1,H,W)`.
        scales: number of scales.
        align: align ``pred`` to ``target`` per image before taking the residual.

    Returns:
        scalar loss; 0 (with zero gradients) when the mask has no valid pixel.
    """
    weights = check_depth_pair("gradient_matching_loss", pred, target, mask)
    if scales < 1:
        raise ValueError(f"gradient_matching_loss: scales must be >= 1, got {scales}")
    if align:
        scale, shift = scale_and_shift(pred, target, weights)
        pred = scale * pred + shift
    valid = weights > 0
    residual = torch.where(valid, pred - torch.where(valid, target, 0.0), 0.0)
    loss = pred.new_zeros(())
    for k in range(scales):
        step = 2**k
        r = residual[..., ::step, ::step]
        w = weights[..., ::step, ::step]
        diff_x, diff_y = _differences(r, 1)
        weight_x, weight_y = _pair_weights(w, 1)
        total = w.sum()
        error = (weight_x * diff_x.abs()).sum() + (weight_y * diff_y.abs()).sum()
        loss = loss + error / torch.where(total > 0, total, 1.0)
    return loss


class ScaleInvariantGradientLoss(nn.Module):
    """Module twin of :func:`scale_invariant_gradient_loss`."""

    def __init__(self, spacings: Sequence[int] = (1, 2, 4, 8, 16), eps: float = 1e-6) -> None:
        super().__init__()
        self.spacings = tuple(spacings)
        self.eps = eps

    def forward(self, pred: Tensor, target: Tensor, mask: Tensor) -> Tensor:
        return scale_invariant_gradient_loss(
            pred, target, mask, spacings=self.spacings, eps=self.eps
        )


class GradientMatchingLoss(nn.Module):
    """Module twin of :func:`gradient_matching_loss`."""

    def __init__(self, scales: int = 4, align: bool = True) -> None:
        super().__init__()
        self.scales = scales
        self.align = align

    def forward(self, pred: Tensor, target: Tensor, mask: Tensor) -> Tensor:
        return gradient_matching_loss(pred, target, mask, scales=self.scales, align=self.align)
