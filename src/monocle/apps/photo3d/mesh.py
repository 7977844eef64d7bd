"""Meshes of a layered depth image: triangles within a layer, never across a cut.

A vertex is one *sample* of the LDI: pixel p's visible sample (layer 0) or its background
sample (layer 1, on the synthesis region). Two samples of neighbouring pixels are *linked*
when they lie on one surface:

- visible to visible: the pair is not cut;
- background to background: both pixels are in the synthesis region and the pair is not cut;
- background of p to visible of q: the pair is cut and q is the farther one (q's disparity is
  p's boundary value in the Poisson fill).

Each 2x2 cell of pixels is split along one diagonal into two triangles, and a triangle exists
for every choice of samples whose three pairs are linked. Texture coordinates point into an
atlas: the visible image on the left, the background colours on the right, so a renderer
samples colours exactly at pixel centres wherever the geometry is unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product
from pathlib import Path

import numpy as np

from monocle.apps.photo3d.edges import OFFSETS, inside, neighbour
from monocle.apps.photo3d.layers import LayeredDepth
from monocle.apps.photo3d.paths import CameraPath

BACKSTOP_STEP = 16
BACKSTOP_PUSH = 1.05


@dataclass
class Mesh:
    """A textured triangle mesh in the source camera's frame (OpenCV: x right, y down, z fwd).

    Attributes:
        vertices: float32 (N, 3) positions.
        uv: float32 (N, 2) texel coordinates (column, row) in ``texture``, centres at integers.
        faces: int64 (F, 3) vertex indices, clockwise on screen in the source view.
        texture: uint8 (Ht, Wt, 3) colour atlas.
        layer: uint8 (N,) 0 for visible samples, 1 for background samples, 2 for the backstop.
        pixel: int64 (N, 2) (row, column) of each vertex's pixel in the layered grid.
        K: float32 (3, 3) intrinsics of the layered grid (the source camera, padded).
        projective: bool (N,). Texture coordinates inside a triangle of projective vertices
            come from projecting the interpolated 3D point with ``K`` (see
            :meth:`homogeneous_uv`): exact on any planar triangle, however large, where
            interpolating ``uv`` would bend the texture. Pixel splats are not projective:
            they show one texel.
    """

    vertices: np.ndarray
    uv: np.ndarray
    faces: np.ndarray
    texture: np.ndarray
    layer: np.ndarray
    pixel: np.ndarray
    K: np.ndarray
    projective: np.ndarray

    @property
    def depth_range(self) -> tuple[float, float]:
        z = self.vertices[:, 2]
        return float(z.min()), float(z.max())

    def homogeneous_uv(self) -> np.ndarray:
        """float32 (N, 3): ``(u w, v w, w)``, ``w`` the source depth of projective vertices
        and 1 for the others.

        Interpolated across a triangle like any 3D attribute and divided by ``w``, it gives
        the texel where the source camera sees the interpolated point: for a projective
        triangle that is the projection by ``K`` plus the vertex's atlas offset (``uv``
        minus its projection, one value per layer), exact on planar triangles of any size.
        """
        w = np.where(self.projective, self.vertices[:, 2], 1.0)[:, None]
        return np.hstack([self.uv * w, w]).astype(np.float32)


def sample_links(layers: LayeredDepth) -> dict[str, dict[tuple[int, int], np.ndarray]]:
    """``links[name][(la, lb)]``: bool (H, W) at p, sample la of p linked to sample lb of q."""
    d, region = layers.disparity, layers.synthesis
    links = {}
    for name, (dy, dx) in OFFSETS.items():
        cut = layers.cuts.pairs[name]
        exists = inside(d.shape, dy, dx)
        q_disp = neighbour(d, dy, dx, fill=0.0)
        q_region = neighbour(region, dy, dx, fill=False)
        links[name] = {
            (0, 0): exists & ~cut,
            (1, 1): exists & ~cut & region & q_region,
            (1, 0): exists & cut & region & (q_disp < d),
            (0, 1): exists & cut & q_region & (d < q_disp),
        }
    return links


# Cell corners a, b, c, d = (0,0), (0,1), (1,0), (1,1) as (dy, dx); pairs as (first, second, name).
CORNERS = {"a": (0, 0), "b": (0, 1), "c": (1, 0), "d": (1, 1)}
PAIRS = {
    ("a", "b"): "right",
    ("c", "d"): "right",
    ("a", "c"): "down",
    ("b", "d"): "down",
    ("a", "d"): "down_right",
    ("b", "c"): "down_left",
}
# Two splits of a cell; winding a->b->d is clockwise on screen (rows grow downwards).
SPLITS = {"ad": (("a", "b", "d"), ("a", "d", "c")), "bc": (("a", "b", "c"), ("b", "d", "c"))}


def _pair_link(links, cells, first: str, second: str, la: int, lb: int) -> np.ndarray:
    if (first, second) not in PAIRS:
        first, second, la, lb = second, first, lb, la
    (dy, dx), name = CORNERS[first], PAIRS[(first, second)]
    h, w = cells
    return links[name][(la, lb)][dy : dy + h, dx : dx + w]


def grid_triangles(layers: LayeredDepth) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All linked triangles of the LDI.

    Returns ``faces`` int64 (F, 3) of sample ids (``layer * H * W + row * W + col``),
    ``cell`` int64 (F,) flat index of each face's cell in the (H-1, W-1) cell grid and
    ``corners`` int8 (F, 4) the face's layer at the cell's corners a, b, c, d (-1 at the
    corner it does not use).
    """
    height, width = layers.shape
    cells = (height - 1, width - 1)
    links = sample_links(layers)
    present = [np.ones(layers.shape, dtype=bool), layers.synthesis]
    cell_rows, cell_cols = np.mgrid[0 : cells[0], 0 : cells[1]]
    candidates = {}
    for split, triangles in SPLITS.items():
        for t_index, corners in enumerate(triangles):
            for combo in product((0, 1), repeat=3):
                valid = np.ones(cells, dtype=bool)
                for corner, lay in zip(corners, combo, strict=True):
                    dy, dx = CORNERS[corner]
                    valid &= present[lay][dy : dy + cells[0], dx : dx + cells[1]]
                for i, j in ((0, 1), (1, 2), (0, 2)):
                    valid &= _pair_link(links, cells, corners[i], corners[j], combo[i], combo[j])
                candidates[split, t_index, combo] = valid

    count = {
        split: sum(candidates[key].astype(np.int32) for key in candidates if key[0] == split)
        for split in SPLITS
    }
    preferred = {"bc": count["bc"] > count["ad"]}
    preferred["ad"] = ~preferred["bc"]
    # A quad: one sample per corner (``quad_layers`` in corner order a, b, c, d) that both
    # triangles of a split link. It is drawn with one split, the preferred one where both do;
    # drawing both would double the triangles of every seam across a cut.
    in_quad = {key: np.zeros(cells, dtype=bool) for key in candidates}
    drawn = {key: np.zeros(cells, dtype=bool) for key in candidates}
    quads = {}
    for split, triangles in SPLITS.items():
        for quad_layers in product((0, 1), repeat=4):
            of = dict(zip(CORNERS, quad_layers, strict=True))
            keys = [
                (split, t, tuple(of[c] for c in corners)) for t, corners in enumerate(triangles)
            ]
            quads[split, quad_layers] = keys, candidates[keys[0]] & candidates[keys[1]]
    for (split, quad_layers), (keys, whole) in quads.items():
        other = quads["ad" if split == "bc" else "bc", quad_layers][1]
        for key in keys:
            in_quad[key] |= whole
            drawn[key] |= whole & (preferred[split] | ~other)
    # Triangles in no quad stay: where cuts meet (three depths at one cell) one split can leave
    # half a cell open that the other split closes, an overlap the z-buffer resolves.
    faces, face_cells, face_corners = [], [], []
    for (split, t_index, combo), valid in candidates.items():
        key = (split, t_index, combo)
        chosen = valid & (drawn[key] | ~in_quad[key])
        rows, cols = cell_rows[chosen], cell_cols[chosen]
        corners = SPLITS[split][t_index]
        ids = [
            lay * height * width + (rows + CORNERS[c][0]) * width + cols + CORNERS[c][1]
            for c, lay in zip(corners, combo, strict=True)
        ]
        faces.append(np.stack(ids, axis=1))
        face_cells.append(rows * cells[1] + cols)
        of = dict(zip(corners, combo, strict=True))
        corner_layers = np.array([of.get(c, -1) for c in CORNERS], dtype=np.int8)
        face_corners.append(np.broadcast_to(corner_layers, (rows.size, 4)))
    return np.concatenate(faces), np.concatenate(face_cells), np.concatenate(face_corners)


def sample_geometry(layers: LayeredDepth, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions (n, 3) and texel coordinates (n, 2) of sample ids ``ids`` (n,), each
    ``half * H * W + row * W + col`` with half 0 (visible), 1 (background) or 2.

    Ids ``2*H*W + p`` are visible samples textured from the background half of the atlas
    (which holds the photo's own colours off the synthesis region): a triangle mixing layers
    must take all its texels from one half, or its texture coordinates would sweep across the
    whole atlas.
    """
    height, width = layers.shape
    half, pixel = np.divmod(ids, height * width)
    rows, cols = np.divmod(pixel, width)
    rays = np.linalg.inv(layers.K.astype(np.float64)) @ np.stack(
        [cols, rows, np.ones(len(ids))]
    ).astype(np.float64)
    depth = np.where(half == 1, layers.background_depth.ravel()[pixel], layers.depth.ravel()[pixel])
    uv = np.stack([cols + np.minimum(half, 1) * width, rows], axis=1)
    return (rays * depth).T.astype(np.float32), uv.astype(np.float32)


def build_mesh(
    layers: LayeredDepth,
    simplify: bool = True,
    backstop: bool = True,
    path: CameraPath | None = None,
) -> Mesh:
    """The LDI as one textured mesh.

    ``simplify`` merges flat regions (see :mod:`.simplify`) as far as the camera ``path``
    (a :class:`.CameraPath`, default the circle path) cannot tell; ``backstop`` adds
    :func:`backstop_grid` behind everything.
    """
    faces, cells, corners = grid_triangles(layers)
    height, width = layers.shape
    count = height * width
    lonely = np.flatnonzero(np.bincount(faces.ravel(), minlength=2 * count)[:count] == 0)
    shift = None
    if simplify:
        from monocle.apps.photo3d.simplify import layer_shift, merge_flat_regions

        shift = layer_shift(layers, path)
        faces = merge_flat_regions(layers, faces, cells, corners, shift)
    mixed = (faces // count).min(axis=1) != (faces // count).max(axis=1)
    faces[mixed] = np.where(faces[mixed] < count, faces[mixed] + 2 * count, faces[mixed])
    in_use = np.zeros(3 * count, dtype=bool)
    in_use[faces.ravel()] = True
    used = np.flatnonzero(in_use)
    positions, uv = sample_geometry(layers, used)
    renumber = np.cumsum(in_use) - 1
    faces = renumber[faces]
    splat_vertices, splat_uv, splat_faces = pixel_splats(layers, lonely)
    texture = np.concatenate([layers.image, layers.background_rgb], axis=1)
    parts = [
        (positions, uv, faces, np.array([0, 1, 0])[used // count], used),
        (splat_vertices, splat_uv, splat_faces, np.zeros(len(splat_uv)), np.repeat(lonely, 4)),
    ]
    if backstop:
        parts.append(backstop_grid(layers, shift=shift))
    vertices, uvs, all_faces, layer, pixel_ids, offset = [], [], [], [], [], 0
    for part_vertices, part_uv, part_faces, part_layer, part_ids in parts:
        vertices.append(part_vertices)
        uvs.append(part_uv)
        all_faces.append(part_faces + offset)
        layer.append(part_layer)
        pixel_ids.append(part_ids % (height * width))
        offset += len(part_vertices)
    pixel_ids = np.concatenate(pixel_ids)
    all_faces = np.concatenate(all_faces)
    # Neighbouring triangles next to each other in the index buffer: a rasteriser's vertex
    # cache then shades each vertex about once.
    all_faces = all_faces[np.argsort(all_faces.min(axis=1), kind="stable")]
    projective = np.ones(sum(len(v) for v in vertices), dtype=bool)
    projective[len(used) : len(used) + len(splat_uv)] = False
    return Mesh(
        K=layers.K.astype(np.float32),
        projective=projective,
        vertices=np.concatenate(vertices).astype(np.float32),
        uv=np.concatenate(uvs).astype(np.float32),
        faces=all_faces.astype(np.int64),
        texture=np.ascontiguousarray(texture),
        layer=np.concatenate(layer).astype(np.uint8),
        pixel=np.stack([pixel_ids // width, pixel_ids % width], axis=1),
    )


def backstop_grid(layers: LayeredDepth, step: int = BACKSTOP_STEP, shift: np.ndarray | None = None):
    """A coarse, uncut surface behind everything: layer 2, seen only through leftover holes.

    Two samples per pixel cannot hold three depths: where a foreground edge crosses a cut
    between two farther surfaces (a table leg against a chair against a wall) a novel view can
    open a gap that neither layer spans. This grid sits at the farthest depth within the
    synthesis radius, pushed back a little, and carries the background colours; given
    ``shift`` (:func:`.simplify.layer_shift`) its flat parts are merged like the layers'.
    Returns vertices, uv, faces, layer and pixel ids like :func:`build_mesh`'s parts.
    """
    from scipy import ndimage

    from monocle.apps.photo3d.simplify import merge_grid

    height, width = layers.shape
    rows = np.unique(np.r_[np.arange(0, height, step), height - 1])
    cols = np.unique(np.r_[np.arange(0, width, step), width - 1])
    # Farthest depth within the radius of each grid sample, from step x step block maxima.
    depth = layers.depth
    blocks = (
        np.pad(depth, ((0, (-height) % step), (0, (-width) % step)), mode="edge")
        .reshape(-(-height // step), step, -(-width // step), step)
        .max(axis=(1, 3))
    )
    reach = 2 * (-(-layers.radius // step)) + 3
    far = ndimage.maximum_filter(blocks, size=reach, mode="nearest") * BACKSTOP_PUSH
    grid_r, grid_c = np.meshgrid(rows, cols, indexing="ij")
    z = far[grid_r // step, grid_c // step].astype(np.float64).ravel()
    rays = np.linalg.inv(layers.K.astype(np.float64)) @ np.stack(
        [grid_c.ravel(), grid_r.ravel(), np.ones(z.size)]
    )
    vertices = (rays * z).T
    uv = np.stack([grid_c.ravel() + width, grid_r.ravel()], axis=1)
    disparity = (layers.z_scale / z).reshape(grid_r.shape)
    faces = merge_grid(disparity, None if shift is None else shift[grid_r, grid_c])
    ids = (grid_r * width + grid_c).ravel()
    return vertices, uv, faces, np.full(len(uv), 2), ids


def pixel_splats(
    layers: LayeredDepth, pixels: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A one-pixel square at each visible sample that no triangle uses.

    A structure one pixel wide (a window bar, a wire) is cut from both neighbours, so no cell
    holds three of its linked samples; a fronto-parallel square at its own depth and colour
    keeps it in the picture without linking it to anything. Returns vertices (4n, 3),
    uv (4n, 2) and faces (2n, 3) indexing these vertices.
    """
    width = layers.shape[1]
    rows, cols = (pixels // width).astype(np.float64), (pixels % width).astype(np.float64)
    corners = np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5]])
    u = (cols[:, None] + corners[:, 0]).ravel()
    v = (rows[:, None] + corners[:, 1]).ravel()
    z = np.repeat(layers.depth.ravel()[pixels].astype(np.float64), 4)
    rays = np.linalg.inv(layers.K.astype(np.float64)) @ np.stack([u, v, np.ones_like(u)])
    vertices = (rays * z).T.astype(np.float32)
    uv = np.repeat(np.stack([cols, rows], axis=1), 4, axis=0).astype(np.float32)
    first = 4 * np.arange(len(pixels))[:, None]
    faces = np.concatenate([first + np.array([0, 1, 2]), first + np.array([0, 2, 3])])
    return vertices, uv, faces.reshape(-1, 3)


def _to_trimesh(mesh: Mesh, textured: bool):
    import trimesh
    from PIL import Image

    # glTF and most viewers are y-up, looking down -z: rotate OpenCV's frame by 180° about x.
    vertices = mesh.vertices * np.array([1.0, -1.0, -1.0], dtype=np.float32)
    height, width = mesh.texture.shape[:2]
    if textured:
        uv = np.stack([(mesh.uv[:, 0] + 0.5) / width, 1.0 - (mesh.uv[:, 1] + 0.5) / height], axis=1)
        visual = trimesh.visual.TextureVisuals(uv=uv, image=Image.fromarray(mesh.texture))
    else:
        rows = np.clip(np.rint(mesh.uv[:, 1]).astype(int), 0, height - 1)
        cols = np.clip(np.rint(mesh.uv[:, 0]).astype(int), 0, width - 1)
        visual = trimesh.visual.ColorVisuals(vertex_colors=mesh.texture[rows, cols])
    return trimesh.Trimesh(vertices, mesh.faces, visual=visual, process=False)


def export_mesh(mesh: Mesh, path: str | Path) -> Path:
    """Write ``mesh`` as ``.glb`` (textured) or ``.ply`` (vertex colours), y-up, -z forward."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".glb", ".ply"):
        raise ValueError(f"{path}: mesh files must end in .glb or .ply, not {suffix!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    data = _to_trimesh(mesh, textured=suffix == ".glb").export(file_type=suffix[1:])
    path.write_bytes(data)
    return path
