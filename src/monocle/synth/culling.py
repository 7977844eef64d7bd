"""Culling: bin rays into 2D cells and find the cells each primitive can cover.

Camera rays are binned by image tile; shadow rays by an orthographic grid along the sun
direction or by the six faces of a cube map around a point light. A primitive's cells come
from projecting the corners of its oriented bounding box (clipped at the near plane), so the
rectangles are conservative: culling never drops a true hit (tests check it against brute
force).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from monocle.synth.raycast import Binning, PackedScene

_BOX_EDGES = np.array(
    [[i, j] for i in range(8) for j in range(i + 1, 8) if bin(i ^ j).count("1") == 1]
)


def project_rects(
    corners: np.ndarray,
    scale: tuple,
    offset: tuple,
    grid: tuple,
    margin: float = 0.0,
    near: float = 1e-3,
) -> np.ndarray:
    """Cell rectangles covered by convex boxes under a pinhole projection.

    ``corners`` (P,8,3) box corners in a frame looking along +z; a point maps to cell
    coordinates ``scale * (x/z, y/z) + offset`` on a ``grid`` = (gu, gv), widened by ``margin``
    cells. Boxes are clipped at the near plane (the projection of a convex box is bounded by
    its corners in front plus its edges' crossings of the plane), so the rectangle is exact up
    to cell rounding. Returns (P,4) int64 u0, u1, v0, v1; rows of -1 for boxes not in view.
    """
    z = corners[..., 2]
    a, b = corners[:, _BOX_EDGES[:, 0]], corners[:, _BOX_EDGES[:, 1]]
    za, zb = a[..., 2], b[..., 2]
    crossing = (za > near) != (zb > near)
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(crossing, (near - za) / (zb - za), 0.0)
    cut = a + f[..., None] * (b - a)
    points = np.concatenate([corners, cut], axis=1)
    usable = np.concatenate([z > near, crossing], axis=1)
    depth = np.maximum(points[..., 2], near)
    x, y = points[..., 0] / depth, points[..., 1] / depth
    lo_u = np.where(usable, x, np.inf).min(axis=1)
    hi_u = np.where(usable, x, -np.inf).max(axis=1)
    lo_v = np.where(usable, y, np.inf).min(axis=1)
    hi_v = np.where(usable, y, -np.inf).max(axis=1)
    gu, gv = grid
    with np.errstate(invalid="ignore", over="ignore"):
        bounds = np.stack(
            [
                scale[0] * lo_u + offset[0] - margin,
                scale[0] * hi_u + offset[0] + margin,
                scale[1] * lo_v + offset[1] - margin,
                scale[1] * hi_v + offset[1] + margin,
            ],
            axis=1,
        )
    bounds = np.floor(np.clip(np.nan_to_num(bounds, nan=-1.0), -1, max(gu, gv) + 1))
    rect = bounds.astype(np.int64)
    visible = usable.any(axis=1) & (rect[:, 1] >= 0) & (rect[:, 0] < gu)
    visible &= (rect[:, 3] >= 0) & (rect[:, 2] < gv)
    rect[:, :2] = np.clip(rect[:, :2], 0, gu - 1)
    rect[:, 2:] = np.clip(rect[:, 2:], 0, gv - 1)
    rect[~visible] = -1
    return rect


def _rect_rows(prims: np.ndarray, face_base: int, rects: np.ndarray) -> np.ndarray:
    keep = rects[:, 0] >= 0
    rows = np.concatenate(
        [prims[keep, None], np.full((int(keep.sum()), 1), face_base), rects[keep]], axis=1
    )
    return rows.astype(np.int64)


def camera_binning(
    packed: PackedScene, pose: np.ndarray, K: np.ndarray, size: tuple, tile: int
) -> Binning:
    """Bin the row-major pixel rays of a camera (``pose`` camera-to-world) into square tiles."""
    height, width = size
    device = packed.kind.device
    grid = (math.ceil(width / tile), math.ceil(height / tile))
    corners_cam = (packed.box_corners() - pose[:3, 3]) @ pose[:3, :3]
    rects = project_rects(
        corners_cam,
        scale=(K[0, 0] / tile, K[1, 1] / tile),
        offset=((K[0, 2] + 0.5) / tile, (K[1, 2] + 0.5) / tile),
        grid=grid,
        margin=1.0 / tile,
    )
    rows = _rect_rows(np.arange(len(packed)), 0, rects)
    v, u = torch.meshgrid(
        torch.arange(height, device=device) // tile,
        torch.arange(width, device=device) // tile,
        indexing="ij",
    )
    return Binning(
        ray_cell=(v * grid[0] + u).reshape(-1),
        rects=torch.as_tensor(rows, device=device),
        n_cells=grid[0] * grid[1],
        grid_u=grid[0],
        packet=tile * tile,
    )


# Cells of slack around a caster's shadow rectangle: rays are binned in float32 and rectangles
# in float64, so a ray exactly on a cell border may land one cell over.
SUN_MARGIN = 0.01


def _grid_side(n_rays: float) -> int:
    return int(min(512, max(8, math.sqrt(max(n_rays, 1)) / 4)))


def sun_binning(packed: PackedScene, points: torch.Tensor, to_sun: np.ndarray) -> Binning:
    """Bin shadow rays from ``points`` (N,3) towards a sun at direction ``to_sun`` (unit) by an
    orthographic projection along the sun direction; only shadow casters get rectangles."""
    device = points.device
    e1 = np.cross(to_sun, [0.0, 0.0, 1.0] if abs(to_sun[2]) < 0.9 else [1.0, 0.0, 0.0])
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(to_sun, e1)
    basis = torch.as_tensor(np.stack([e1, e2], axis=1), dtype=torch.float32, device=device)
    coords = points @ basis
    side = _grid_side(points.shape[0])
    if points.shape[0] == 0:
        return Binning(
            torch.zeros(0, dtype=torch.int64, device=device),
            torch.zeros((0, 6), dtype=torch.int64, device=device),
            1,
            1,
        )
    # Robust extent: outliers (far ground) are clamped into the border cells, and caster
    # rectangles are clamped the same way, so culling stays conservative.
    stride = max(1, coords.shape[0] // 8192)  # a quantile of a few thousand is plenty
    ends = (
        torch.quantile(
            coords[::stride].double(),
            torch.tensor([0.01, 0.99], dtype=torch.float64, device=device),
            dim=0,
        )
        .cpu()
        .numpy()
    )
    low = ends[0]
    cell = (ends[1] - ends[0]).max() / side + 1e-6
    ray_uv = (coords - torch.as_tensor(low, dtype=torch.float32, device=device)) / cell
    ray_uv = ray_uv.floor().long().clamp(0, side - 1)
    casters = np.nonzero(packed.casts_shadow.cpu().numpy())[0]
    projected = packed.box_corners()[casters] @ np.stack([e1, e2], axis=1)
    lo = np.floor((projected.min(axis=1) - low) / cell - SUN_MARGIN).astype(np.int64)
    hi = np.floor((projected.max(axis=1) - low) / cell + SUN_MARGIN).astype(np.int64)
    rects = np.stack([lo[:, 0], hi[:, 0], lo[:, 1], hi[:, 1]], axis=1)
    rects = np.clip(rects, 0, side - 1)
    return Binning(
        ray_cell=ray_uv[:, 1] * side + ray_uv[:, 0],
        rects=torch.as_tensor(_rect_rows(casters, 0, rects), device=device),
        n_cells=side * side,
        grid_u=side,
    )


def point_binning(packed: PackedScene, points: torch.Tensor, light: np.ndarray) -> Binning:
    """Bin shadow rays from ``points`` (N,3) towards a point light on the six faces of a cube
    map around it; every face is a 90-degree pinhole view, culled like the camera."""
    device = points.device
    side = _grid_side(points.shape[0] / 3)
    rel = points - torch.as_tensor(light, dtype=torch.float32, device=device)
    major = rel.abs().argmax(dim=1)
    along = torch.gather(rel, 1, major[:, None])[:, 0]
    face = 2 * major + (along < 0).long()
    others = torch.as_tensor([[1, 2], [0, 2], [0, 1]], device=device)[major]
    uv = torch.gather(rel, 1, others) / along.abs().clamp_min(1e-12)[:, None]
    ray_uv = ((uv + 1.0) * (side / 2)).long().clamp(0, side - 1)
    casters = np.nonzero(packed.casts_shadow.cpu().numpy())[0]
    rel_corners = packed.box_corners()[casters] - light
    rows = []
    for axis in range(3):
        i, j = [(1, 2), (0, 2), (0, 1)][axis]
        for sign_index, sign in enumerate((1.0, -1.0)):
            face_corners = np.stack(
                [rel_corners[..., i], rel_corners[..., j], sign * rel_corners[..., axis]], axis=-1
            )
            rects = project_rects(
                face_corners, (side / 2, side / 2), (side / 2, side / 2), (side, side), margin=1.0
            )
            rows.append(_rect_rows(casters, (2 * axis + sign_index) * side * side, rects))
    return Binning(
        ray_cell=face * side * side + ray_uv[:, 1] * side + ray_uv[:, 0],
        rects=torch.as_tensor(np.concatenate(rows), device=device),
        n_cells=6 * side * side,
        grid_u=side,
    )
