"""Fewer triangles where a layer is flat, without moving a silhouette or opening a crack.

A full-resolution grid mesh of a 1024x768 photo has about 1.5 M triangles, too many for a
software rasteriser at 30 fps. Square blocks of 16, 8 or 4 cells whose samples are all present
in one layer, all linked to each other, and whose disparity is affine within a tolerance (a
plane, seen through a pinhole) are re-triangulated as a fan from the block's centre sample to
the samples on its border. The fan uses *every* border sample that any other triangle uses,
so block borders meet their neighbours vertex for vertex (no T-junction, no crack); block
borders never cross a cut because all their links must exist, so silhouettes stay put.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from monocle.apps.photo3d.edges import DEPTH_THRESHOLD
from monocle.apps.photo3d.layers import LayeredDepth

BLOCK_SIZES = (16, 8, 4)
FLATNESS = DEPTH_THRESHOLD / 4  # largest disparity residual of a merged block's plane fit


def _block_all(mask: np.ndarray, size: int, span: tuple[int, int], blocks: tuple[int, int]):
    """(by, bx): whether ``mask`` is all True over each block's window of ``span`` = (h, w)
    starting at (by * size, bx * size)."""
    total = np.pad(np.cumsum(np.cumsum(mask.astype(np.int64), 0), 1), ((1, 0), (1, 0)))
    r0 = np.arange(blocks[0])[:, None] * size
    c0 = np.arange(blocks[1])[None] * size
    h, w = span
    inside = total[r0 + h, c0 + w] - total[r0, c0 + w] - total[r0 + h, c0] + total[r0, c0]
    return inside == h * w


def _planar(disparity: np.ndarray, size: int, blocks: tuple[int, int], tolerance: float):
    """(by, bx): whether each block's (size+1)^2 disparities fit a plane within ``tolerance``."""
    windows = sliding_window_view(disparity, (size + 1, size + 1))[::size, ::size]
    windows = windows[: blocks[0], : blocks[1]].reshape(-1, (size + 1) ** 2).astype(np.float64)
    v, u = np.mgrid[0 : size + 1, 0 : size + 1]
    design = np.stack([u.ravel(), v.ravel(), np.ones(u.size)], axis=1)
    fitted = windows @ np.linalg.pinv(design).T @ design.T
    return (np.abs(windows - fitted).max(axis=1) <= tolerance).reshape(blocks)


def flat_blocks(layers: LayeredDepth, lay: int, tolerance: float | None = None) -> list:
    """Chosen blocks of layer ``lay``: a list of (size, rows0, cols0) arrays, largest first."""
    from monocle.apps.photo3d.mesh import sample_links

    height, width = layers.shape
    present = np.ones(layers.shape, bool) if lay == 0 else layers.synthesis
    disparity = layers.disparity if lay == 0 else layers.background_disparity
    links = sample_links(layers)
    right, down = links["right"][(lay, lay)], links["down"][(lay, lay)]
    taken = np.zeros(((height - 1), (width - 1)), dtype=bool)  # cells inside a chosen block
    chosen = []
    for size in BLOCK_SIZES:
        blocks = ((height - 1) // size, (width - 1) // size)
        if min(blocks) == 0:
            continue
        flat = (
            _block_all(present, size, (size + 1, size + 1), blocks)
            & _block_all(right, size, (size + 1, size), blocks)
            & _block_all(down, size, (size, size + 1), blocks)
            & _block_all(~taken, size, (size, size), blocks)
        )
        flat &= _planar(disparity, size, blocks, FLATNESS if tolerance is None else tolerance)
        by, bx = np.nonzero(flat)
        r0, c0 = by * size, bx * size
        for dr in range(size):
            taken[r0[:, None] + dr, c0[:, None] + np.arange(size)] = True
        chosen.append((size, r0, c0))
    return chosen


def _perimeter(size: int) -> np.ndarray:
    """(4*size, 2) (dr, dc) of a block's border samples, clockwise on screen from top-left."""
    steps = np.arange(size)
    return np.concatenate(
        [
            np.stack([0 * steps, steps], 1),
            np.stack([steps, 0 * steps + size], 1),
            np.stack([0 * steps + size, size - steps], 1),
            np.stack([size - steps, 0 * steps], 1),
        ]
    )


def merge_flat_blocks(
    layers: LayeredDepth, faces: np.ndarray, cells: np.ndarray, pure: np.ndarray
) -> np.ndarray:
    """``faces`` (F, 3) sample ids with flat blocks re-triangulated as crack-free fans.

    ``cells`` (F,) and ``pure`` (F,) are :func:`.grid_triangles`'s face cells and layers.
    """
    height, width = layers.shape
    per_layer = {lay: flat_blocks(layers, lay) for lay in (0, 1)}
    keep = np.ones(len(faces), dtype=bool)
    used = np.zeros(2 * height * width, dtype=bool)
    for lay, chosen in per_layer.items():
        taken = np.zeros((height - 1) * (width - 1), dtype=bool)
        for size, r0, c0 in chosen:
            rows = r0[:, None, None] + np.arange(size)[None, :, None]
            cols = c0[:, None, None] + np.arange(size)[None, None, :]
            taken[(rows * (width - 1) + cols).ravel()] = True
            for dr, dc in ((0, 0), (0, size), (size, 0), (size, size)):
                used[lay * height * width + (r0 + dr) * width + c0 + dc] = True
        keep &= ~((pure == lay) & taken[cells])
    faces = faces[keep]
    used[faces.ravel()] = True
    fans = [faces]
    for lay, chosen in per_layer.items():
        for size, r0, c0 in chosen:
            border = _perimeter(size)
            ids = lay * height * width + (r0[:, None] + border[:, 0]) * width + c0[:, None]
            ids = ids + border[:, 1]
            centre = lay * height * width + (r0 + size // 2) * width + c0 + size // 2
            block, k = np.nonzero(used[ids])
            if block.size == 0:
                continue
            nxt = np.arange(1, len(block) + 1)
            last = np.r_[block[1:] != block[:-1], True]
            nxt[last] = np.searchsorted(block, block[last], side="left")
            fans.append(np.stack([centre[block], ids[block, k], ids[block[nxt], k[nxt]]], 1))
    return np.concatenate(fans)
