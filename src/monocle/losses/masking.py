"""Input checks and masked reductions shared by every loss in :mod:`monocle.losses`.

A mask is either boolean (valid / invalid) or a float weight map (edge-aware weighting multiplies
the validity mask); both become float weights here. A quantity that compares two pixels (a
gradient, a pair of samples) is weighted by the smaller of the two weights, which is the logical
AND for boolean masks.
"""

from __future__ import annotations

import torch
from torch import Tensor


def _shape(tensor: Tensor) -> str:
    return "(" + ",".join(str(size) for size in tensor.shape) + ")"


def check_depth_map(loss_name: str, argument: str, tensor: Tensor) -> None:
    """Raise ``ValueError`` unless ``tensor`` is a floating ``(B,1,H,W)`` map."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{loss_name}: {argument} must be a torch.Tensor, got {type(tensor)}")
    if tensor.ndim != 4 or tensor.shape[1] != 1:
        raise ValueError(
            f"{loss_name}: {argument} has shape {_shape(tensor)}; expected (B,1,H,W). "
            "Add the channel axis with .unsqueeze(1) or pick one channel."
        )
    if not tensor.is_floating_point():
        raise ValueError(f"{loss_name}: {argument} must be floating point, got {tensor.dtype}")


def mask_weights(
    loss_name: str, reference: Tensor, mask: Tensor, *, argument: str = "mask"
) -> Tensor:
    """Check ``mask`` against ``reference`` (B,1,H,W) and return it as float weights.

    Args:
        loss_name: the calling loss, named in error messages.
        reference: the map the mask belongs to, :math:`(B,1,H,W)`.
        mask: bool validity or float weights (>= 0), same shape as ``reference``.

    Returns:
        float weights :math:`(B,1,H,W)` in ``reference``'s dtype.
    """
    if not isinstance(mask, Tensor):
        raise TypeError(f"{loss_name}: {argument} must be a torch.Tensor, got {type(mask)}")
    if mask.shape != reference.shape:
        raise ValueError(
            f"{loss_name}: {argument} has shape {_shape(mask)} but the depth maps are "
            f"{_shape(reference)}; pass one bool or float weight per pixel."
        )
    if mask.dtype != torch.bool and not mask.is_floating_point():
        raise ValueError(f"{loss_name}: {argument} must be bool or float weights, got {mask.dtype}")
    return mask.to(reference.dtype)


def check_depth_pair(loss_name: str, pred: Tensor, target: Tensor, mask: Tensor) -> Tensor:
    """Check ``pred``, ``target`` and ``mask`` (all (B,1,H,W)) and return the float weights."""
    check_depth_map(loss_name, "pred", pred)
    check_depth_map(loss_name, "target", target)
    if pred.shape != target.shape:
        raise ValueError(
            f"{loss_name}: pred has shape {_shape(pred)} but target has {_shape(target)}; "
            "resize the prediction to the ground truth first."
        )
    return mask_weights(loss_name, pred, mask)


def weighted_mean(values: Tensor, weights: Tensor) -> Tensor:
    """Return ``sum(weights * values) / sum(weights)``, and an exact 0 when all weights are 0.

    ``values`` must be finite everywhere (sanitise invalid pixels before computing them): the
    gradient of the result is then finite too, also with all-zero weights.
    """
    total = weights.sum()
    return (weights * values).sum() / torch.where(total > 0, total, torch.ones_like(total))


def pair_weights(first: Tensor, second: Tensor) -> Tensor:
    """Weight of a quantity that involves two pixels: the smaller weight (AND for bool masks)."""
    return torch.minimum(first, second)
