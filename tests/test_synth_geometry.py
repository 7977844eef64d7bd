"""Geometry of the scene engine: rendered depth, normals, background and stereo against analytic
surfaces and a brute-force reference."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
import torch

from monocle.synth import Camera, Light, Material, Scene, render, render_sample, sample_scene
from monocle.synth.culling import camera_binning, point_binning, sun_binning
from monocle.synth.primitives import INTERSECT
from monocle.synth.raycast import Binning, any_hits, decode_keys, nearest_hits, pack
from monocle.synth.scene import KINDS

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def back_project(depth: np.ndarray, K: np.ndarray, pose: np.ndarray) -> np.ndarray:
    """(H,W) planar depth -> (H,W,3) world points, with pixel centres at integer (u, v)."""
    height, width = depth.shape
    v, u = np.mgrid[0:height, 0:width].astype(np.float64)
    x = (u - K[0, 2]) / K[0, 0] * depth
    y = (v - K[1, 2]) / K[1, 1] * depth
    points = np.stack([x, y, depth], axis=-1)
    return points @ pose[:3, :3].T.astype(np.float64) + pose[:3, 3]


def plain_scene() -> tuple[Scene, int]:
    scene = Scene(light=Light("sun", (0.36, 0.8, -0.48), (3.0, 3.0, 3.0)))
    return scene, scene.add_material(Material("checker", scale=2.0))


def test_sphere_back_projects_onto_its_surface():
    scene, material = plain_scene()
    centre, radius = np.array([0.4, 1.3, 6.0]), 0.8
    sphere = scene.new_instance()
    scene.add_sphere(centre, radius, material, instance=sphere)
    camera = Camera.look_at(
        (-0.5, 1.6, 0.2), centre + np.array([0.3, -0.2, 0.0]), 60.0, roll_deg=12.0
    )
    out = render(scene, camera, (60, 80), sensor=False)
    on_sphere = out["instance"] == sphere
    assert on_sphere.sum() > 200
    points = back_project(out["depth"], out["K"], out["pose"])[on_sphere]
    distance = np.linalg.norm(centre - camera.pose[:3, 3])
    error = np.abs(np.linalg.norm(points - centre, axis=1) - radius) / distance
    assert error.max() < 1e-3
    assert out["valid"][on_sphere].all() and not out["valid"][~on_sphere].any()


def test_floor_back_projects_to_its_height_and_sky_is_invalid():
    scene, material = plain_scene()
    height = -0.7
    scene.add_quad((0, height, 0), (1, 0, 0), (0, 0, 1), 100, 100, material, "floor")
    scene.max_depth = 30.0
    camera = Camera.look_at((1.0, height + 1.5, 0.0), (1.5, height, 5.0), 90.0, roll_deg=-8.0)
    out = render(scene, camera, (48, 64), sensor=False)
    points = back_project(out["depth"], out["K"], out["pose"])[out["valid"]]
    assert out["valid"].mean() > 0.3
    np.testing.assert_allclose(points[:, 1], height, atol=1e-4 * 30)
    assert out["depth"].max() <= 30.0
    # Beyond the cap and above the horizon: invalid, depth 0, normals 0.
    assert (out["depth"][~out["valid"]] == 0).all()
    assert (out["normals"][~out["valid"]] == 0).all()
    assert (out["semantic"][0] == 0).all()  # the top row looks at the sky


def _face_normals_from_depth(depth, K):
    height, width = depth.shape
    v, u = np.mgrid[0:height, 0:width].astype(np.float64)
    points = np.stack([(u - K[0, 2]) / K[0, 0] * depth, (v - K[1, 2]) / K[1, 1] * depth, depth], -1)
    du = points[1:-1, 2:] - points[1:-1, :-2]
    dv = points[2:, 1:-1] - points[:-2, 1:-1]
    normal = np.cross(du, dv)
    return normal / np.linalg.norm(normal, axis=-1, keepdims=True).clip(1e-12)


def test_rendered_normals_agree_with_normals_from_depth_on_planes():
    scene, material = plain_scene()
    scene.add_quad((0, 0, 0), (1, 0, 0), (0, 0, 1), 50, 50, material, "floor")
    scene.add_quad((0, 1.5, 9), (np.cos(0.4), 0, np.sin(0.4)), (0, 1, 0), 6, 3, material, "wall")
    scene.add_box(
        (0.8, 0.6, 4.0), (0.5, 0.6, 0.7), material, instance=scene.new_instance(), yaw=0.7
    )
    camera = Camera.look_at((0.0, 1.7, 0.0), (0.5, 0.6, 5.0), 70.0, roll_deg=5.0)
    out = render(scene, camera, (72, 96), sensor=False)
    from_depth = _face_normals_from_depth(out["depth"], out["K"])
    rendered = out["normals"]
    # Planar interior pixels: valid, and all four neighbours carry the same rendered normal.
    centre = rendered[1:-1, 1:-1]
    same = out["valid"][1:-1, 1:-1].copy()
    for neighbour in (
        rendered[:-2, 1:-1],
        rendered[2:, 1:-1],
        rendered[1:-1, :-2],
        rendered[1:-1, 2:],
    ):
        same &= np.abs(neighbour - centre).max(axis=-1) < 1e-5
    assert same.sum() > 2000
    cosine = np.abs((from_depth[same] * centre[same]).sum(-1)).clip(0, 1)
    assert np.degrees(np.arccos(cosine)).mean() < 0.5
    # Normals face the camera: negative dot with the viewing ray (camera z forward).
    assert (centre[same][:, 2] < 0).mean() > 0.99
    np.testing.assert_allclose(np.linalg.norm(centre[same], axis=-1), 1.0, atol=1e-5)


def test_background_layer_equals_full_render_where_nothing_was_removed():
    scene = sample_scene("portrait", 3)
    foreground = {inst for inst, fg in zip(scene.instance, scene.foreground, strict=True) if fg}
    out = render(scene, size=(48, 64), sensor=False)
    removed = np.isin(out["instance"], list(foreground))
    assert removed.mean() > 0.05 and (~removed).mean() > 0.05
    keep = ~removed
    np.testing.assert_array_equal(out["background_depth"][keep], out["depth"][keep])
    np.testing.assert_array_equal(out["background_rgb"][keep], out["rgb"][keep])
    # Behind a removed object the background is farther (or sky), never nearer.
    covered = removed & out["background_valid"]
    assert (out["background_depth"][covered] >= out["depth"][covered]).all()
    alone = render(scene.without_foreground(), size=(48, 64), sensor=False, background=False)
    np.testing.assert_array_equal(alone["depth"], out["background_depth"])


def _warp_agreement(left_depth, left_valid, right_depth, right_valid, focal, baseline, sign):
    """Fraction of left pixels whose depth reappears in the right view at u - sign*f*B/z."""
    width = left_depth.shape[1]
    v, u = np.nonzero(left_valid)
    z = left_depth[v, u]
    target = u - sign * focal * baseline / z
    lo = np.floor(target).astype(int)
    inside = (lo >= 0) & (lo + 1 < width)
    v, lo, z, frac = v[inside], lo[inside], z[inside], (target - np.floor(target))[inside]
    both = right_valid[v, lo] & right_valid[v, lo + 1]
    warped = (1 - frac) * right_depth[v, lo] + frac * right_depth[v, lo + 1]
    return (np.abs(warped - z) < 0.01 * z)[both].mean()


def test_stereo_disparity_is_focal_times_baseline_over_depth():
    scene, material = plain_scene()
    scene.add_quad((0, 0, 0), (1, 0, 0), (0, 0, 1), 50, 50, material, "floor")
    scene.add_quad((0, 1.5, 5), (np.cos(0.9), 0, np.sin(0.9)), (0, 1, 0), 8, 3, material, "wall")
    left = Camera.look_at((0.0, 1.5, 0.0), (0.0, 1.2, 5.0), 70.0)
    baseline = 0.3
    right_camera = left.shifted((baseline, 0.0, 0.0))
    size = (48, 64)
    a = render(scene, left, size, sensor=False, background=False)
    b = render(scene, right_camera, size, sensor=False, background=False)
    focal = float(a["K"][0, 0])
    assert (
        _warp_agreement(a["depth"], a["valid"], b["depth"], b["valid"], focal, baseline, 1) > 0.98
    )
    assert (
        _warp_agreement(a["depth"], a["valid"], b["depth"], b["valid"], focal, baseline, -1) < 0.5
    )
    sample = render_sample("stereo", 4, size)
    agree = _warp_agreement(
        sample["depth"],
        sample["valid"],
        sample["right_depth"],
        sample["right_valid"],
        float(sample["K"][0, 0]),
        float(sample["baseline"]),
        1,
    )
    assert agree > 0.85


def random_scene(rng: np.random.Generator) -> Scene:
    scene, material = plain_scene()
    scene.add_quad((0, 0, 0), (1, 0, 0), (0, 0, 1), 30, 30, material, "floor", casts_shadow=False)
    for _ in range(25):  # some cross the camera plane or sit behind it
        centre = rng.uniform([-4, 0, -2], [4, 3, 12])
        kind = KINDS[int(rng.integers(1, 5))]
        inst = scene.new_instance()
        if kind == "box":
            scene.add_box(
                centre, rng.uniform(0.1, 1.0, 3), material, instance=inst, yaw=rng.uniform(0, 6)
            )
        elif kind == "sphere":
            scene.add_sphere(centre, rng.uniform(0.1, 1.0), material, instance=inst)
        else:
            end = centre + rng.normal(0, 1.5, 3)
            add = scene.add_capsule if kind == "capsule" else scene.add_cylinder
            add(centre, end, rng.uniform(0.02, 0.4), material, instance=inst)
    return scene


def brute_force_nearest(packed, o, d):
    """The slow reference: every ray against every primitive."""
    best = torch.full((o.shape[0],), float("inf"))
    best_prim = torch.full((o.shape[0],), -1, dtype=torch.int64)
    for prim in range(len(packed)):
        fn = INTERSECT[int(packed.kind[prim])]
        n = o.shape[0]
        t = fn(
            o,
            d,
            packed.origin[prim].expand(n, 3),
            packed.frame[prim].expand(n, 3, 3),
            packed.size[prim].expand(n, 3),
        )
        closer = t < best
        best = torch.where(closer, t, best)
        best_prim = torch.where(closer, prim, best_prim)
    return best, best_prim


@pytest.mark.parametrize("seed", [0, 1])
def test_culled_casting_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    scene = random_scene(rng)
    camera = Camera.look_at((0.3, 1.4, 0.0), (0.0, 1.0, 5.0), 95.0, roll_deg=20.0)
    size = (40, 56)
    from monocle.synth.camera import camera_rays

    packed = pack(scene, torch.device("cpu"))
    o, d, _ = camera_rays(
        camera, camera.intrinsics(size), (0, size[0]), size[1], torch.device("cpu")
    )
    binning = camera_binning(packed, camera.pose, camera.intrinsics(size), size, tile=8)
    hit, t, prim = decode_keys(nearest_hits(packed, o, d, binning, [packed.kind >= 0])[0])
    ref_t, ref_prim = brute_force_nearest(packed, o, d)
    assert torch.equal(prim, ref_prim)
    assert torch.equal(t[hit], ref_t[hit]) and not torch.isfinite(ref_t[~hit]).any()
    # Shadow rays: sun and point-light binning against an everything-in-one-cell reference.
    points = o[hit] + t[hit, None] * d[hit] + 1e-3 * torch.randn(int(hit.sum()), 3)
    casters = torch.nonzero(packed.casts_shadow).squeeze(1)
    one_cell = Binning(
        ray_cell=torch.zeros(points.shape[0], dtype=torch.int64),
        rects=torch.stack([casters, *(torch.zeros_like(casters),) * 5], dim=1),
        n_cells=1,
        grid_u=1,
    )
    to_sun = np.array([0.3, 0.8, 0.5]) / np.linalg.norm([0.3, 0.8, 0.5])
    sun_dir = torch.as_tensor(to_sun, dtype=torch.float32).expand_as(points)
    unlimited = torch.full((points.shape[0],), float("inf"))
    blocked = any_hits(packed, points, sun_dir, unlimited, sun_binning(packed, points, to_sun))
    assert torch.equal(blocked, any_hits(packed, points, sun_dir, unlimited, one_cell))
    assert 0.05 < blocked.float().mean() < 0.95
    lamp = np.array([0.5, 2.5, 4.0])
    offset = torch.as_tensor(lamp, dtype=torch.float32) - points
    distance = offset.norm(dim=1)
    towards = offset / distance[:, None]
    blocked = any_hits(packed, points, towards, distance, point_binning(packed, points, lamp))
    assert torch.equal(blocked, any_hits(packed, points, towards, distance, one_cell))


def _pairs(n, values):
    return torch.tensor([values] * n, dtype=torch.float32)


def test_primitive_intersections_golden_values():
    from monocle.synth.primitives import (
        intersect_box,
        intersect_capsule,
        intersect_cylinder,
        intersect_quad,
        intersect_sphere,
    )

    o = torch.tensor([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [3.0, 0.0, 0.0]])
    d = torch.tensor([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    eye = torch.eye(3).expand(3, 3, 3)
    # Sphere r=1 at z=5: hit at 4; the sideways ray misses; an offset ray misses.
    t = intersect_sphere(o, d, _pairs(3, [0, 0, 5]), eye, _pairs(3, [1, 0, 0]))
    assert t[0] == pytest.approx(4.0) and torch.isinf(t[1:]).all()
    # Box half 1 at z=5: front face at 4.
    t = intersect_box(o, d, _pairs(3, [0, 0, 5]), eye, _pairs(3, [1, 1, 1]))
    assert t[0] == pytest.approx(4.0) and torch.isinf(t[1:]).all()
    # Quad (frame = x, y, normal z) at z=2, half 1 x 1: hit at 2; x=3 is outside.
    t = intersect_quad(o, d, _pairs(3, [0, 0, 2]), eye, _pairs(3, [1, 1, 0]))
    assert t[0] == pytest.approx(2.0) and torch.isinf(t[1:]).all()
    # Segment from z=5 to z=7 along z (frame[:, :, 2] = z), radius 0.5, seen end-on.
    cylinder = intersect_cylinder(o, d, _pairs(3, [0, 0, 5]), eye, _pairs(3, [0.5, 2, 0]))
    capsule = intersect_capsule(o, d, _pairs(3, [0, 0, 5]), eye, _pairs(3, [0.5, 2, 0]))
    assert cylinder[0] == pytest.approx(5.0) and capsule[0] == pytest.approx(4.5)
    # Seen from the side: a ray along y from (0, -3, 6) hits the body at y = -0.5.
    side_o, side_d = torch.tensor([[0.0, -3.0, 6.0]]), torch.tensor([[0.0, 1.0, 0.0]])
    args = (_pairs(1, [0, 0, 5]), torch.eye(3)[None], _pairs(1, [0.5, 2, 0]))
    assert intersect_cylinder(side_o, side_d, *args)[0] == pytest.approx(2.5)
    assert intersect_capsule(side_o, side_d, *args)[0] == pytest.approx(2.5)


def test_rendering_in_bands_changes_nothing(monkeypatch):
    render_module = importlib.import_module("monocle.synth.render")  # the package exports render()
    scene = sample_scene("outdoor", 2)
    whole = render(scene, size=(30, 40))
    monkeypatch.setattr(render_module, "BAND_PIXELS", 7 * 40)  # bands of 7 rows, last one short
    banded = render(scene, size=(30, 40))
    for key in ("rgb", "depth", "normals", "instance", "background_rgb", "background_depth"):
        assert np.array_equal(whole[key], banded[key]), key


def test_empty_scene_is_all_sky_and_bad_primitives_are_refused():
    out = render(Scene(), Camera.look_at((0, 1, 0), (0, 1, 1), 60.0), (8, 10))
    assert not out["valid"].any() and (out["semantic"] == 0).all() and (out["instance"] == 0).all()
    scene, material = plain_scene()
    with pytest.raises(ValueError, match="unknown semantic class"):
        scene.add_sphere((0, 0, 0), 1.0, material, "cloud")
    with pytest.raises(ValueError, match="add it with add_material"):
        scene.add_sphere((0, 0, 0), 1.0, material + 1)
    with pytest.raises(ValueError, match="ends coincide"):
        scene.add_capsule((0, 0, 0), (0, 0, 0), 0.1, material)
    with pytest.raises(ValueError, match="no camera"):
        render(scene)
