"""The layered depth image: a visible layer cut at discontinuities, and a background layer.

Every pixel has a *visible* sample (its own colour and depth). Pixels on the near side of a
cut, within ``radius`` of it along uncut links, also get a *background* sample: what the
moving camera may see behind the foreground edge (the synthesis region of methods.md §2).
Its disparity is a Poisson fill from the background side (:mod:`.fill`), its colour an
inpainting whose context is background only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from monocle.apps.photo3d.edges import (
    DEPTH_THRESHOLD,
    OFFSETS,
    Cuts,
    find_cuts,
    neighbour,
    normalized_disparity,
    sharpen_disparity,
    snap_edges_to_colour,
)
from monocle.apps.photo3d.fill import (
    INPAINT_RADIUS,
    fill_background_disparity,
    inpaint_classical,
    inpaint_hole,
)
from monocle.apps.photo3d.paths import CameraPath, border_margin, edge_gaps

# (rgb (H,W,3) uint8, hole (H,W) bool, disparity (H,W), background disparity (H,W)) -> rgb
ALIGN_BLOCK = 4
Inpainter = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def classical_inpainter(rgb, hole, disparity, background_disparity) -> np.ndarray:
    """OpenCV Telea inpainting; the depth arguments are unused."""
    return inpaint_classical(rgb, hole)


@dataclass
class LayeredDepth:
    """A two-sample layered depth image of a (padded) photo.

    Attributes:
        image: uint8 (H, W, 3) colours of the visible layer.
        disparity: float32 (H, W) normalised visible disparity; depth = ``z_scale / disparity``.
        K: float32 (3, 3) intrinsics of this (padded) grid.
        cuts: the discontinuities of ``disparity``.
        synthesis: bool (H, W) pixels that also hold a background sample.
        background_disparity: float32 (H, W), the filled disparity on ``synthesis`` (equal to
            ``disparity`` elsewhere).
        background_rgb: uint8 (H, W, 3), inpainted colours on ``synthesis`` (``image`` elsewhere).
        hole: bool (H, W) what the colour inpainting treated as unknown.
        z_scale: depth = z_scale / normalised disparity.
        margin: pixels of padding added around the photo on every side.
        radius: the largest synthesis thickness of any edge, in pixels.
    """

    image: np.ndarray
    disparity: np.ndarray
    K: np.ndarray
    cuts: Cuts
    synthesis: np.ndarray
    background_disparity: np.ndarray
    background_rgb: np.ndarray
    hole: np.ndarray
    z_scale: float
    margin: int
    radius: int

    @property
    def shape(self) -> tuple[int, int]:
        return self.disparity.shape  # type: ignore[return-value]

    @property
    def depth(self) -> np.ndarray:
        return self.z_scale / self.disparity

    @property
    def background_depth(self) -> np.ndarray:
        return self.z_scale / self.background_disparity


def pad(
    image: np.ndarray, depth: np.ndarray, K: np.ndarray, margin: int, subject: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Extend image, depth and subject mask by ``margin`` replicated pixels on every side.

    The camera path reveals a little beyond the frame; the replicated border fills it
    (3d-photo-inpainting extrapolates its border in the same spirit). K moves with the grid.
    """
    if margin <= 0:
        return image, depth, K, subject

    def grow(values):
        return cv2.copyMakeBorder(values, margin, margin, margin, margin, cv2.BORDER_REPLICATE)

    K = K.copy()
    K[0, 2] += margin
    K[1, 2] += margin
    return grow(image), grow(depth), K, grow(subject.astype(np.uint8)).astype(bool)


def _seed_pairs(disparity: np.ndarray, cuts: Cuts):
    """Near pixel (row, col) and both disparities of every cut pair."""
    rows, cols, near, far = [], [], [], []
    for name, (dy, dx) in OFFSETS.items():
        q_disp = neighbour(disparity, dy, dx, fill=0.0)
        r, c = np.nonzero(cuts.pairs[name])
        p_d, q_d = disparity[r, c], q_disp[r, c]
        p_near = p_d >= q_d
        rows.append(np.where(p_near, r, r + dy))
        cols.append(np.where(p_near, c, c + dx))
        near.append(np.maximum(p_d, q_d))
        far.append(np.minimum(p_d, q_d))
    return [np.concatenate(x) for x in (rows, cols, near, far)]


def edge_reach(
    disparity: np.ndarray, cuts: Cuts, path: CameraPath | None, K, z_scale: float, radius=None
) -> np.ndarray:
    """int (H, W): at the near pixel of each cut, how far behind it the background must reach.

    With a ``path``, each edge gets the gap that path opens behind it (far edges and small
    depth steps need little); ``radius`` overrides that with one value for every edge.
    """
    rows, cols, near, far = _seed_pairs(disparity, cuts)
    if radius is not None:
        gaps = np.full(rows.shape, int(radius), dtype=np.int64)
    elif path is None:
        gaps = np.zeros(rows.shape, dtype=np.int64)
    else:
        pixels = np.stack([cols, rows], axis=1).astype(np.float64)
        gaps = edge_gaps(path, K, pixels, z_scale / near, z_scale / far)
    reach = np.zeros(disparity.shape, dtype=np.int32)
    np.maximum.at(reach, (rows, cols), gaps.astype(np.int32))
    return reach


def synthesis_region(cuts: Cuts, reach: np.ndarray) -> np.ndarray:
    """bool (H, W): the pixels each edge's background must extend behind.

    ``reach`` (int (H, W), from :func:`edge_reach`) seeds the near pixel of every cut with the
    number of pixels the background must reach behind it; the region grows from the seeds
    along uncut 4-links only, one pixel per step, so it stays inside the foreground surface
    that hides the background.
    """
    region = _grow(cuts, reach.astype(np.int32))
    # Round the region's inner border out to whole blocks (still along uncut links), so the
    # mesh simplifier can merge the background layer up to it (see :mod:`.simplify`).
    blocks = _blockwise_any(region, ALIGN_BLOCK)
    nearby = _grow(cuts, np.where(region, 2 * ALIGN_BLOCK + 1, 0).astype(np.int32))
    return region | (blocks & nearby)


def _blockwise_any(mask: np.ndarray, size: int) -> np.ndarray:
    """Each aligned block of (size+1)^2 pixels (sharing its last row and column with the next
    block, as the simplifier's blocks do) set entirely where any of its pixels is set."""
    height, width = mask.shape
    blocks = ((height - 1) // size, (width - 1) // size)
    if min(blocks) == 0:
        return mask.copy()
    windows = sliding_window_view(mask, (size + 1, size + 1))[::size, ::size]
    hit = windows[: blocks[0], : blocks[1]].any(axis=(2, 3))
    spread = np.repeat(np.repeat(hit, size, axis=0), size, axis=1)
    out = mask.copy()
    rows, cols = spread.shape
    for dy in (0, 1):
        for dx in (0, 1):
            out[dy : dy + rows, dx : dx + cols] |= spread
    return out


def _grow(cuts: Cuts, budget: np.ndarray) -> np.ndarray:
    """bool (H, W): pixels reached from ``budget`` > 0 seeds, each step along an uncut 4-link
    costing 1."""
    steps = [
        (dy, dx, ~cuts.pairs[name])
        for name, (dy, dx) in OFFSETS.items()
        if name in ("right", "down")
    ]
    for _ in range(int(budget.max()) - 1):
        grown = budget.copy()
        for dy, dx, link in steps:
            forward = neighbour(np.where(link, budget - 1, 0), -dy, -dx, fill=0)
            backward = np.where(link, neighbour(budget, dy, dx, fill=0) - 1, 0)
            np.maximum(grown, np.maximum(forward, backward), out=grown)
        if np.array_equal(grown, budget):
            break
        budget = grown
    return budget > 0


def build_layers(
    image: np.ndarray,
    depth: np.ndarray,
    K: np.ndarray,
    path: CameraPath | None = None,
    *,
    radius: int | None = None,
    margin: int | None = None,
    threshold: float = DEPTH_THRESHOLD,
    subject: np.ndarray | None = None,
    sharpen: bool = True,
    inpainter: Inpainter = classical_inpainter,
) -> LayeredDepth:
    """Layer a photo: pad, sharpen, cut, grow the synthesis region, fill depth and colour.

    Args:
        image: uint8 (H, W, 3).
        depth: float32 (H, W) planar depth > 0 everywhere.
        K: (3, 3) intrinsics of ``image``.
        path: the camera path the photo is for; it sizes ``radius`` (the widest gap it opens
            behind an edge) and ``margin`` (how far past the border it looks).
        radius, margin: one synthesis thickness for every edge / the border padding, in
            pixels, overriding what ``path`` implies (0 without a path).
        threshold: disparity step that makes a discontinuity (methods.md §2).
        subject: optional bool (H, W) subject mask; its boundary is always cut.
        sharpen: snap pixels floating between layers (see :func:`.sharpen_disparity`), then
            move depth edges onto colour edges (see :func:`.snap_edges_to_colour`).
        inpainter: colour inpainting of the synthesis region.
    """
    subject = np.zeros(depth.shape, dtype=bool) if subject is None else subject
    if margin is None:
        margin = border_margin(path, K, depth) if path is not None else 0
    image, depth, K, subject = pad(image, depth, K, margin, subject)
    z_scale = 3.0 * float(depth.min())
    disparity = normalized_disparity(depth)
    if sharpen:
        soft = disparity
        disparity = sharpen_disparity(soft, threshold)
        disparity = snap_edges_to_colour(disparity, image, disparity != soft, threshold)
    cuts = find_cuts(disparity, threshold, subject=subject)
    reach = edge_reach(disparity, cuts, path, K, z_scale, radius)
    radius = int(reach.max())
    region = synthesis_region(cuts, reach)
    background = fill_background_disparity(disparity, cuts, region)
    # Keep only background samples that lie behind the visible surface: elsewhere nothing hides.
    region &= background < disparity - threshold
    background = np.where(region, background, disparity).astype(np.float32)
    hole = inpaint_hole(disparity, background, region, reach=radius + INPAINT_RADIUS + 1)
    filled = inpainter(image, hole, disparity, background)
    background_rgb = np.where(region[..., None], filled, image)
    return LayeredDepth(
        image=image,
        disparity=disparity,
        K=np.asarray(K, dtype=np.float32),
        cuts=cuts,
        synthesis=region,
        background_disparity=background,
        background_rgb=background_rgb,
        hole=hole,
        z_scale=z_scale,
        margin=margin,
        radius=radius,
    )
