"""photo3d geometry: discontinuities, sharpening, Poisson fill, layers and meshes."""

from __future__ import annotations

import numpy as np
import pytest

from monocle.apps.photo3d import (
    build_layers,
    build_mesh,
    camera_path,
    default_intrinsics,
    fill_background_disparity,
    find_cuts,
    sharpen_disparity,
)
from monocle.apps.photo3d.edges import OFFSETS, Cuts, snap_edges_to_colour, step_excess
from monocle.apps.photo3d.layers import synthesis_region
from monocle.apps.photo3d.mesh import sample_links
from photo3d_checks import edge_pairs, footprints, joined_pairs, layer_faces, t_junctions


def no_cuts(shape):
    return Cuts({name: np.zeros(shape, dtype=bool) for name in OFFSETS})


def test_step_is_cut_once_per_row_and_slopes_never():
    disparity = np.ones((6, 10), np.float32)
    disparity[:, 5:] = 2.0
    cuts = find_cuts(disparity, min_segment=1)
    assert cuts.pairs["right"].sum() == 6
    assert cuts.pairs["right"][:, 4].all()
    assert cuts.pairs["down"].sum() == 0
    # A steep plane: steps of 0.3 per pixel, far above the 0.04 threshold, but all equal.
    slope = np.tile(np.arange(10, dtype=np.float32) * 0.3 + 0.5, (6, 1))
    assert find_cuts(slope, min_segment=1).count() == 0
    # A crease (slope changes from 0.01 to 0.3 per pixel): still one surface.
    crease = np.tile(np.r_[np.arange(5) * 0.01, 0.04 + np.arange(1, 6) * 0.3], (6, 1))
    assert find_cuts(crease.astype(np.float32), min_segment=1).count() == 0


def test_step_excess_golden_values():
    row = np.array([[0.0, 0.0, 1.0, 1.0]], np.float32)
    # steps 0, 1, 0: the middle pair departs by 1 from both neighbours, the others by 0.
    np.testing.assert_allclose(step_excess(row, 0, 1)[0], [0.0, 1.0, 0.0, 0.0])
    thin = np.array([[0.0, 0.0, 2.0, 0.0, 0.0]], np.float32)
    np.testing.assert_allclose(step_excess(thin, 0, 1)[0], [0.0, 2.0, 2.0, 0.0, 0.0])


def test_small_segments_are_dropped_and_subject_outline_is_cut():
    disparity = np.ones((20, 20), np.float32)
    disparity[10, 10] = 1.5  # a one-pixel speck: its edge segment is tiny
    assert find_cuts(disparity, min_segment=12).count() == 0
    assert find_cuts(disparity, min_segment=1).count() > 0
    subject = np.zeros((20, 20), bool)
    subject[5:15, 5:15] = True
    cuts = find_cuts(np.ones((20, 20), np.float32), subject=subject)
    assert cuts.pairs["right"][5:15, 4].all() and cuts.pairs["right"][5:15, 14].all()
    assert cuts.pairs["right"].sum() == 20


def test_sharpen_snaps_floating_pixel_and_keeps_thin_object():
    ramp = np.array([[1.0, 1.0, 1.0, 1.6, 3.0, 3.0, 3.0]], np.float32).repeat(5, 0)
    sharp = sharpen_disparity(ramp)
    np.testing.assert_array_equal(sharp[:, 3], 1.0)  # nearer to the far side's 1.0
    assert (sharp[:, [0, 1, 2]] == 1.0).all() and (sharp[:, 4:] == 3.0).all()
    pole = np.ones((5, 7), np.float32)
    pole[:, 3] = 3.0  # one pixel in front of one background: not floating
    np.testing.assert_array_equal(sharpen_disparity(pole), pole)
    slope = np.tile(np.arange(7, dtype=np.float32) * 0.2, (5, 1))
    np.testing.assert_array_equal(sharpen_disparity(slope), slope)


def sharpened_and_snapped(soft, image):
    sharp = sharpen_disparity(soft)
    return sharp, snap_edges_to_colour(sharp, image, sharp != soft)


def soft_edge_scene():
    """A dark person ending at column 10 and predicted disparity blurred over columns 11-12."""
    image = np.full((16, 24, 3), 40, np.uint8)
    image[:, 10:] = 200
    soft = np.ones((16, 24), np.float32)
    soft[:, :11] = 3.0
    soft[:, 11:13] = [2.6, 1.3]
    return image, soft


def test_snap_moves_a_soft_depth_edge_onto_the_colour_edge():
    image, soft = soft_edge_scene()
    sharp, snapped = sharpened_and_snapped(soft, image)
    np.testing.assert_array_equal(sharp[:, :12], 3.0)  # sharpening cuts in the blur's middle
    np.testing.assert_array_equal(snapped[:, :10], 3.0)  # snapping cuts where the colour does
    np.testing.assert_array_equal(snapped[:, 10:], 1.0)
    # Without a colour edge to follow, the sharpened edge stays where it is...
    flat = np.full((16, 24, 3), 120, np.uint8)
    np.testing.assert_array_equal(sharpened_and_snapped(soft, flat)[1], sharp)
    # ...and a crisp depth edge is never moved, colours or not.
    crisp = np.where(np.arange(24) < 13, 3.0, 1.0).astype(np.float32)[None].repeat(16, 0)
    np.testing.assert_array_equal(sharpened_and_snapped(crisp, image)[1], crisp)


def test_layers_of_soft_depth_are_cut_where_the_colour_changes():
    image, soft = soft_edge_scene()
    depth = 3.0 / soft  # normalised disparity 3 z_min / z is ``soft`` again
    K = default_intrinsics(depth.shape)
    layers = build_layers(image, depth, K, radius=0, margin=0)
    assert layers.cuts.pairs["right"][:, 9].all() and layers.cuts.pairs["right"].sum() == 16
    unsharpened = build_layers(image, depth, K, radius=0, margin=0, sharpen=False)
    assert not unsharpened.cuts.pairs["right"][:, 9].any()


def test_snap_pulls_a_blurred_disc_back_to_its_colours_with_existing_values_only():
    rng = np.random.default_rng(0)
    rows, cols = np.mgrid[0:40, 0:40]
    disc = (rows - 20) ** 2 + (cols - 20) ** 2 < 10**2
    image = np.where(disc[..., None], 50, 190) + rng.integers(-20, 21, (40, 40, 3))
    # Predicted depth: the disc too big, off-centre, and its edge blurred over 3 pixels.
    radius = np.hypot(rows - 20, cols - 21.5)
    soft = (1.0 + 1.5 * np.clip((13.5 - radius) / 3, 0, 1)).astype(np.float32)
    sharp, snapped = sharpened_and_snapped(soft, image.astype(np.uint8))
    assert set(np.unique(snapped)) <= set(np.unique(sharp))
    wrong_before = int(((sharp > 2) != disc).sum())
    wrong_after = int(((snapped > 2) != disc).sum())
    assert wrong_before > 100 and wrong_after < wrong_before / 4, (wrong_before, wrong_after)


def test_poisson_fill_extends_background_plane_and_ignores_foreground():
    rows, cols = np.mgrid[0:24, 0:24].astype(np.float32)
    background = 0.5 + 0.01 * cols + 0.02 * rows  # affine = harmonic: the fill is exact
    disparity = background.copy()
    disparity[8:16, 8:16] = 3.0
    cuts = find_cuts(disparity, min_segment=1)
    region = np.zeros_like(disparity, dtype=bool)
    region[8:16, 8:16] = True
    filled = fill_background_disparity(disparity, cuts, region)
    np.testing.assert_allclose(filled[region], background[region], atol=2e-3)
    np.testing.assert_array_equal(filled[~region], disparity[~region])
    # Neumann against the foreground: a thin band next to the edge still takes only the far
    # side's values, never the foreground's 3.0.
    band = np.zeros_like(region)
    band[8:16, 8:10] = True
    filled = fill_background_disparity(disparity, cuts, band)
    assert filled[band].max() < background.max() + 1e-3


def test_synthesis_region_grows_inside_the_foreground_only():
    disparity = np.ones((20, 30), np.float32)
    disparity[5:15, 10:20] = 3.0
    cuts = find_cuts(disparity, min_segment=1)
    reach = np.zeros(disparity.shape, np.int32)
    reach[5:15, 10] = 3  # the left edge's near pixels, 3 pixels of reach
    region = synthesis_region(cuts, reach)
    assert region[5:15, 10:13].all()
    assert not region[:, :10].any()  # never across the cut into the background
    # Three pixels, then rounded out to the 4-pixel block grid (columns 8..12 and 12..16).
    assert region[5:15, 13:17].all()
    assert not region[5:15, 17:].any()


def two_depth_scene(size=(32, 40)):
    """A wall at 3 m, a box at 2 m, and a person-like slab at 1 m overlapping both."""
    height, width = size
    depth = np.full(size, 3.0, np.float32)
    depth[4:28, 4:22] = 2.0
    depth[10:20, 16:30] = 1.0
    rows, cols = np.mgrid[0:height, 0:width]
    image = np.stack([(cols * 6) % 256, (rows * 8) % 256, (rows + cols) * 3 % 256], -1)
    return image.astype(np.uint8), depth, default_intrinsics(size)


def test_no_triangle_joins_samples_across_a_cut():
    image, depth, K = two_depth_scene()
    path = camera_path("circle", K, near_depth=1.0, frames=24)
    layers = build_layers(image, depth, K, path)
    links = sample_links(layers)
    assert layers.cuts.count() > 0
    for simplify in (False, True):
        mesh = build_mesh(layers, simplify=simplify, path=path)
        # Every pair of neighbouring samples inside a triangle's footprint (not only along
        # its edges: merged triangles span many pixels) must be linked in its layer.
        for layer in (0, 1):
            faces = layer_faces(mesh, layer)
            for pairs in (joined_pairs(mesh, faces), edge_pairs(mesh, layer)):
                for name, (rows, cols) in pairs.items():
                    assert links[name][(layer, layer)][rows, cols].all(), (simplify, layer, name)
            corners = mesh.pixel[mesh.faces[faces]]
            spans = corners.max(axis=1) - corners.min(axis=1)
            assert (spans.max(axis=1) > 1).any() == simplify  # merged triangles were checked
        # Every visible pixel of the layered grid is a vertex of the mesh (nothing dropped).
        height, width = layers.shape
        seen = np.zeros((height, width), bool)
        seen[mesh.pixel[mesh.layer == 0][:, 0], mesh.pixel[mesh.layer == 0][:, 1]] = True
        assert seen.all() or simplify


@pytest.mark.parametrize("simplify", [False, True])
def test_novel_views_are_fully_covered_and_source_view_is_exact(simplify):
    from monocle.apps.photo3d import TorchRenderer

    image, depth, K = two_depth_scene()
    path = camera_path("circle", K, near_depth=1.0, frames=16)
    layers = build_layers(image, depth, K, path)
    mesh = build_mesh(layers, simplify=simplify)
    renderer = TorchRenderer(mesh, image.shape[:2])
    source = renderer.render(np.eye(4), K)
    assert source.covered.all()
    np.testing.assert_array_equal(source.rgb, image)
    np.testing.assert_allclose(source.depth, depth, rtol=1e-4)
    for pose, K_new in zip(path.poses, path.intrinsics, strict=True):
        assert renderer.render(pose, K_new).covered.all()


def tilted_plane(shape):
    rows, cols = np.mgrid[0 : shape[0], 0 : shape[1]].astype(np.float32)
    depth = 1.0 / (0.3 + 0.004 * cols + 0.002 * rows)
    image = np.stack([(cols * 9) % 256, (rows * 5) % 256, np.full_like(rows, 80)], -1)
    return image.astype(np.uint8), depth, default_intrinsics(depth.shape)


def test_simplify_collapses_a_plane_without_changing_the_picture():
    from monocle.apps.photo3d import TorchRenderer

    for shape, most in (((65, 65), 2), ((129, 193), 2), ((50, 70), 12)):
        image, depth, K = tilted_plane(shape)
        layers = build_layers(image, depth, K, radius=0, margin=0)
        merged = build_mesh(layers, simplify=True, backstop=False)
        assert len(merged.faces) <= most, shape
        assert t_junctions(merged) == 0
    full = build_mesh(layers, simplify=False, backstop=False)
    assert len(full.faces) == 2 * 49 * 69
    pose = np.eye(4)
    pose[:3, 3] = [0.05, -0.03, 0.1]
    a = TorchRenderer(full, depth.shape).render(pose, K)
    b = TorchRenderer(merged, depth.shape).render(pose, K)
    assert (a.covered == b.covered).all()
    diff = np.abs(a.rgb.astype(int) - b.rgb.astype(int))[a.covered]
    assert diff.max() <= 2


def dome_scene(size=(96, 128), radius=3.0):
    """A gently curved bowl (no plane anywhere) in front of the camera."""
    rows, cols = np.mgrid[0 : size[0], 0 : size[1]].astype(np.float32)
    K = default_intrinsics(size)
    x, y = (cols - K[0, 2]) / K[0, 0], (rows - K[1, 2]) / K[1, 1]
    depth = 2.0 + radius - np.sqrt(radius**2 - 4 * x**2 - 4 * y**2)
    # Smooth colours: a sub-pixel shift changes them by a little, as on a photo.
    image = 128 + 100 * np.sin(np.stack([cols / 5, rows / 7, (rows + cols) / 9], -1))
    return image.astype(np.uint8), depth.astype(np.float32), K


def test_curved_surface_merges_as_far_as_the_path_cannot_tell(monkeypatch):
    from monocle.apps.photo3d import simplify

    image, depth, K = dome_scene()
    path = camera_path("circle", K, near_depth=float(depth.min()), frames=16)
    layers = build_layers(image, depth, K, path)
    assert layers.cuts.count() == 0
    full = build_mesh(layers, simplify=False, backstop=False, path=path)
    merged = build_mesh(layers, simplify=True, backstop=False, path=path)
    assert len(merged.faces) < 0.01 * len(full.faces)
    assert t_junctions(merged) == 0
    bound = simplify.VISIBLE_SHIFT
    # Where the path could show the curvature the same surface stays fine.
    monkeypatch.setattr(simplify, "VISIBLE_SHIFT", 0.01)
    strict = build_mesh(layers, simplify=True, backstop=False, path=path)
    assert len(strict.faces) > 10 * len(merged.faces)
    # The bound holds where it matters: inside every merged triangle the interpolated
    # disparity moves no sample more than VISIBLE_SHIFT along the path.
    shift = simplify.layer_shift(layers, path)
    face, rows, cols = footprints(merged, np.arange(len(merged.faces)))
    corners = merged.pixel[merged.faces[face]].astype(float)  # (n, 3, 2)
    disparity = layers.z_scale / merged.vertices[merged.faces[face], 2]
    a, b, c = corners[:, 0], corners[:, 1], corners[:, 2]
    point = np.stack([rows, cols], axis=1)

    def cross(p, q, r):
        return (q[:, 0] - p[:, 0]) * (r[:, 1] - p[:, 1]) - (q[:, 1] - p[:, 1]) * (r[:, 0] - p[:, 0])

    weights = np.stack([cross(point, b, c), cross(a, point, c), cross(a, b, point)], 1)
    weights /= cross(a, b, c)[:, None]
    error = np.abs((weights * disparity).sum(1) - layers.disparity[rows, cols])
    assert (error * shift[rows, cols]).max() <= bound
    # ... and the renders along the path agree with the full mesh's.
    for index, diff in render_differences(full, merged, path, image.shape[:2]):
        assert diff.mean() < 1.5, index


def render_differences(full, merged, path, size):
    """(frame index, |full - merged| int (H, W, 3)) at four views along ``path``, after
    checking that both meshes cover every pixel there."""
    from monocle.apps.photo3d import TorchRenderer

    for index in (0, 4, 8, 12):
        pose, K_new = path.poses[index], path.intrinsics[index]
        a = TorchRenderer(full, size).render(pose, K_new)
        b = TorchRenderer(merged, size).render(pose, K_new)
        assert a.covered.all() and b.covered.all()
        yield index, np.abs(a.rgb.astype(int) - b.rgb.astype(int))


def test_simplified_layers_render_like_the_full_mesh():

    # A tilted wall behind a box and a dome: planes, curves and cuts.
    height, width = 64, 80
    rows, cols = np.mgrid[0:height, 0:width].astype(np.float32)
    depth = 1.0 / (0.25 + 0.002 * cols + 0.001 * rows)
    depth[20:50, 8:30] = 1.6
    dome = (rows - 30) ** 2 + (cols - 55) ** 2 < 15**2
    depth[dome] = 1.2 + 0.0015 * ((rows[dome] - 30) ** 2 + (cols[dome] - 55) ** 2)
    image = np.stack([(cols * 7) % 256, (rows * 11) % 256, (rows + 2 * cols) % 256], -1)
    image, K = image.astype(np.uint8), default_intrinsics((height, width))
    path = camera_path("circle", K, near_depth=float(depth.min()), frames=16)
    layers = build_layers(image, depth, K, path)
    assert layers.cuts.count() > 0 and layers.synthesis.any()
    full = build_mesh(layers, simplify=False, path=path)
    merged = build_mesh(layers, simplify=True, path=path)
    assert len(merged.faces) < 0.1 * len(full.faces)
    assert t_junctions(merged) == 0
    assert t_junctions(full) == 0
    for index, diff in render_differences(full, merged, path, image.shape[:2]):
        # Identical but for texels a rasterisation edge moves by a sub-pixel amount.
        assert diff.mean() < 1.0 and (diff.max(axis=2) > 24).mean() < 0.01, index


def test_t_junction_check_finds_a_vertex_on_a_long_edge():
    image, depth, K = tilted_plane((8, 9))
    layers = build_layers(image, depth, K, radius=0, margin=0)
    mesh = build_mesh(layers, simplify=False, backstop=False)
    assert t_junctions(mesh) == 0
    # Replace the four triangles of cells (0, 0) and (0, 1) by two spanning both: the
    # vertex at pixel (1, 1), which the cells below still use, now lies on a long edge.
    at = {tuple(p): i for i, p in enumerate(mesh.pixel)}
    cells = mesh.pixel[mesh.faces].min(axis=1)
    keep = ~((cells[:, 0] == 0) & (cells[:, 1] <= 1))
    quad = [at[0, 0], at[0, 2], at[1, 2], at[1, 0]]
    wide = np.array([[quad[0], quad[1], quad[2]], [quad[0], quad[2], quad[3]]])
    mesh.faces = np.concatenate([mesh.faces[keep], wide])
    assert t_junctions(mesh) == 1


def test_disparity_shift_bounds_how_far_a_disparity_error_moves_a_point():
    from monocle.apps.photo3d.paths import disparity_shift

    K = default_intrinsics((60, 80))
    z_scale = 3.0
    path = camera_path("circle", K, near_depth=z_scale / 3, frames=240)
    shift = disparity_shift(path, K, (60, 80), z_scale, (3.0, 0.5))
    rng = np.random.default_rng(0)
    pixels = rng.uniform([0, 0], [79, 59], (300, 2))
    disparity = rng.uniform(0.5, 3.0, 300)
    step = 1e-4
    moved = []
    for d in (disparity, disparity + step):
        z = z_scale / d
        points = np.concatenate([(pixels - K[:2, 2]) / K[0, 0], np.ones((300, 1))], 1) * z[:, None]
        camera = points[None] - path.poses[:, None, :3, 3]
        moved.append(camera[..., :2] / camera[..., 2:] * K[0, 0] + K[:2, 2])
    true = np.linalg.norm(moved[1] - moved[0], axis=2).max(axis=0) / step
    bound = shift[pixels[:, 1].astype(int), pixels[:, 0].astype(int)]
    assert (true <= bound * 1.01).all()
    assert (true >= 0.5 * bound).mean() > 0.9  # a bound, not a loose one
    # Sideways motion alone moves a point f * |t| / z_scale pixels per unit disparity.
    assert shift.min() >= K[0, 0] * 0.015 * 0.99
