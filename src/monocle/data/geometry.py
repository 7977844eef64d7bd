"""Geometric operations on contract samples; each one keeps K, depth and the valid mask in step.

Pixel convention (the same as :class:`monocle.DepthMap` and OpenCV): pixel (u, v) = (column,
row) has its centre at integer coordinates, the image spans [-0.5, W - 0.5] x [-0.5, H - 0.5].
Hence:

- resize by (sx, sy) = (W'/W, H'/H): ``u' + 0.5 = (u + 0.5) * sx``, so ``fx' = fx * sx`` and
  ``cx' = (cx + 0.5) * sx - 0.5``;
- crop at (top, left): ``cx' = cx - left``, ``cy' = cy - top``;
- horizontal flip: ``u' = W - 1 - u``, so ``cx' = W - 1 - cx`` (and the skew changes sign).

Depth is metric and planar, so none of these change depth *values*; they move pixels. Depth,
normals and labels are resampled with :func:`resize_nearest_valid`, which never averages across
a depth edge and never blends invalid zeros in. All functions take and return contract dicts
(see :mod:`monocle.data.base`) and do not modify their input.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from monocle.data.base import DatasetError, Sample, check_size

# Keys resampled like the image (bilinear), like depth (nearest-valid) and like labels.
IMAGE_KEYS = ("image", "background_image", "image_right")
DEPTH_KEYS = ("depth", "valid", "background_depth", "background_valid", "depth_right", "normals")
LABEL_KEYS = ("segmentation", "instance")
SPATIAL_KEYS = (*IMAGE_KEYS, *DEPTH_KEYS, *LABEL_KEYS)

Matrix = np.ndarray | torch.Tensor


def _refuse_unknown_maps(sample: Sample, what: str) -> None:
    """A per-pixel key we do not know how to resample would silently fall out of register."""
    size = tuple(sample["image"].shape[-2:])
    for key, value in sample.items():
        if key in SPATIAL_KEYS or not isinstance(value, torch.Tensor) or value.ndim < 3:
            continue
        if tuple(value.shape[-2:]) == size:
            raise DatasetError(
                f"{what} cannot resample the per-pixel key {key!r} (it knows {SPATIAL_KEYS}); "
                f"drop {key!r} from the sample before transforming, or transform it yourself"
            )


def scale_intrinsics(K: Matrix, scale_x: float, scale_y: float) -> Matrix:
    """K for an image resized by (scale_x, scale_y) = (W'/W, H'/H).

    Args:
        K: (3, 3) numpy array or tensor.

    Returns:
        a new (3, 3) array of the same type.
    """
    K = K.clone() if isinstance(K, torch.Tensor) else np.array(K, dtype=np.float32)
    K[0, 0] *= scale_x
    K[0, 1] *= scale_x
    K[0, 2] = (K[0, 2] + 0.5) * scale_x - 0.5
    K[1, 1] *= scale_y
    K[1, 2] = (K[1, 2] + 0.5) * scale_y - 0.5
    return K


def crop_intrinsics(K: Matrix, top: float, left: float) -> Matrix:
    """K for the crop whose top-left pixel was (row ``top``, column ``left``); (3, 3) in and out."""
    K = K.clone() if isinstance(K, torch.Tensor) else np.array(K, dtype=np.float32)
    K[0, 2] -= left
    K[1, 2] -= top
    return K


def flip_intrinsics(K: Matrix, width: int) -> Matrix:
    """K for the horizontally mirrored image of the given width; (3, 3) in and out."""
    K = K.clone() if isinstance(K, torch.Tensor) else np.array(K, dtype=np.float32)
    K[0, 2] = width - 1 - K[0, 2]
    K[0, 1] = -K[0, 1]
    return K


def _footprints(n_in: int, n_out: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per output index along one axis: candidate input indices, their mask and distances.

    Output pixel i covers input coordinates [i/s - 0.5, (i+1)/s - 0.5) with s = n_out / n_in;
    its candidates are the input pixels whose centres lie in there, or (when upsampling leaves
    none) the single input pixel nearest its centre. Integer arithmetic keeps this exact.
    """
    index = np.arange(n_out)
    start = -((n_out - 2 * index * n_in) // (2 * n_out))  # ceil((2 i n_in - n_out) / (2 n_out))
    stop = -((n_out - 2 * (index + 1) * n_in) // (2 * n_out))
    # ceil(centre - 0.5): the nearest input pixel, the upper-left one on a tie.
    nearest = np.clip(-((2 * n_out - (2 * index + 1) * n_in) // (2 * n_out)), 0, n_in - 1)
    empty = stop <= start
    start = np.where(empty, nearest, start)
    stop = np.where(empty, nearest + 1, stop)
    width = int((stop - start).max())
    candidates = start[:, None] + np.arange(width)[None, :]
    inside = candidates < stop[:, None]
    centre = ((2 * index + 1) * n_in - n_out) / (2 * n_out)
    distance = (candidates - centre[:, None]) ** 2
    candidates = np.minimum(candidates, n_in - 1)
    return torch.from_numpy(candidates), torch.from_numpy(inside), torch.from_numpy(distance)


def resize_nearest_valid(
    values: torch.Tensor, valid: torch.Tensor | None, size: tuple[int, int]
) -> tuple[torch.Tensor, torch.Tensor]:
    """Resize without inventing values: each output pixel copies one valid input pixel or none.

    Rule: output pixel (i, j) takes the valid input pixel nearest (Euclidean) to its centre
    among the input pixels whose centres lie inside its footprint; when upsampling leaves a
    footprint without any input centre, the candidate is the single nearest input pixel. If no
    candidate is valid the output is invalid (0). Ties go to the top-left candidate. So depth
    is never averaged across an edge, invalid zeros never leak in, and sparse ground truth stays
    sparse (footprints are disjoint: a downscaled map never has more valid pixels than before).

    Args:
        values: (C, H, W) any dtype.
        valid: bool (1, H, W) or None (all valid: plain nearest-centre resampling).
        size: (H', W').

    Returns:
        values (C, H', W') with 0 where invalid, valid bool (1, H', W').
    """
    height, width = values.shape[-2:]
    rows, rows_in, rows_dist = _footprints(height, size[0])
    cols, cols_in, cols_dist = _footprints(width, size[1])
    if valid is None:
        valid = torch.ones((1, height, width), dtype=torch.bool)
    out = torch.zeros((values.shape[0], *size), dtype=values.dtype)
    best = torch.full(size, math.inf, dtype=torch.float64)
    # Visit the (at most a few) candidate offsets in row-major order; a strict "<" keeps the
    # first of equally near candidates, i.e. the upper-left one.
    for a in range(rows.shape[1]):
        for b in range(cols.shape[1]):
            picked_valid = valid[0].index_select(0, rows[:, a]).index_select(1, cols[:, b])
            distance = rows_dist[:, a, None] + cols_dist[None, :, b]
            better = picked_valid & rows_in[:, a, None] & cols_in[None, :, b] & (distance < best)
            best = torch.where(better, distance, best)
            picked = values.index_select(1, rows[:, a]).index_select(2, cols[:, b])
            out = torch.where(better[None], picked, out)
    return out, torch.isfinite(best)[None]


def _normals_valid(normals: torch.Tensor) -> torch.Tensor:
    return (normals != 0).any(dim=0, keepdim=True)


def resize_sample(sample: Sample, size: tuple[int, int]) -> Sample:
    """Resize every spatial key to (H', W') and scale K.

    Images: bilinear with antialiasing. Depth, background depth and normals: nearest-valid
    (:func:`resize_nearest_valid`). Labels: nearest centre.
    """
    size = (int(size[0]), int(size[1]))
    _refuse_unknown_maps(sample, "resize")
    height, width = sample["image"].shape[-2:]
    if size == (height, width):
        return dict(sample)
    out = dict(sample)
    for key in IMAGE_KEYS:
        if key in sample:
            out[key] = F.interpolate(
                sample[key][None], size=size, mode="bilinear", align_corners=False, antialias=True
            )[0].clamp_(0.0, 1.0)
    out["depth"], out["valid"] = resize_nearest_valid(sample["depth"], sample["valid"], size)
    if "background_depth" in sample:
        background = sample["background_depth"]
        background_valid = sample.get("background_valid", background > 0)
        out["background_depth"], resized_valid = resize_nearest_valid(
            background, background_valid, size
        )
        if "background_valid" in sample:
            out["background_valid"] = resized_valid
    if "depth_right" in sample:
        right = sample["depth_right"]
        out["depth_right"], _ = resize_nearest_valid(right, right > 0, size)
    if "normals" in sample:
        normals = sample["normals"]
        out["normals"], _ = resize_nearest_valid(normals, _normals_valid(normals), size)
    for key in LABEL_KEYS:
        if key in sample:
            out[key], _ = resize_nearest_valid(sample[key], None, size)
    out["K"] = scale_intrinsics(sample["K"], size[1] / width, size[0] / height)
    return out


def crop_sample(sample: Sample, top: int, left: int, height: int, width: int) -> Sample:
    """Cut the window of the given size whose top-left pixel is (top, left); shift K."""
    _refuse_unknown_maps(sample, "crop")
    full_h, full_w = sample["image"].shape[-2:]
    if top < 0 or left < 0 or top + height > full_h or left + width > full_w:
        raise DatasetError(
            f"crop {height}x{width} (HxW) at row {top}, column {left} does not fit in the "
            f"{full_h}x{full_w} image; resize first (e.g. RandomResizedCrop) or crop smaller"
        )
    out = dict(sample)
    for key in SPATIAL_KEYS:
        if key in sample:
            out[key] = sample[key][..., top : top + height, left : left + width]
    out["K"] = crop_intrinsics(sample["K"], top, left)
    return out


def _refuse_stereo(sample: Sample, what: str) -> None:
    if "image_right" in sample:
        raise DatasetError(
            f"{what} would break the left/right geometry of a stereo sample (image_right); "
            f"drop {what} from the transforms of stereo data"
        )


def hflip_sample(sample: Sample) -> Sample:
    """Mirror left-right: every spatial key, K (cx -> W - 1 - cx), and normals (x negated)."""
    _refuse_stereo(sample, "a horizontal flip")
    _refuse_unknown_maps(sample, "a horizontal flip")
    width = sample["image"].shape[-1]
    out = dict(sample)
    for key in SPATIAL_KEYS:
        if key in sample:
            out[key] = sample[key].flip(-1)
    if "normals" in sample:
        out["normals"] = out["normals"] * torch.tensor([-1.0, 1.0, 1.0]).view(3, 1, 1)
    out["K"] = flip_intrinsics(sample["K"], width)
    return out


def roll_matrix(angle_deg: float) -> torch.Tensor:
    """Rotation about the optical axis (z) by ``angle_deg``; float32 (3, 3)."""
    angle = math.radians(angle_deg)
    c, s = math.cos(angle), math.sin(angle)
    return torch.tensor([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]], dtype=torch.float32)


def rotate_sample(sample: Sample, angle_deg: float) -> Sample:
    """Roll the camera by ``angle_deg`` about its optical axis; K and depth values unchanged.

    The new view of a point X is ``R X`` with ``R = roll_matrix(angle_deg)``; pixels move by
    the homography ``K R K^-1``, an in-plane rotation about the principal point when fx = fy
    (positive angles turn the content clockwise as displayed). A roll keeps z, so depth values
    stay; normals are rotated by R. Images are sampled bilinearly, depth/normals/labels with
    nearest; pixels whose source lies outside the image are 0 and invalid.
    """
    _refuse_stereo(sample, "a rotation")
    _refuse_unknown_maps(sample, "a rotation")
    height, width = sample["image"].shape[-2:]
    K = sample["K"].double()
    rotation = roll_matrix(angle_deg).double()
    # Backward map: output pixel p' samples the source pixel K R^T K^-1 p'.
    source_from_output = K @ rotation.T @ torch.linalg.inv(K)
    v, u = torch.meshgrid(
        torch.arange(height, dtype=torch.float64),
        torch.arange(width, dtype=torch.float64),
        indexing="ij",
    )
    pixels = torch.stack([u, v, torch.ones_like(u)], dim=-1) @ source_from_output.T
    src = pixels[..., :2] / pixels[..., 2:]
    # align_corners=True: -1 and 1 are the centres of the first and last pixels.
    scale = torch.tensor([2.0 / max(width - 1, 1), 2.0 / max(height - 1, 1)], dtype=torch.float64)
    grid = (src * scale - 1.0).float()[None]

    def warp(tensor: torch.Tensor, mode: str) -> torch.Tensor:
        warped = F.grid_sample(
            tensor[None].float(), grid, mode=mode, padding_mode="zeros", align_corners=True
        )
        return warped[0].to(tensor.dtype)

    out = dict(sample)
    for key in IMAGE_KEYS:
        if key in sample:
            out[key] = warp(sample[key], "bilinear")
    out["valid"] = warp(sample["valid"], "nearest")
    out["depth"] = warp(sample["depth"], "nearest") * out["valid"]
    for key in ("background_depth", "background_valid"):
        if key in sample:
            out[key] = warp(sample[key], "nearest")
    if "normals" in sample:
        normals = warp(sample["normals"], "nearest")
        out["normals"] = torch.einsum("ij,jhw->ihw", rotation.float(), normals)
    for key in LABEL_KEYS:
        if key in sample:
            out[key] = warp(sample[key], "nearest")
    return out


def crop_raw(raw: Sample, top: int, left: int, height: int, width: int) -> Sample:
    """Crop a raw loader sample (numpy (H, W, ...) arrays, see ``load_sample``); shift K."""
    full_h, full_w = np.asarray(raw["image"]).shape[:2]
    if top < 0 or left < 0 or top + height > full_h or left + width > full_w:
        where = raw.get("files", {}).get("image", raw.get("id", "?"))
        raise DatasetError(
            f"{where}: crop {height}x{width} (HxW) at row {top}, column {left} does not fit in "
            f"its {full_h}x{full_w} image; check that the image has the dataset's usual size",
            where,
        )
    out = dict(raw)
    for key in SPATIAL_KEYS:
        if raw.get(key) is not None:
            # Check before cutting: a crop would otherwise hide a depth/image size mismatch.
            check_size(np.shape(raw[key]), (full_h, full_w), key, raw.get("files", {}))
            out[key] = np.asarray(raw[key])[top : top + height, left : left + width]
    if raw.get("K") is not None:
        out["K"] = crop_intrinsics(raw["K"], top, left)
    return out
