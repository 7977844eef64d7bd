"""Which pixels count, and whether a prediction may be scored: the one place metrics check inputs.

Every metric in :mod:`monocle.metrics` takes one image at a time: ``pred``, ``gt`` and ``valid``
of shape (H, W) or (1, H, W). A leading channel of size 1 is ignored, so a (1, H, W) ground truth
can be scored against a (H, W) prediction. Numpy arrays are accepted and converted with
:func:`torch.as_tensor`.
"""

from __future__ import annotations

import numpy as np
import torch

ArrayLike = torch.Tensor | np.ndarray


def to_plane(x: ArrayLike, name: str) -> torch.Tensor:
    """Convert ``x`` to a tensor and view it as one (H, W) plane.

    Args:
        x: (H, W) or (1, H, W) tensor or array.
        name: argument name used in the error message.

    Returns:
        (H, W) tensor sharing memory with ``x`` where possible.
    """
    tensor = torch.as_tensor(x)
    if tensor.ndim == 3 and tensor.shape[0] == 1:
        tensor = tensor[0]
    if tensor.ndim != 2:
        raise ValueError(
            f"{name} must have shape (H, W) or (1, H, W), got {tuple(tensor.shape)}; "
            "metrics score one image at a time, so loop over a batch"
        )
    return tensor


def _as_bool(mask: torch.Tensor) -> torch.Tensor:
    # Integer and float masks (0/1 from image files) count their non-zero entries as valid.
    return mask if mask.dtype == torch.bool else mask != 0


def valid_mask(
    gt: ArrayLike,
    valid: ArrayLike | None = None,
    *,
    min_depth: float | None = None,
    max_depth: float | None = None,
) -> torch.Tensor:
    """Pixels whose ground truth can be scored.

    ``finite(gt) & (gt > 0) & valid & (gt > min_depth) & (gt < max_depth)``; the range bounds are
    strict, as in monodepth2 and the Monocular-Depth-Estimation-Toolbox. This is the only place
    where a zero ground-truth depth means "missing": NaN, inf and non-positive depths are invalid.

    Args:
        gt: ground-truth depth, (H, W) or (1, H, W).
        valid: optional mask of the same shape (bool, or non-zero = valid).
        min_depth: optional exclusive lower bound on ``gt``.
        max_depth: optional exclusive upper bound on ``gt``.

    Returns:
        bool tensor with the shape of ``gt``.
    """
    gt = torch.as_tensor(gt)
    mask = torch.isfinite(gt) & (gt > 0)
    if valid is not None:
        valid = _as_bool(torch.as_tensor(valid, device=gt.device))
        if valid.shape != gt.shape:
            if to_plane(valid, "valid").shape != to_plane(gt, "gt").shape:
                raise ValueError(
                    f"valid has shape {tuple(valid.shape)} but gt has shape {tuple(gt.shape)}; "
                    "they must match"
                )
            valid = valid.reshape(gt.shape)
        mask &= valid
    if min_depth is not None:
        mask &= gt > min_depth
    if max_depth is not None:
        mask &= gt < max_depth
    return mask


def _check_shapes(pred: ArrayLike, gt: ArrayLike) -> torch.Tensor:
    """The (H, W) plane of ``pred`` after checking it has the plane shape of ``gt``."""
    pred_plane = to_plane(pred, "pred")
    if pred_plane.shape != to_plane(gt, "gt").shape:
        raise ValueError(
            f"pred has shape {tuple(torch.as_tensor(pred).shape)} but gt has shape "
            f"{tuple(torch.as_tensor(gt).shape)}; resize the prediction to the ground truth first"
        )
    return pred_plane


def check_prediction(pred: ArrayLike, gt: ArrayLike, valid: ArrayLike | None = None) -> None:
    """Raise ``ValueError`` if ``pred`` cannot be scored against ``gt`` on ``valid``.

    Args:
        pred: predicted depth, (H, W) or (1, H, W).
        gt: ground-truth depth of the same (H, W).
        valid: optional mask of the same (H, W); None checks every pixel.

    Raises:
        ValueError: shapes differ (the message names both), or ``pred`` holds NaN/inf at valid
            pixels (the message counts them).
    """
    pred_plane = _check_shapes(pred, gt)
    if valid is None:
        inside = torch.ones_like(pred_plane, dtype=torch.bool)
    else:
        inside = _as_bool(to_plane(valid, "valid").to(pred_plane.device))
        if inside.shape != pred_plane.shape:
            raise ValueError(
                f"valid has shape {tuple(torch.as_tensor(valid).shape)} but pred and gt have "
                f"{tuple(pred_plane.shape)}; they must match"
            )
    n_bad = int((~torch.isfinite(pred_plane) & inside).sum())
    if n_bad:
        raise ValueError(f"prediction has {n_bad} NaN/inf pixels inside the valid mask")


def check_positive(depth: torch.Tensor, mask: torch.Tensor, what: str = "predicted depths") -> None:
    """Raise ``ValueError`` counting the non-positive ``depth`` values inside ``mask``."""
    n_bad = int(((depth <= 0) & mask).sum())
    if n_bad:
        raise ValueError(
            f"{n_bad} non-positive {what} inside the valid mask; depth must be positive: "
            "align or clamp first (e.g. align_depth(..., depth_cap=...) or pred.clamp(min=1e-3))"
        )


def checked_planes(
    pred: ArrayLike, gt: ArrayLike, valid: ArrayLike | None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Float64 (H, W) planes of ``pred`` and ``gt`` and the bool (H, W) mask to score.

    The mask is :func:`valid_mask` of ``gt`` and ``valid``. ``pred`` must be finite on it
    (``ValueError`` otherwise) and may hold anything where the ground truth is missing.
    """
    pred_plane = _check_shapes(pred, gt).to(torch.float64)
    gt_plane = to_plane(gt, "gt").to(device=pred_plane.device, dtype=torch.float64)
    valid_plane = None if valid is None else to_plane(valid, "valid").to(pred_plane.device)
    mask = valid_mask(gt_plane, valid_plane)
    check_prediction(pred_plane, gt_plane, mask)
    return pred_plane, gt_plane, mask


def prepare_inputs(
    pred: ArrayLike, gt: ArrayLike, valid: ArrayLike | None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """:func:`checked_planes` for a depth prediction, which must also be positive on the mask."""
    pred_plane, gt_plane, mask = checked_planes(pred, gt, valid)
    check_positive(pred_plane, mask)
    return pred_plane, gt_plane, mask
