"""Mesh checks shared by the photo3d tests: what pixels a triangle covers, which neighbouring
pixel pairs it joins, and T-junctions. All in the layered grid's pixel coordinates
(``Mesh.pixel``), where a sample's vertex sits on its pixel's centre in the source view."""

from __future__ import annotations

import numpy as np

from monocle.apps.photo3d.edges import OFFSETS


def footprints(mesh, faces: np.ndarray):
    """(face, row, column) of every pixel centre inside or on each of ``faces`` (indices into
    ``mesh.faces``), exactly: integer edge functions."""
    tri = mesh.pixel[mesh.faces[faces]].astype(np.int64)  # (F, 3, 2) (row, col)
    lo, hi = tri.min(axis=1), tri.max(axis=1)
    span = hi - lo + 1
    count = span[:, 0] * span[:, 1]
    owner = np.repeat(np.arange(len(faces)), count)
    local = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    rows = lo[owner, 0] + local // span[owner, 1]
    cols = lo[owner, 1] + local % span[owner, 1]
    t = tri[owner]
    area = (t[:, 1, 1] - t[:, 0, 1]) * (t[:, 2, 0] - t[:, 0, 0]) - (t[:, 1, 0] - t[:, 0, 0]) * (
        t[:, 2, 1] - t[:, 0, 1]
    )
    inside = np.ones(len(owner), dtype=bool)
    for i, j in ((0, 1), (1, 2), (2, 0)):
        edge = (t[:, j, 1] - t[:, i, 1]) * (rows - t[:, i, 0]) - (t[:, j, 0] - t[:, i, 0]) * (
            cols - t[:, i, 1]
        )
        inside &= edge * np.sign(area) >= 0
    return faces[owner[inside]], rows[inside], cols[inside]


def joined_pairs(mesh, faces: np.ndarray):
    """{name: (rows, cols)} of the pixels p whose pair (p, p + OFFSETS[name]) lies inside one
    of ``faces``: the neighbours a triangle joins into one surface."""
    face, rows, cols = footprints(mesh, faces)
    width = int(mesh.pixel[:, 1].max()) + 2
    keys = np.sort((face * (mesh.pixel[:, 0].max() + 2) + rows) * width + cols)
    out = {}
    for name, (dy, dx) in OFFSETS.items():
        other = (face * (mesh.pixel[:, 0].max() + 2) + rows + dy) * width + cols + dx
        found = np.searchsorted(keys, other).clip(max=len(keys) - 1)
        both = keys[found] == other
        out[name] = (rows[both], cols[both])
    return out


def edge_pairs(mesh, layer: int):
    """{name: (rows, cols)} of the pixels p whose pair (p, p + OFFSETS[name]) is a step along
    an edge between two samples of ``layer`` of any triangle, seams across cuts included
    (their footprints mix layers, their same-layer edges do not)."""
    out = {name: ([], []) for name in OFFSETS}
    for a, b in ((0, 1), (1, 2), (2, 0)):
        va, vb = mesh.faces[:, a], mesh.faces[:, b]
        keep = (mesh.layer[va] == layer) & (mesh.layer[vb] == layer)
        keep &= mesh.projective[va] & mesh.projective[vb]
        start, step = mesh.pixel[va[keep]], mesh.pixel[vb[keep]] - mesh.pixel[va[keep]]
        steps = np.gcd(np.abs(step[:, 0]), np.abs(step[:, 1]))
        unit = step // np.maximum(steps, 1)[:, None]
        for name, offset in OFFSETS.items():
            for sign in (1, -1):
                pick = np.flatnonzero((unit == sign * np.asarray(offset)).all(axis=1))
                owner = np.repeat(pick, steps[pick])
                k = np.arange(len(owner)) - np.repeat(
                    np.cumsum(steps[pick]) - steps[pick], steps[pick]
                )
                # Walk from the end the offset points away from.
                first = start[owner] + unit[owner] * (k if sign == 1 else k + 1)[:, None]
                out[name][0].append(first[:, 0])
                out[name][1].append(first[:, 1])
    return {name: (np.concatenate(r), np.concatenate(c)) for name, (r, c) in out.items()}


def layer_faces(mesh, layer: int) -> np.ndarray:
    """Indices of the faces whose three vertices are grid samples of ``layer``."""
    of = mesh.layer[mesh.faces]
    return np.flatnonzero((of == layer).all(axis=1) & mesh.projective[mesh.faces].all(axis=1))


def t_junctions(mesh) -> int:
    """How many times a vertex lies strictly inside an edge of a triangle of its own layer
    without being one of its corners: each such vertex can open a crack in a rasteriser."""
    grid = mesh.projective  # pixel splats are squares of their own
    size = mesh.pixel.max(axis=0) + 1
    key = (mesh.layer.astype(np.int64) * size[0] + mesh.pixel[:, 0]) * size[1] + mesh.pixel[:, 1]
    used = np.zeros(len(mesh.vertices), dtype=bool)
    used[mesh.faces.ravel()] = True
    occupied = np.unique(key[used & grid])
    count = 0
    for a, b in ((0, 1), (1, 2), (2, 0)):
        va, vb = mesh.faces[:, a], mesh.faces[:, b]
        keep = grid[va] & grid[vb] & (mesh.layer[va] == mesh.layer[vb])
        start, step = mesh.pixel[va[keep]], mesh.pixel[vb[keep]] - mesh.pixel[va[keep]]
        steps = np.gcd(np.abs(step[:, 0]), np.abs(step[:, 1]))
        inner = np.maximum(steps - 1, 0)
        owner = np.repeat(np.arange(len(steps)), inner)
        k = np.arange(int(inner.sum())) - np.repeat(np.cumsum(inner) - inner, inner) + 1
        point = start[owner] + step[owner] // steps[owner, None] * k[:, None]
        layer = mesh.layer[va[keep]][owner].astype(np.int64)
        inside = (layer * size[0] + point[:, 0]) * size[1] + point[:, 1]
        count += int(np.isin(inside, occupied).sum())
    return count
