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
from monocle.apps.photo3d.edges import OFFSETS, Cuts, step_excess
from monocle.apps.photo3d.layers import synthesis_region


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
    for simplify in (False, True):
        mesh = build_mesh(layers, simplify=simplify)
        height, width = layers.shape
        spans = 0
        for a, b in ((0, 1), (1, 2), (0, 2)):
            va, vb = mesh.faces[:, a], mesh.faces[:, b]
            both_visible = (mesh.layer[va] == 0) & (mesh.layer[vb] == 0)
            pa, pb = mesh.pixel[va], mesh.pixel[vb]
            delta = pb - pa
            for name, (dy, dx) in OFFSETS.items():
                for sign in (1, -1):
                    hit = both_visible & (delta[:, 0] == sign * dy) & (delta[:, 1] == sign * dx)
                    first = pa[hit] if sign == 1 else pb[hit]
                    spans += int(layers.cuts.pairs[name][first[:, 0], first[:, 1]].sum())
        assert spans == 0
        assert layers.cuts.count() > 0
        # Every visible pixel of the layered grid is a vertex of the mesh (nothing dropped).
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


def test_simplify_merges_a_plane_without_changing_the_picture():
    from monocle.apps.photo3d import TorchRenderer

    rows, cols = np.mgrid[0:65, 0:65].astype(np.float32)
    depth = 1.0 / (0.3 + 0.004 * cols + 0.002 * rows)  # a tilted plane
    image = np.stack([(cols * 9) % 256, (rows * 5) % 256, np.full_like(rows, 80)], -1)
    image = image.astype(np.uint8)
    K = default_intrinsics(depth.shape)
    layers = build_layers(image, depth, K, radius=0, margin=0)
    full = build_mesh(layers, simplify=False, backstop=False)
    merged = build_mesh(layers, simplify=True, backstop=False)
    assert len(full.faces) == 2 * 64 * 64
    assert len(merged.faces) <= 4 * 16  # sixteen 16x16 blocks, four triangles each
    pose = np.eye(4)
    pose[:3, 3] = [0.05, -0.03, 0.1]
    a = TorchRenderer(full, depth.shape).render(pose, K)
    b = TorchRenderer(merged, depth.shape).render(pose, K)
    assert (a.covered == b.covered).all()
    diff = np.abs(a.rgb.astype(int) - b.rgb.astype(int))[a.covered]
    assert diff.max() <= 2
