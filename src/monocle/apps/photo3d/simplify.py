"""Fewer triangles where a surface is flat, without moving a silhouette or opening a crack.

A full-resolution grid mesh of a 1024x768 photo has about 2.7 M triangles, far too many for
a software rasteriser at 30 fps. Rectangles of cells that lie on one surface (their samples
all pairwise linked, sides and diagonals) and are flat enough that no view along the camera
path moves a sample by more than VISIBLE_SHIFT pixels become a few large triangles.

- Surfaces: the visible layer, the background layer, and the one-cell-wide seams that join
  a background row (or column) to the visible far side of a straight cut.
- Shapes, largest first: aligned squares of 64 down to 4 cells, and runs one cell high along
  rows or one cell wide along columns, which reach right up to a cut; then neighbours that
  share a whole side are joined while the union stays flat, so the parallel runs beside a
  straight cut become one rectangle (thin one-pixel triangles are slow to rasterise too).
- Flat: a rectangle's samples lie near a plane in disparity (a plane, seen through a
  pinhole); a run's samples all lie on its two long sides, so each side must lie near its
  own chord. Disparity errors are weighed by how far they move a point on screen along the
  path (:func:`.paths.disparity_shift`): curved surfaces merge where the camera barely moves
  them, and stay finer near the frame's border, where forward motion moves them most.

Each rectangle is triangulated through *every* sample on its border that any other triangle
of its surface uses (the corners of all rectangles and the vertices of all remaining grid
triangles), so neighbours meet vertex for vertex: no T-junction, no crack. A rectangle never
contains a cut, since all its links exist; its border may run along one, and then the
silhouette is the same straight line through the same end samples. The backstop grid behind
everything is merged the same way (:func:`merge_grid`).
"""

from __future__ import annotations

from functools import cached_property
from itertools import product

import numpy as np

from monocle.apps.photo3d.layers import LayeredDepth
from monocle.apps.photo3d.mesh import sample_links
from monocle.apps.photo3d.paths import CameraPath, camera_path, disparity_shift

SQUARE_SIZES = (64, 32, 16, 8, 4)
# Largest screen shift, in pixels anywhere along the camera path, that merging may cause at
# any sample: half a pixel keeps novel views as sharp as the full mesh's (bench/photo3d.py:
# a full pixel costs 0.06 dB on rooms with predicted depth, curved everywhere).
VISIBLE_SHIFT = 0.5
# Surfaces: the layer of the samples at a cell's corners (top-left, top-right, bottom-left,
# bottom-right) and the shapes a rectangle on it may take. A seam has one layer per row
# (across a horizontal cut) or per column (across a vertical one), so it is one cell thick.
SURFACES = {
    (0, 0, 0, 0): ("squares", "rows", "columns"),
    (1, 1, 1, 1): ("squares", "rows", "columns"),
    (0, 0, 1, 1): ("rows",),
    (1, 1, 0, 0): ("rows",),
    (0, 1, 0, 1): ("columns",),
    (1, 0, 1, 0): ("columns",),
}


def complete_cells(layers: LayeredDepth, surface: tuple[int, ...], links=None) -> np.ndarray:
    """bool (H-1, W-1): cells whose corner samples of ``surface`` (a key of SURFACES) are
    pairwise linked, diagonals too, so any triangulation of them stays on one surface."""
    links = sample_links(layers) if links is None else links
    a, b, c, d = surface
    return (
        links["right"][(a, b)][:-1, :-1]
        & links["right"][(c, d)][1:, :-1]
        & links["down"][(a, c)][:-1, :-1]
        & links["down"][(b, d)][:-1, 1:]
        & links["down_right"][(a, d)][:-1, :-1]
        & links["down_left"][(b, c)][:-1, 1:]
    )


def _cells(rects: np.ndarray):
    """Owner rectangle, row and column of every cell of each (row, column, height, width)
    rectangle, rectangle after rectangle."""
    r0, c0, h, w = rects.T
    count = h * w
    owner = np.repeat(np.arange(len(rects)), count)
    local = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    return owner, r0[owner] + local // w[owner], c0[owner] + local % w[owner]


def _corner(rects: np.ndarray, owner, rows, cols) -> np.ndarray:
    """Index into a surface key of the corner whose layer each sample takes: the bottom row
    and the right column are the far corners, which for a seam is the other layer."""
    r0, c0, h, w = (x[owner] for x in rects.T)
    return 2 * (rows == r0 + h) + (cols == c0 + w)


class Flatness:
    """Which rectangles of one surface are flat: merging them moves no sample more than
    VISIBLE_SHIFT pixels on screen along the camera path.

    ``values`` (2, H, W): visible and background disparity; ``shift`` (H, W): pixels per unit
    disparity (:func:`.paths.disparity_shift`); ``surface`` a key of SURFACES. The error of a
    rectangle is its samples' distance to their least-squares plane; a run one cell high (or
    wide) has all its samples on its two long sides, and its triangles carry each side as an
    edge, so there it is each side's distance to its own chord. The mesh interpolates the
    border samples it keeps, not the plane or the chords, which can double the error: the
    fit must stay within half of VISIBLE_SHIFT.
    """

    def __init__(self, values: np.ndarray, shift: np.ndarray, surface):
        self.values, self.shift, self.surface = values, shift, surface

    @cached_property
    def _tables(self) -> list[np.ndarray]:
        """Summed-area tables of d, d * column and d * row of the surface's layer."""
        d = self.values[self.surface[0]].astype(np.float64)
        rows, cols = np.indices(d.shape)
        return [np.pad(x.cumsum(0).cumsum(1), ((1, 0), (1, 0))) for x in (d, d * cols, d * rows)]

    def __call__(self, rects: np.ndarray) -> np.ndarray:
        """(n,) bool for (n, 4) (row, column, height, width) rectangles."""
        error = np.zeros(len(rects))
        runs = np.minimum(rects[:, 2], rects[:, 3]) == 1
        if runs.any():
            error[runs] = self._run_error(rects[runs])
        if (~runs).any():
            error[~runs] = self._plane_error(rects[~runs])
        return error <= VISIBLE_SHIFT / 2

    def _plane_error(self, rects: np.ndarray) -> np.ndarray:
        r0, c0, h, w = rects.T
        r1, c1 = r0 + h + 1, c0 + w + 1
        sums = [t[r1, c1] - t[r0, c1] - t[r1, c0] + t[r0, c0] for t in self._tables]
        # Centred coordinates on a full grid make the normal equations diagonal.
        count = (h + 1) * (w + 1)
        u0, v0 = c0 + w / 2, r0 + h / 2
        slope_u = (sums[1] - u0 * sums[0]) / ((h + 1) * w * (w + 1) * (w + 2) / 12)
        slope_v = (sums[2] - v0 * sums[0]) / ((w + 1) * h * (h + 1) * (h + 2) / 12)
        # The plane at each rectangle's top-left sample, then stepping along its samples.
        base = sums[0] / count - slope_u * w / 2 - slope_v * h / 2
        starts = np.cumsum(count) - count
        local = np.arange(int(count.sum())) - np.repeat(starts, count)
        span = np.repeat(w + 1, count)
        down = local // span
        across = local - down * span
        index = np.repeat(r0 * self.shift.shape[1] + c0, count) + down * self.shift.shape[1]
        index += across
        fit = np.repeat(base, count) + np.repeat(slope_u, count) * across
        fit += np.repeat(slope_v, count) * down
        disparity = self.values[self.surface[0]].ravel()
        error = np.abs(disparity[index] - fit) * self.shift.ravel()[index]
        return np.maximum.reduceat(error, starts)

    def _run_error(self, rects: np.ndarray) -> np.ndarray:
        width = self.shift.shape[1]
        rows = rects[:, 2] == 1
        length = np.where(rows, rects[:, 3], rects[:, 2])
        along, across = np.where(rows, 1, width), np.where(rows, width, 1)
        owner = np.repeat(np.arange(len(rects)), length + 1)
        starts = np.cumsum(length + 1) - length - 1
        t = np.arange(len(owner)) - np.repeat(starts, length + 1)
        worst = np.zeros(len(rects))
        # The first long side (top row, left column) has the surface's first layer, the
        # other side its last: seams join two layers, the other surfaces have one.
        for side, layer in ((0, self.surface[0]), (1, self.surface[3])):
            start = rects[:, 0] * width + rects[:, 1] + side * across
            disparity = self.values[layer].ravel()
            ends = disparity[start], disparity[start + length * along]
            index = start[owner] + t * along[owner]
            chord = ends[0][owner] + (ends[1] - ends[0])[owner] * (t / length[owner])
            error = np.abs(disparity[index] - chord) * self.shift.ravel()[index]
            worst = np.maximum(worst, np.maximum.reduceat(error, starts))
        return worst


def _squares(free: np.ndarray, size: int) -> np.ndarray:
    """(n, 4) aligned size x size squares of cells that are all ``free``."""
    blocks = (free.shape[0] // size, free.shape[1] // size)
    grid = free[: blocks[0] * size, : blocks[1] * size]
    by, bx = np.nonzero(grid.reshape(blocks[0], size, blocks[1], size).all(axis=(1, 3)))
    return np.stack([by * size, bx * size, 0 * by + size, 0 * bx + size], axis=1)


def _runs(order: np.ndarray, width: int, level: int) -> np.ndarray:
    """(n, 4) runs one cell high whose length lies in [2**level, 2**(level+1)): each maximal
    run of consecutive cells in ``order`` (sorted flat indices of free cells in a grid
    ``width`` cells wide) at least that long, cut into equal pieces."""
    rows, cols = order // width, order % width
    starts = np.flatnonzero(np.r_[True, (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1] + 1)])
    length = np.diff(np.r_[starts, len(order)])
    long = length >= 2**level
    starts, length = starts[long], length[long]
    pieces = length // 2**level
    owner = np.repeat(np.arange(len(starts)), pieces)
    index = np.arange(int(pieces.sum())) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    begin = index * length[owner] // pieces[owner]
    end = (index + 1) * length[owner] // pieces[owner]
    first = starts[owner] + begin
    return np.stack([rows[first], cols[first], 0 * first + 1, end - begin], axis=1)


def _join(rects: np.ndarray, flat: Flatness, axis: int) -> np.ndarray:
    """``rects`` with neighbours along ``axis`` (1: side by side in the same rows, 0: stacked
    in the same columns) joined wherever the union is flat: the parallel runs beside a
    straight cut become one rectangle, and so fewer, thicker triangles."""
    start, extent = (1, 3) if axis == 1 else (0, 2)
    other, other_extent = (0, 2) if axis == 1 else (1, 3)
    parity, idle = 0, 0
    failed = np.zeros(0, dtype=np.int64)  # unions found not flat, as numbers

    def key(rects):
        return np.ravel_multi_index(rects.T, flat.shift.shape * 2)

    while idle < 2 and len(rects) > 1:
        order = np.lexsort((rects[:, start], rects[:, other_extent], rects[:, other]))
        a, b = rects[order[:-1]], rects[order[1:]]
        touch = (a[:, other] == b[:, other]) & (a[:, other_extent] == b[:, other_extent])
        touch &= a[:, start] + a[:, extent] == b[:, start]
        # Chains of touching rectangles pair up from their first (or second) member on.
        index = np.arange(len(order))
        first = np.maximum.accumulate(np.where(np.r_[True, ~touch], index, 0))
        pair = np.flatnonzero(touch & ((index[:-1] - first[:-1]) % 2 == parity))
        union = rects[order[pair]].copy()
        union[:, extent] += rects[order[pair + 1], extent]
        fresh = ~np.isin(key(union), failed)
        pair, union = pair[fresh], union[fresh]
        joined = flat(union)
        failed = np.union1d(failed, key(union[~joined]))
        rects[order[pair[joined]]] = union[joined]
        rects = np.delete(rects, order[pair[joined] + 1], axis=0)
        idle = 0 if joined.any() else idle + 1
        parity ^= 1
    return rects


def choose_rects(free: np.ndarray, flat: Flatness) -> np.ndarray:
    """(n, 4) (row, column, height, width) rectangles of ``free`` cells of ``flat.surface``
    that ``flat`` accepts, none overlapping; ``free`` is left holding the cells not taken.

    Largest first: level k offers aligned squares of 2**k cells and runs along rows and
    columns of [2**k, 2**(k+1)) cells, as far as the surface allows those shapes; where flat
    candidates overlap, the larger takes the cells (squares, then rows, before columns of
    the same size) and the others wait for the next level, re-cut around what was taken.
    """
    shapes = SURFACES[flat.surface]
    sizes = {size * size: size for size in SQUARE_SIZES if "squares" in shapes}
    height, width = free.shape
    # Free cells in row order and in column order (as flat indices of the transposed grid).
    by_row, by_column = np.flatnonzero(free), np.flatnonzero(free.T)
    best = np.full(free.size, np.iinfo(np.int64).max)
    chosen = [np.zeros((0, 4), dtype=np.int64)]
    for level in range(int(np.ceil(np.log2(max([*sizes, height, width])))), 0, -1):
        candidates = [np.zeros((0, 4), dtype=np.int64)]
        if 2**level in sizes:
            candidates.append(_squares(free, sizes[2**level]))
        if "rows" in shapes:
            by_row = by_row[free.ravel()[by_row]]
            candidates.append(_runs(by_row, width, level))
        if "columns" in shapes:
            by_column = by_column[free.ravel()[by_column % height * width + by_column // height]]
            candidates.append(_runs(by_column, height, level)[:, [1, 0, 3, 2]])
        rects = np.concatenate(candidates)
        rects = rects[flat(rects)]
        # A rectangle wins when no better-ranked one (larger, or earlier in the lists)
        # claims any of its cells.
        rank = np.empty(len(rects), dtype=np.int64)
        rank[np.lexsort((np.arange(len(rects)), -rects[:, 2] * rects[:, 3]))] = np.arange(
            len(rects)
        )
        owner, rows, cols = _cells(rects)
        cells = rows * width + cols
        np.minimum.at(best, cells, rank[owner])
        lost = np.zeros(len(rects), dtype=bool)
        lost[owner[best[cells] != rank[owner]]] = True
        best[cells] = np.iinfo(np.int64).max
        won = ~lost[owner]
        free.ravel()[cells[won]] = False
        chosen.append(rects[~lost])
    rects = np.concatenate(chosen)
    if "squares" in shapes:
        for axis in (1, 0):
            rects = _join(rects, flat, axis)
    return rects


def _perimeter(rects: np.ndarray):
    """Owner, position k (clockwise on screen from the top-left corner), row and column of
    every border sample of each rectangle."""
    r0, c0, h, w = rects.T
    count = 2 * (h + w)
    owner = np.repeat(np.arange(len(rects)), count)
    k = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    h, w = h[owner], w[owner]
    side = (k >= w).astype(np.int64) + (k >= w + h) + (k >= 2 * w + h)
    dr = np.choose(side, [0 * k, k - w, h, 2 * w + 2 * h - k])
    dc = np.choose(side, [k, w, 2 * w + h - k, 0 * k])
    return owner, k, r0[owner] + dr, c0[owner] + dc


def triangulate(rects: np.ndarray, layers: np.ndarray, used: np.ndarray, shape) -> np.ndarray:
    """(F, 3) sample ids of the triangles of ``rects``, using every border sample set in
    ``used`` (bool, one per sample id) and no other: n border samples, n - 2 triangles.
    ``layers`` (n, 4) is each rectangle's surface key.

    A rectangle is a zigzag between two chains of its border from the top-left to the
    bottom-right corner, the top side then the right side against the left side then the
    bottom side (a tall one mirrored across its diagonal), merged column by column: a run
    becomes a strip between its two long sides, a rectangle with samples on every side has
    no triangle with three samples on one line.
    """
    height, width = shape
    owner, k, rows, cols = _perimeter(rects)
    layer = layers[owner, _corner(rects, owner, rows, cols)]
    ids = layer * height * width + rows * width + cols
    r0, c0, h, w = (x[owner] for x in rects.T)
    corner = (k == 0) | (k == w) | (k == w + h) | (k == 2 * w + h)
    keep = used[ids] | corner
    owner, ids, r0, c0, h, w = (x[keep] for x in (owner, ids, r0, c0, h, w))
    down, across = rows[keep] - r0, cols[keep] - c0
    tall = h > w
    down, across = np.where(tall, across, down), np.where(tall, down, across)
    h, w = np.where(tall, w, h), np.where(tall, h, w)
    # Chain 1: the left side below the top-left corner, then the bottom side before the
    # bottom-right one; chain 0 the rest. Order: column first, then row (doubled, to leave
    # room for the move below).
    chain = ((across == 0) & (down > 0)) | ((down == h) & (across < w))
    along = 2 * (across * (h + 1) + down)
    # Chain 0's first sample after the corner moves up to right after chain 1's first:
    # two steps down the left side from the corner would make a triangle of three samples
    # on one line.
    none = np.iinfo(np.int64).max
    first_one, next_zero = np.full(len(rects), none), np.full(len(rects), none)
    np.minimum.at(first_one, owner[chain], along[chain])
    np.minimum.at(next_zero, owner, np.where(chain | (along == 0), none, along))
    along = np.where(along == next_zero[owner], first_one[owner] + 1, along)
    order = np.lexsort((along, owner))
    owner, chain, ids, tall = owner[order], chain[order], ids[order], tall[order]
    index = np.arange(len(ids))
    last = [np.maximum.accumulate(np.where(chain == c, index, -1)) for c in (0, 1)]
    # Each rectangle opens with its corner (chain 0) and chain 1's first sample.
    first = np.diff(owner, prepend=-1) != 0
    step = index[~(first | np.r_[False, first[:-1]])]
    on_zero = ~chain[step]
    a = np.where(on_zero, last[0][step - 1], last[0][step])
    c = np.where(on_zero, last[1][step], last[1][step - 1])
    faces = np.stack([ids[a], ids[step], ids[c]], axis=1)
    # Mirroring across the diagonal turns clockwise into counter-clockwise: swap back.
    faces[tall[step]] = faces[tall[step]][:, [0, 2, 1]]
    return faces


def layer_shift(layers: LayeredDepth, path: CameraPath | None = None) -> np.ndarray:
    """float32 (H, W): screen pixels per unit disparity error over ``path`` (default: the
    circle path at the default amplitude, as :func:`.make_photo3d` builds it)."""
    if path is None:
        path = camera_path("circle", layers.K, near_depth=layers.z_scale / 3.0)
    bounds = (float(layers.disparity.max()), float(layers.background_disparity.min()))
    return disparity_shift(path, layers.K, layers.shape, layers.z_scale, bounds)


def _assemble(faces: np.ndarray, rects: np.ndarray, keys: np.ndarray, shape) -> np.ndarray:
    """The faces left over plus the rectangles, triangulated through every sample a left
    face or a rectangle corner uses."""
    height, width = shape
    used = np.zeros(2 * height * width, dtype=bool)
    used[faces.ravel()] = True
    r0, c0, h, w = rects.T
    for index, (dr, dc) in enumerate(((0, 0), (0, 1), (1, 0), (1, 1))):
        used[keys[:, index] * height * width + (r0 + dr * h) * width + c0 + dc * w] = True
    return np.concatenate([faces, triangulate(rects, keys, used, shape)])


def merge_flat_regions(
    layers: LayeredDepth,
    faces: np.ndarray,
    cells: np.ndarray,
    corners: np.ndarray,
    shift: np.ndarray,
) -> np.ndarray:
    """``faces`` (F, 3) sample ids with flat rectangles of every surface re-triangulated.

    ``cells`` (F,) and ``corners`` (F, 4) are :func:`.grid_triangles`'s cell of each face and
    its layer at each corner of that cell; ``shift`` is :func:`layer_shift`.
    """
    values = np.stack([layers.disparity, layers.background_disparity])
    links = sample_links(layers)
    # Which surfaces each face lies on, looked up from its corner layers (-1, 0 or 1 each).
    code = ((corners + 1) * 3 ** np.arange(4)).sum(axis=1)
    options = np.array(list(product((-1, 0, 1), repeat=4)))[:, ::-1]
    rects, keys = [np.zeros((0, 4), dtype=np.int64)], [np.zeros((0, 4), dtype=np.int64)]
    taken = np.zeros(len(faces), dtype=bool)
    for surface in SURFACES:
        free = complete_cells(layers, surface, links)
        complete = free.copy()
        chosen = choose_rects(free, Flatness(values, shift, surface))
        fits = ((options == surface) | (options < 0)).all(axis=1)
        taken |= fits[code] & (complete & ~free).ravel()[cells]
        rects.append(chosen)
        keys.append(np.tile(surface, (len(chosen), 1)))
    return _assemble(faces[~taken], np.concatenate(rects), np.concatenate(keys), layers.shape)


def merge_grid(disparity: np.ndarray, shift: np.ndarray | None) -> np.ndarray:
    """(F, 3) triangles (vertex ids ``row * W + col``) of an uncut grid of samples with
    disparities ``disparity`` (H, W), two per cell; given ``shift`` (H, W), flat rectangles
    are merged as on the layers."""
    free = np.ones((disparity.shape[0] - 1, disparity.shape[1] - 1), dtype=bool)
    rects = np.zeros((0, 4), dtype=np.int64)
    if shift is not None:
        rects = choose_rects(free, Flatness(disparity[None], shift, (0, 0, 0, 0)))
    rows, cols = np.nonzero(free)
    a = rows * disparity.shape[1] + cols
    b, c, d = a + 1, a + disparity.shape[1], a + disparity.shape[1] + 1
    faces = np.concatenate([np.stack([a, b, d], 1), np.stack([a, d, c], 1)])
    return _assemble(faces, rects, np.zeros((len(rects), 4), dtype=np.int64), disparity.shape)
