"""Depth boundary metrics: Depth Pro boundary F1, iBims-1 DBE, soft edge error (SEE).

Shape contract: every map is one image, (H, W) or (1, H, W), tensor or numpy array; masks are
bool (or non-zero = valid) of the same shape. Depths must be finite and positive at valid pixels.
Results are Python floats.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage

from monocle.metrics.validity import ArrayLike, prepare_inputs, to_plane, valid_mask

SI_F1_THRESHOLDS = torch.linspace(1.05, 1.25, 10, dtype=torch.float64)

# iBims-1 Canny settings (Koch et al.'s script: skimage canny, sigma=sqrt(2), low 0.15, high 0.3
# on the [0, 1]-normalised prediction).
_CANNY_SIGMA = math.sqrt(2.0)
_CANNY_LOW = 0.15
_CANNY_HIGH = 0.3


class _NeighbourRatios:
    """Inverse-depth ratios d[neighbour] / d[pixel] of pred and gt over valid neighbour pairs.

    Directions in Depth Pro's order: left, top, right, bottom neighbour. Each ratio map holds one
    entry per neighbouring pixel pair ((H, W-1) or (H-1, W)).
    """

    def __init__(self, pred_depth: ArrayLike, gt_depth: ArrayLike, valid: ArrayLike | None):
        pred, gt, mask = prepare_inputs(pred_depth, gt_depth, valid)
        # Invalid pixels get 1 only to keep the ratios finite; no pair touching them counts.
        one = torch.ones_like(pred)
        self.pred = self._ratios(torch.where(mask, 1.0 / pred, one))
        self.gt = self._ratios(torch.where(mask, 1.0 / gt, one))
        horizontal = mask[:, :-1] & mask[:, 1:]
        vertical = mask[:-1, :] & mask[1:, :]
        self.pairs = [horizontal, vertical, horizontal, vertical]
        self.empty = not (horizontal.any() or vertical.any())

    @staticmethod
    def _ratios(inverse: torch.Tensor) -> list[torch.Tensor]:
        return [
            inverse[:, :-1] / inverse[:, 1:],
            inverse[:-1, :] / inverse[1:, :],
            inverse[:, 1:] / inverse[:, :-1],
            inverse[1:, :] / inverse[:-1, :],
        ]

    def f1(self, t: float) -> float:
        # Depth Pro averages over all 4 directions, dividing by max(count, 1): a direction with
        # no contour contributes 0, so a straight step (one direction) scores at most 0.25.
        recall = precision = 0.0
        for pred, gt, pair in zip(self.pred, self.gt, self.pairs, strict=True):
            pred_contour = (pred > t) & pair
            gt_contour = (gt > t) & pair
            hits = int((pred_contour & gt_contour).sum())
            recall += hits / max(int(gt_contour.sum()), 1) / 4
            precision += hits / max(int(pred_contour.sum()), 1) / 4
        if recall + precision == 0:
            return 0.0
        return 2 * precision * recall / (precision + recall)


def boundary_f1(
    pred_depth: ArrayLike,
    gt_depth: ArrayLike,
    threshold: float,
    valid: ArrayLike | None = None,
) -> float:
    """Depth Pro's boundary F1 at one ratio threshold (``eval/boundary_metrics.py``).

    On inverse depth d = 1/depth: for each neighbour direction (left, top, right, bottom) an
    occluding contour lies at a pixel if d_neighbour / d > threshold, i.e. the neighbour is
    nearer by that ratio. Recall and precision are means over the 4 directions of |P∧G| / |G|
    and |P∧G| / |P| (each denominator floored at 1, as Depth Pro does); F1 = 2PR / (P + R), 0
    when both are 0. Only neighbour pairs with both pixels valid are counted.

    Args:
        pred_depth: predicted depth, (H, W) or (1, H, W).
        gt_depth: ground-truth depth, same shape.
        threshold: ratio t > 1.
        valid: optional mask, same shape; combined with :func:`valid_mask`.

    Returns:
        F1 in [0, 1]; NaN when no neighbouring pair of valid pixels exists.
    """
    ratios = _NeighbourRatios(pred_depth, gt_depth, valid)
    return math.nan if ratios.empty else ratios.f1(threshold)


def si_boundary_f1(
    pred_depth: ArrayLike, gt_depth: ArrayLike, valid: ArrayLike | None = None
) -> float:
    """Depth Pro's scale-invariant boundary F1: Σ_i w_i · boundary_f1(t_i).

    t_i = linspace(1.05, 1.25, 10), w_i = t_i / Σ t. Only depth ratios enter, so the score is
    invariant to a global scale of either map. Shapes and NaN rule as :func:`boundary_f1`.
    """
    ratios = _NeighbourRatios(pred_depth, gt_depth, valid)
    if ratios.empty:
        return math.nan
    weights = SI_F1_THRESHOLDS / SI_F1_THRESHOLDS.sum()
    return sum(
        float(w) * ratios.f1(float(t)) for t, w in zip(SI_F1_THRESHOLDS, weights, strict=True)
    )


def depth_edges(
    depth: ArrayLike, valid: ArrayLike | None = None, *, ratio: float = 1.25
) -> torch.Tensor:
    """Occluding edges of a depth map, for SEE and DBE when no annotated edges exist.

    A pixel is an edge if one of its 4 neighbours (both valid) is farther by more than ``ratio``
    (depth_neighbour / depth > ratio). Only the nearer pixel of the pair is marked, so edges are
    one pixel thick and lie on the occluding object, like the annotated iBims-1 edges.

    Args:
        depth: (H, W) or (1, H, W) depth.
        valid: optional mask, same shape; combined with :func:`valid_mask`.
        ratio: depth ratio threshold, > 1.

    Returns:
        bool tensor with the shape of ``depth``.
    """
    if not ratio > 1:
        raise ValueError(f"depth_edges: ratio must be > 1, got {ratio}")
    depth_tensor = torch.as_tensor(depth)
    plane = to_plane(depth_tensor, "depth").to(torch.float64)
    mask = valid_mask(plane, None if valid is None else to_plane(valid, "valid"))
    plane = torch.where(mask, plane, torch.ones_like(plane))
    horizontal = mask[:, :-1] & mask[:, 1:]
    vertical = mask[:-1, :] & mask[1:, :]
    edges = torch.zeros_like(mask)
    edges[:, :-1] |= horizontal & (plane[:, 1:] / plane[:, :-1] > ratio)
    edges[:, 1:] |= horizontal & (plane[:, :-1] / plane[:, 1:] > ratio)
    edges[:-1, :] |= vertical & (plane[1:, :] / plane[:-1, :] > ratio)
    edges[1:, :] |= vertical & (plane[:-1, :] / plane[1:, :] > ratio)
    return edges.reshape(depth_tensor.shape)


def soft_edge_error(
    pred: ArrayLike, gt: ArrayLike, gt_edges: ArrayLike, valid: ArrayLike | None = None
) -> float:
    """Soft edge error (SEE, PRO / PatchRefiner): tolerant depth error on ground-truth edges.

    SEE = mean over valid GT-edge pixels x of min over the 3x3 neighbourhood N(x) of
    |pred(n) − gt(x)|: a prediction whose edge is off by one pixel is not punished. Neighbours
    outside the image or with non-finite pred are skipped. (PRO's code shifts gt instead of pred,
    min |gt(n) − pred(x)| with zero padding; the two agree away from the image border.)

    Args:
        pred: predicted depth, (H, W) or (1, H, W), in the units of ``gt``.
        gt: ground-truth depth, same shape.
        gt_edges: bool edge map, same shape (annotated, or :func:`depth_edges` of ``gt``).
        valid: optional mask, same shape.

    Returns:
        SEE in depth units; NaN when no valid pixel is an edge.
    """
    pred_plane, gt_plane, mask = prepare_inputs(pred, gt, valid)
    edges = to_plane(gt_edges, "gt_edges").to(pred_plane.device) != 0
    if edges.shape != pred_plane.shape:
        raise ValueError(
            f"gt_edges has shape {tuple(edges.shape)} but pred and gt have "
            f"{tuple(pred_plane.shape)}; they must match"
        )
    edges &= mask
    if not edges.any():
        return math.nan
    finite = torch.where(torch.isfinite(pred_plane), pred_plane, math.inf)
    padded = F.pad(finite[None, None], (1, 1, 1, 1), value=math.inf)[0, 0]
    height, width = pred_plane.shape
    errors = torch.stack(
        [
            (padded[dy : dy + height, dx : dx + width] - gt_plane).abs()
            for dy in range(3)
            for dx in range(3)
        ]
    ).amin(dim=0)
    return float(errors[edges].mean())


def _canny_edges(depth: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """iBims-1 predicted edges E_p of a float64 depth map, restricted to ``mask``.

    The official script runs ``skimage.feature.canny(x, sigma=√2, low=0.15, high=0.3)`` on the
    prediction min-max normalised to x ∈ [0, 1]. Here: x is normalised over the valid pixels,
    invalid pixels take the value of the nearest valid one (so holes add no edges),
    ``cv2.GaussianBlur(x, σ=√2)`` (13-tap kernel, as skimage's truncate=4), then
    ``cv2.Canny(uint8(round(255·x)), 0.15·255, 0.3·255, L2gradient=True)``. Both use the
    unnormalised 3x3 Sobel and the L2 gradient magnitude, so scaling x by 255 scales the
    thresholds by 255; what remains different is uint8 quantisation and border handling.
    """
    values = depth[mask]
    low, high = values.min(), values.max()
    normalised = (depth - low) / (high - low) if high > low else np.zeros_like(depth)
    if not mask.all():
        nearest = ndimage.distance_transform_edt(~mask, return_distances=False, return_indices=True)
        normalised = normalised[tuple(nearest)]
    blurred = cv2.GaussianBlur(normalised.astype(np.float32), (0, 0), _CANNY_SIGMA)
    image = np.clip(np.rint(blurred * 255.0), 0, 255).astype(np.uint8)
    edges = cv2.Canny(image, _CANNY_LOW * 255.0, _CANNY_HIGH * 255.0, L2gradient=True) > 0
    return edges & mask


def dbe(
    pred_depth: ArrayLike,
    gt_edges: ArrayLike,
    valid: ArrayLike | None = None,
    *,
    theta: float = 10.0,
) -> tuple[float, float]:
    """iBims-1 depth boundary errors (accuracy, completeness), Koch et al. 2018.

    E_p = Canny edges of the min-max normalised prediction (exact mapping in ``_canny_edges``),
    E_gt = ``gt_edges``, both restricted to the valid pixels. D_gt and D_p are the Euclidean
    distances to the nearest E_gt / E_p pixel. Then

    - ε_acc = mean of D_gt over the E_p pixels with D_gt < θ;
    - ε_comp = [Σ_{E_p} min(D_gt, θ) + Σ_{E_gt} min(D_p, θ)] / (|E_p| + |E_gt|);
    - if no predicted edge lies within θ of a GT edge: ε_acc = ε_comp = θ (10 px by default,
      the official script's value).

    Args:
        pred_depth: predicted depth, (H, W) or (1, H, W); any positive scale.
        gt_edges: bool GT edge map, same shape.
        valid: optional mask, same shape; combined with ``valid_mask(pred_depth)`` (finite and
            positive predictions).
        theta: distance threshold in pixels.

    Returns:
        (acc, comp) in pixels; (NaN, NaN) when the image has no valid GT edge, as the official
        script skips it.
    """
    pred_plane = to_plane(pred_depth, "pred_depth").to(torch.float64)
    edges_gt = to_plane(gt_edges, "gt_edges").to(pred_plane.device) != 0
    if edges_gt.shape != pred_plane.shape:
        raise ValueError(
            f"gt_edges has shape {tuple(edges_gt.shape)} but pred_depth has "
            f"{tuple(pred_plane.shape)}; they must match"
        )
    # As the official script, which sets zero predictions to NaN, treats them as missing.
    mask = valid_mask(pred_plane, None if valid is None else to_plane(valid, "valid"))
    mask_np = mask.cpu().numpy()
    edges_gt_np = edges_gt.cpu().numpy() & mask_np
    if not edges_gt_np.any():
        return math.nan, math.nan
    edges_pred = _canny_edges(pred_plane.cpu().numpy(), mask_np)
    distance_to_gt = ndimage.distance_transform_edt(~edges_gt_np)
    near = edges_pred & (distance_to_gt < theta)
    if not near.any():
        return float(theta), float(theta)
    acc = distance_to_gt[near].mean()
    distance_to_pred = ndimage.distance_transform_edt(~edges_pred)
    comp = (
        np.minimum(distance_to_gt[edges_pred], theta).sum()
        + np.minimum(distance_to_pred[edges_gt_np], theta).sum()
    ) / (edges_pred.sum() + edges_gt_np.sum())
    return float(acc), float(comp)
