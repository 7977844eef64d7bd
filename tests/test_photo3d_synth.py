"""photo3d on the synth engine's scenes: exact depth, instance ids as an independent oracle."""

from __future__ import annotations

import numpy as np
import pytest

from monocle.apps.photo3d import DEPTH_THRESHOLD, make_photo3d, render_path
from monocle.apps.photo3d.edges import OFFSETS
from monocle.depthmap import DepthMap
from photo3d_checks import edge_pairs, joined_pairs, layer_faces

SIZE = (144, 192)
FACING = 0.3  # both surfaces face the camera (|cos| > 0.3): no grazing surface joins them
CLEAR = 2.0  # a jump of twice the threshold: clear of the slope allowance of the cut test


@pytest.fixture(scope="module", params=[("portrait", 1), ("indoor", 0)], ids=lambda p: p[0])
def scene(request):
    from monocle.synth import render, sample_scene

    preset, seed = request.param
    return render(sample_scene(preset, seed), size=SIZE, sensor=False, background=False)


def spanning_triangles(photo, scene) -> int:
    """Neighbouring pixels joined inside one visible-layer triangle (its whole footprint, so
    merged triangles count everywhere) or along a visible-layer edge of a seam's triangle,
    that lie on different objects whose
    normalised disparities (3 z_min / z, methods.md §2) differ by more than CLEAR times
    DEPTH_THRESHOLD, by the engine's instance ids, exact depth and normals (not by the
    pipeline's cuts). At a grazing angle a surface itself makes such jumps between
    neighbouring pixels, so only pixels whose surfaces face the camera count."""
    mesh, margin = photo.mesh, photo.layers.margin
    depth = np.where(scene["valid"], scene["depth"], np.inf)
    disparity = 3.0 * scene["depth"][scene["valid"]].min() / depth
    rows, cols = np.mgrid[0 : SIZE[0], 0 : SIZE[1]]
    K = scene["K"]
    rays = np.stack([(cols - K[0, 2]) / K[0, 0], (rows - K[1, 2]) / K[1, 1], np.ones(SIZE)], -1)
    rays /= np.linalg.norm(rays, axis=-1, keepdims=True)
    facing = np.abs((rays * scene["normals"]).sum(-1)) > FACING
    count = 0
    inside, along = joined_pairs(mesh, layer_faces(mesh, 0)), edge_pairs(mesh, 0)
    for name in OFFSETS:
        rows, cols = (np.r_[inside[name][i], along[name][i]] for i in (0, 1))
        pa = np.stack([rows, cols], axis=1) - margin
        pb = pa + OFFSETS[name]
        keep = (pa >= 0).all(1) & (pb >= 0).all(1) & (pa < SIZE).all(1) & (pb < SIZE).all(1)
        pa, pb = pa[keep], pb[keep]
        da, db = disparity[pa[:, 0], pa[:, 1]], disparity[pb[:, 0], pb[:, 1]]
        other = scene["instance"][pa[:, 0], pa[:, 1]] != scene["instance"][pb[:, 0], pb[:, 1]]
        other &= facing[pa[:, 0], pa[:, 1]] & facing[pb[:, 0], pb[:, 1]]
        count += int((other & (np.abs(da - db) > CLEAR * DEPTH_THRESHOLD)).sum())
    return count


def test_no_triangle_spans_a_true_depth_edge(scene):
    depth = DepthMap(scene["depth"], "metric", valid=scene["valid"])
    layered = make_photo3d(scene["rgb"], depth, K=scene["K"], frames=8, inpaint="classical")
    naive = make_photo3d(scene["rgb"], depth, K=scene["K"], frames=8, layered=False)
    assert spanning_triangles(naive, scene) > 50  # the oracle sees rubber sheets
    assert spanning_triangles(layered, scene) == 0


def test_every_frame_of_every_path_is_covered(scene):
    depth = DepthMap(scene["depth"], "metric", valid=scene["valid"])
    for path in ("circle", "dolly"):
        photo = make_photo3d(scene["rgb"], depth, K=scene["K"], path=path, frames=6)
        frames, _ = render_path(photo, "auto")  # EGL where present; coverage is exact in both
        assert sum(int((~f.covered).sum()) for f in frames) == 0
