"""Surface-normal loss: normals from depth (camera or image space) compared by cosine."""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from kornia.filters import spatial_gradient
from kornia.geometry.depth import depth_to_normals
from torch import Tensor, nn

from monocle.losses.masking import check_depth_map, check_depth_pair, weighted_mean

NormalSpace = Literal["camera", "image"]


def _check_intrinsics(name: str, K: Tensor, batch: int) -> Tensor:
    if K.shape == (3, 3):
        K = K.expand(batch, 3, 3)
    if K.shape != (batch, 3, 3):
        raise ValueError(
            f"{name}: K has shape {tuple(K.shape)}; expected (3,3) or (B,3,3) with B={batch}."
        )
    return K


def normals_from_depth(depth: Tensor, K: Tensor) -> Tensor:
    r"""Unit surface normals of the point cloud back-projected from ``depth`` with ``K``.

    Delegates to :func:`kornia.geometry.depth.depth_to_normals` (differentiable): points
    :math:`z K^{-1}[u, v, 1]^T`, normalised 3x3 Sobel tangents with replicate padding,
    :math:`n = \partial_u X \times \partial_v X`. A fronto-parallel plane gets :math:`(0, 0, 1)`
    (pointing away from the camera), the same orientation as :func:`image_space_normals`.

    Args:
        depth: z-depth :math:`(B,1,H,W)`, H and W >= 2.
        K: intrinsics in pixels of this image, :math:`(B,3,3)` or :math:`(3,3)`.

    Returns:
        unit normals :math:`(B,3,H,W)` (zero vectors where the tangents vanish).
    """
    check_depth_map("normals_from_depth", "depth", depth)
    K = _check_intrinsics("normals_from_depth", K, depth.shape[0])
    return depth_to_normals(depth, K.to(device=depth.device, dtype=depth.dtype))


def image_space_normals(depth: Tensor) -> Tensor:
    r"""The seed's normals :math:`n = (-\partial_x d, -\partial_y d, 1) / \|\cdot\|`.

    Derivatives are kornia's normalised 3x3 Sobel with replicate padding (a ramp of slope ``a``
    has derivative exactly ``a``), so pixel units are mixed with depth units: no intrinsics.

    Args:
        depth: :math:`(B,1,H,W)`.

    Returns:
        unit normals :math:`(B,3,H,W)`.
    """
    check_depth_map("image_space_normals", "depth", depth)
    gradients = spatial_gradient(depth)[:, 0]  # (B,2,H,W): d/dx, d/dy
    normals = torch.cat([-gradients, torch.ones_like(depth)], dim=1)
    return F.normalize(normals, dim=1)


def normal_loss(
    pred: Tensor,
    target: Tensor,
    mask: Tensor,
    *,
    K: Tensor | None = None,
    space: NormalSpace = "camera",
) -> Tensor:
    r"""Mean :math:`1 - \cos(n_{pred}, n_{target})` of the normals of two depth maps.

    ``space="camera"`` uses :func:`normals_from_depth` with ``K`` (the ground truth's
    intrinsics, used for both maps); ``space="image"`` uses the seed's
    :func:`image_space_normals` and ignores ``K``. A pixel's normal depends on its 3x3
    neighbourhood, so its weight is the smallest mask weight in that neighbourhood: pixels next to
    an invalid one, and the one-pixel image border, do not count.

    Args:
        pred: predicted depth :math:`(B,1,H,W)`, H and W >= 3.
        target: ground-truth depth :math:`(B,1,H,W)`.
        mask: bool validity or float weights :math:`(B,1,H,W)`.
        K: intrinsics :math:`(B,3,3)` or :math:`(3,3)`; required for ``space="camera"``.
        space: ``"camera"`` or ``"image"``.

    Returns:
        scalar loss in [0, 2]; 0 (with zero gradients) when no pixel has a valid neighbourhood.
    """
    weights = check_depth_pair("normal_loss", pred, target, mask)
    if pred.shape[-2] < 3 or pred.shape[-1] < 3:
        raise ValueError(f"normal_loss: maps must be at least 3x3, got {tuple(pred.shape)}")
    valid = weights > 0
    # Invalid pixels (often 0) become 1 so that no tangent is degenerate; they weigh 0 anyway.
    pred_safe = torch.where(valid, pred, torch.ones_like(pred))
    target_safe = torch.where(valid, target, torch.ones_like(target))
    if space == "camera":
        if K is None:
            raise ValueError(
                "normal_loss: space='camera' needs the intrinsics K (B,3,3); "
                "pass K=... or use space='image' for the seed's image-space normals."
            )
        pred_normals = normals_from_depth(pred_safe, K)
        target_normals = normals_from_depth(target_safe, K)
    elif space == "image":
        pred_normals = image_space_normals(pred_safe)
        target_normals = image_space_normals(target_safe)
    else:
        raise ValueError(f"normal_loss: space must be 'camera' or 'image', got {space!r}")
    # Min-pool over 3x3 with zero padding: border pixels, whose replicate-padded derivatives
    # are halved (which tilts the image-space normal), do not count either.
    padded = F.pad(weights, (1, 1, 1, 1), value=0.0)
    neighbourhood_weights = -F.max_pool2d(-padded, kernel_size=3, stride=1)
    cosine = (pred_normals * target_normals).sum(dim=1, keepdim=True)
    return weighted_mean(1.0 - cosine, neighbourhood_weights)


class NormalLoss(nn.Module):
    """Module twin of :func:`normal_loss`; ``K`` is passed per batch to ``forward``."""

    def __init__(self, space: NormalSpace = "camera") -> None:
        super().__init__()
        self.space = space

    def forward(
        self, pred: Tensor, target: Tensor, mask: Tensor, K: Tensor | None = None
    ) -> Tensor:
        return normal_loss(pred, target, mask, K=K, space=self.space)
