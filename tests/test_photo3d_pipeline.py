"""photo3d end to end: inputs, bad inputs, paths, renderers, files, viewer, CLI."""

from __future__ import annotations

import argparse
import math

import numpy as np
import pytest
import torch

from monocle.apps.photo3d import (
    TorchRenderer,
    camera_path,
    default_intrinsics,
    make_photo3d,
    render_path,
    write_photo3d,
)
from monocle.apps.photo3d.render_torch import bilinear
from monocle.depthmap import DepthMap


def box_photo(size=(48, 64)):
    """A red box at 1.5 m in front of a textured wall at 4 m; the box keeps its place in the
    frame at any size (rows 14-34 of 48, columns 20-44 of 64)."""
    height, width = size
    box = (slice(14 * height // 48, 34 * height // 48), slice(20 * width // 64, 44 * width // 64))
    depth = np.full(size, 4.0, np.float32)
    depth[box] = 1.5
    rows, cols = np.mgrid[0:height, 0:width]
    image = np.stack([(cols * 4) % 256, (rows * 5) % 256, np.full_like(rows, 90)], -1)
    image = image.astype(np.uint8)
    image[box] = [230, 20, 20]
    return image, depth


def red_centroid(rgb: np.ndarray) -> float:
    red = (rgb[..., 0] > 200) & (rgb[..., 1] < 60) & (rgb[..., 2] < 60)
    return float(np.nonzero(red)[1].mean())


def test_pipeline_renders_every_pixel_and_parallax_goes_the_right_way():
    image, depth = box_photo()
    photo = make_photo3d(image, depth, path="swing", frames=12, inpaint="classical")
    frames, name = render_path(photo, "torch")
    assert name == "torch" and len(frames) == 12
    assert all(f.covered.all() for f in frames)
    # Camera to the right (+x): the near box moves left on screen, the wall much less.
    right = np.eye(4)
    right[0, 3] = 0.1
    renderer = TorchRenderer(photo.mesh, photo.size)
    moved = renderer.render(right, photo.K)
    still = renderer.render(np.eye(4), photo.K)
    np.testing.assert_array_equal(still.rgb, image)
    shift = red_centroid(moved.rgb) - red_centroid(still.rgb)
    expected = -photo.K[0, 0] * 0.1 / 1.5  # f * t / z pixels
    assert shift == pytest.approx(expected, abs=0.6)


def test_relative_and_disparity_depth_give_the_same_layers():
    image, depth = box_photo()
    metric = make_photo3d(image, depth, frames=4, inpaint="classical")
    disparity = DepthMap(7.0 / depth + 2.0, kind="disparity")  # affine-invariant disparity
    relative = make_photo3d(image, disparity, frames=4, inpaint="classical")
    assert relative.layers.cuts.count() == metric.layers.cuts.count()
    assert relative.depth_source == "disparity depth map"


def test_bad_inputs_give_clear_errors_or_sensible_results():
    image, depth = box_photo()
    with pytest.raises(ValueError, match="48x64"):
        make_photo3d(image, np.ones((40, 40), np.float32))
    half = depth[::2, ::2]  # same aspect ratio: resized
    photo = make_photo3d(image, half, frames=4, inpaint="classical")
    assert photo.layers.cuts.count() > 0
    with pytest.raises(ValueError, match="at least 2x2"):
        make_photo3d(np.zeros((1, 1, 3), np.uint8), np.ones((1, 1), np.float32))
    with pytest.raises(ValueError, match="no valid pixel"):
        make_photo3d(image, np.zeros(depth.shape, np.float32))
    flat = make_photo3d(image, np.full(depth.shape, 2.0, np.float32), frames=6)
    assert flat.layers.cuts.count() == 0 and any("no discontinuity" in n for n in flat.notes)
    assert all(f.covered.all() for f in render_path(flat, "torch")[0])
    unmasked = make_photo3d(image, depth, frames=4, inpaint="classical")
    for mask in (np.zeros(depth.shape, bool), np.ones(depth.shape, bool)):
        masked = make_photo3d(image, depth, mask=mask, frames=4, inpaint="classical")
        assert masked.layers.cuts.count() == unmasked.layers.cuts.count()
        assert any("subject mask is all" in n for n in masked.notes)
    with pytest.raises(ValueError, match="unknown camera path"):
        make_photo3d(image, depth, path="spiral")
    with pytest.raises(ValueError, match="cannot load the depth model"):
        make_photo3d(image, None, model="no-such-model")


def test_a_callers_own_inpainter_fills_the_synthesis_region():
    image, depth = box_photo()
    calls = []

    def paint_green(rgb, hole, disparity, background):
        calls.append((rgb.shape, hole.shape, disparity.shape, background.shape))
        assert hole.dtype == bool and hole.any()
        return np.where(hole[..., None], np.uint8([0, 255, 0]), rgb)

    photo = make_photo3d(image, depth, frames=4, inpaint=paint_green)
    assert photo.inpainter == "paint_green" and len(calls) == 1
    layers = photo.layers
    assert calls[0] == (layers.image.shape, *(layers.shape,) * 3)
    region = layers.synthesis
    assert region.any()
    assert (layers.background_rgb[region] == [0, 255, 0]).all()
    np.testing.assert_array_equal(layers.background_rgb[~region], layers.image[~region])


def test_subject_mask_adds_a_cut_where_depth_has_none():
    image, _ = box_photo()
    mask = np.zeros(image.shape[:2], bool)
    mask[10:30, 10:30] = True
    depth = np.full(image.shape[:2], 2.0, np.float32)
    photo = make_photo3d(image, depth, mask=mask, frames=4, inpaint="classical")
    assert photo.layers.cuts.count() > 0


def test_paths_follow_methods_defaults():
    K = default_intrinsics((100, 200))
    circle = camera_path("circle", K, near_depth=2.0, frames=8)
    unit = 3 * 2.0
    np.testing.assert_allclose(circle.poses[0, :3, 3], [0.015 * unit, 0, -0.05 * unit], atol=1e-6)
    # t = -1.5: x = cos(-1.5 pi) = 0, y = sin(-1.5 pi) = 1, z = cos(-0.75 pi)
    np.testing.assert_allclose(
        circle.poses[1, :3, 3], [0, 0.015 * unit, -0.05 * unit / np.sqrt(2)], atol=1e-6
    )
    swing = camera_path("swing", K, near_depth=2.0, frames=8)
    assert np.abs(swing.poses[:, 1, 3]).max() == 0
    zoom = camera_path("zoom", K, near_depth=2.0, frames=8)
    assert zoom.poses[:, 2, 3].max() == pytest.approx(0.05 * unit) and zoom.poses[0, 2, 3] == 0
    # Dolly zoom: a point on the focus plane keeps its place on screen in every frame.
    dolly = camera_path("dolly", K, near_depth=2.0, focus_depth=5.0, frames=8)
    point = np.array([1.0, -0.5, 5.0])
    for pose, K_new in zip(dolly.poses, dolly.intrinsics, strict=True):
        p = point - pose[:3, 3]
        u = K_new[0, 0] * p[0] / p[2] + K_new[0, 2]
        assert u == pytest.approx(K[0, 0] * 0.2 + K[0, 2], rel=1e-5)
    assert dolly.intrinsics[:, 0, 0].max() > K[0, 0]


def test_torch_rasteriser_matches_a_plain_per_pixel_reference():
    from monocle.apps.photo3d.mesh import Mesh

    rng = np.random.default_rng(3)
    size = (12, 16)
    vertices = np.concatenate(
        [rng.uniform([-0.6, -0.5], [0.6, 0.5], (9, 2)), rng.uniform(1, 3, (9, 1))], 1
    ).astype(np.float32)
    faces = np.arange(9).reshape(3, 3)
    texture = rng.integers(0, 256, (4, 4, 3), dtype=np.uint8)
    uv = rng.uniform(0, 3, (9, 2)).astype(np.float32)
    K = default_intrinsics(size)
    mesh = Mesh(
        vertices,
        uv,
        faces,
        texture,
        np.zeros(9, np.uint8),
        np.zeros((9, 2), int),
        K,
        np.zeros(9, bool),
    )
    frame = TorchRenderer(mesh, size).render(np.eye(4), K)
    texture_t = torch.as_tensor(texture, dtype=torch.float32)
    screen = vertices[:, :2] / vertices[:, 2:] * K[0, 0] + K[[0, 1], [2, 2]]
    for v in range(size[0]):
        for u in range(size[1]):
            best, colour = math.inf, None
            for face in faces:
                a, b, c = screen[face]
                area = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
                w = [
                    ((q[0] - p[0]) * (v - p[1]) - (q[1] - p[1]) * (u - p[0])) / area
                    for p, q in ((b, c), (c, a), (a, b))
                ]
                if min(w) < 0:
                    continue
                inv_z = sum(wk / vertices[k, 2] for wk, k in zip(w, face, strict=True))
                if 1 / inv_z < best:
                    best = 1 / inv_z
                    weights = [wk / vertices[k, 2] / inv_z for wk, k in zip(w, face, strict=True)]
                    t = sum(wk * uv[k] for wk, k in zip(weights, face, strict=True))
                    sample = torch.as_tensor(t[None], dtype=torch.float32)
                    colour = bilinear(texture_t, sample)[0].round().numpy()
            assert frame.covered[v, u] == (colour is not None)
            if colour is not None:
                assert frame.depth[v, u] == pytest.approx(best, rel=1e-5)
                np.testing.assert_allclose(frame.rgb[v, u], colour, atol=1)


def egl_available() -> bool:
    try:
        import moderngl

        moderngl.create_standalone_context(backend="egl").release()
        return True
    except Exception:
        return False


@pytest.mark.skipif(not egl_available(), reason="no EGL OpenGL context on this machine")
def test_egl_renderer_agrees_with_torch_oracle():
    from monocle.apps.photo3d.render_gl import GLRenderer

    image, depth = box_photo()
    photo = make_photo3d(image, depth, frames=4, inpaint="classical")
    pose = np.eye(4)
    pose[:3, 3] = [0.043, -0.031, 0.07]  # off any pixel-aligned shift
    gl = GLRenderer(photo.mesh, photo.size)
    a = gl.render(pose, photo.K)
    gl.close()
    b = TorchRenderer(photo.mesh, photo.size).render(pose, photo.K)
    assert a.covered.all() and b.covered.all()
    mse = np.mean((a.rgb.astype(float) - b.rgb) ** 2)
    assert 10 * np.log10(255**2 / max(mse, 1e-9)) > 40
    np.testing.assert_allclose(a.depth, b.depth, rtol=1e-3)


def test_outputs_video_gif_meshes_and_viewer(tmp_path):
    import imageio_ffmpeg
    import trimesh
    from PIL import Image

    image, depth = box_photo()
    photo = make_photo3d(image, depth, path="circle", frames=6, fps=12, inpaint="classical")
    result = write_photo3d(photo, tmp_path, outputs=("mp4", "gif", "glb", "ply", "html"))
    assert result["uncovered_pixels"] == 0 and result["renderer"] in ("egl", "torch")
    reader = imageio_ffmpeg.read_frames(str(result["files"]["mp4"]))
    meta = next(reader)
    assert meta["size"] == (64, 48) and sum(1 for _ in reader) == 6
    gif = Image.open(result["files"]["gif"])
    assert gif.n_frames == 6
    glb = trimesh.load(result["files"]["glb"], force="mesh", process=False)
    assert len(glb.faces) == len(photo.mesh.faces)
    ply = trimesh.load(result["files"]["ply"], process=False)
    assert len(ply.vertices) == len(photo.mesh.vertices)
    page = result["files"]["html"].read_text()
    assert "<script src" not in page and "http" not in page.split("<script>")[1]
    assert '"faces":"' in page


def test_cli_writes_everything(tmp_path):
    from monocle.cli import photo3d as command
    from monocle.io import write_image

    image, depth = box_photo()
    write_image(tmp_path / "photo.png", image)
    DepthMap(depth, "metric").save(tmp_path / "depth.png")
    parser = argparse.ArgumentParser()
    command.register(parser.add_subparsers())
    args = parser.parse_args(
        [
            "photo3d",
            str(tmp_path / "photo.png"),
            "--depth",
            str(tmp_path / "depth.png"),
            "--path",
            "zoom",
            "--frames",
            "4",
            "--renderer",
            "torch",
            "--out",
            str(tmp_path / "o"),
        ]
    )
    assert args.run(args) == 0
    names = sorted(p.name for p in (tmp_path / "o").iterdir())
    assert names == ["photo3d.glb", "photo3d.html", "photo3d_zoom.gif", "photo3d_zoom.mp4"]
