"""Filling the synthesis region: background disparity by a Poisson solve, colour by OpenCV.

The background hidden behind a foreground edge is extended *from the background side only*:
the disparity of the synthesis region solves Laplace's equation with Dirichlet values taken
from the farther pixel of every cut pair on its border, and no condition (Neumann) against the
nearer side, so the foreground's depth never leaks behind itself.
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy import ndimage, sparse
from scipy.sparse.linalg import spsolve

from monocle.apps.photo3d.edges import DEPTH_THRESHOLD, OFFSETS, Cuts, neighbour

# Pulls every unknown weakly to the farthest disparity, so a region with no background in
# reach still has a unique, far solution; negligible wherever a Dirichlet value exists.
ANCHOR_WEIGHT = 1e-4
INPAINT_RADIUS = 3


def background_links(disparity: np.ndarray, cuts: Cuts, region: np.ndarray) -> dict:
    """How each 4-neighbour pair enters the fill of ``region`` (bool (H, W)).

    Returns, per pair name ("right", "down"), bool (H, W) masks at the pair's first pixel p
    (second pixel q = p + offset): ``couple`` (both in the region and not cut: one background
    surface), ``p_on_q`` (p in the region, cut, q farther: q's disparity is p's boundary value)
    and ``q_on_p`` (the mirror case).
    """
    links = {}
    for name in ("right", "down"):
        dy, dx = OFFSETS[name]
        cut = cuts.pairs[name]
        q_region = neighbour(region, dy, dx, fill=False)
        q_disp = neighbour(disparity, dy, dx, fill=np.inf)
        exists = np.isfinite(q_disp)
        links[name] = {
            "couple": region & q_region & ~cut & exists,
            "p_on_q": region & cut & (q_disp < disparity),
            "q_on_p": q_region & cut & (disparity < q_disp) & exists,
        }
    return links


def fill_background_disparity(disparity: np.ndarray, cuts: Cuts, region: np.ndarray) -> np.ndarray:
    """Disparity (H, W) of the background behind ``region``, a harmonic fill.

    Args:
        disparity: (H, W) visible (normalised) disparity.
        cuts: discontinuities of ``disparity``.
        region: bool (H, W) synthesis region; the fill is solved there only.

    Returns:
        (H, W) float32: the filled background disparity inside ``region``, ``disparity``
        elsewhere.
    """
    out = disparity.astype(np.float32).copy()
    count = int(region.sum())
    if count == 0:
        return out
    index = np.full(region.shape, -1, dtype=np.int64)
    index[region] = np.arange(count)
    farthest = float(disparity.min())
    diagonal = np.full(count, ANCHOR_WEIGHT)
    rhs = np.full(count, ANCHOR_WEIGHT * farthest)
    rows, cols = [], []
    for name, link in background_links(disparity, cuts, region).items():
        dy, dx = OFFSETS[name]
        q_index = neighbour(index, dy, dx, fill=-1)
        q_disp = neighbour(disparity, dy, dx, fill=0.0)
        p, q = index[link["couple"]], q_index[link["couple"]]
        rows += [p, q]
        cols += [q, p]
        np.add.at(diagonal, p, 1.0)
        np.add.at(diagonal, q, 1.0)
        np.add.at(diagonal, index[link["p_on_q"]], 1.0)
        np.add.at(rhs, index[link["p_on_q"]], q_disp[link["p_on_q"]])
        np.add.at(diagonal, q_index[link["q_on_p"]], 1.0)
        np.add.at(rhs, q_index[link["q_on_p"]], disparity[link["q_on_p"]])
    rows_all, cols_all = np.concatenate(rows), np.concatenate(cols)
    matrix = sparse.coo_matrix(
        (np.full(rows_all.size, -1.0), (rows_all, cols_all)), shape=(count, count)
    )
    matrix = (matrix + sparse.diags(diagonal)).tocsc()
    out[region] = spsolve(matrix, rhs).astype(np.float32)
    return out


def inpaint_hole(
    disparity: np.ndarray, background: np.ndarray, region: np.ndarray, reach: int
) -> np.ndarray:
    """bool (H, W): what colour inpainting must treat as unknown to fill ``region``.

    The region itself, plus every pixel within ``reach`` of it that lies in front of the
    background filled at its nearest region pixel: those are the foreground, and an inpainter
    that saw them would paint the foreground's colours behind itself.
    """
    if not region.any():
        return region.copy()
    distance, nearest = ndimage.distance_transform_edt(~region, return_indices=True)
    behind = background[nearest[0], nearest[1]]
    shield = (distance <= reach) & (disparity > behind + DEPTH_THRESHOLD)
    return region | shield


def inpaint_classical(
    rgb: np.ndarray, hole: np.ndarray, radius: int = INPAINT_RADIUS
) -> np.ndarray:
    """(H, W, 3) uint8: ``rgb`` with ``hole`` (bool (H, W)) filled by OpenCV's Telea method."""
    if not hole.any():
        return rgb.copy()
    filled = cv2.inpaint(
        np.ascontiguousarray(rgb), hole.astype(np.uint8) * 255, radius, cv2.INPAINT_TELEA
    )
    return np.where(hole[..., None], filled, rgb)
