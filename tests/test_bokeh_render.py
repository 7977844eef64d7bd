"""The bokeh renderer on scenes with exact depth: focus, blur size, occlusion, energy, errors."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
from kornia.color import linear_rgb_to_rgb, rgb_to_linear_rgb
from scipy import ndimage

from monocle import DepthMap
from monocle.apps.bokeh import (
    aperture_kernel,
    blur_radius_map,
    gaussian_depth_slices,
    render,
    render_linear,
)
from monocle.apps.bokeh.layers import fft_convolve

RED, GREEN = np.array([200, 30, 40], np.uint8), np.array([40, 190, 60], np.uint8)


def square_scene(fg_depth: float = 2.0, bg_depth: float = 8.0):
    """A red square (rows 32..63, cols 48..79) in front of a green plane, 96x128."""
    rgb = np.empty((96, 128, 3), np.uint8)
    rgb[:] = GREEN
    rgb[32:64, 48:80] = RED
    depth = np.full((96, 128), bg_depth, np.float32)
    depth[32:64, 48:80] = fg_depth
    square = np.zeros((96, 128), bool)
    square[32:64, 48:80] = True
    return rgb, depth, square


def to_linear(rgb: np.ndarray) -> np.ndarray:
    return rgb_to_linear_rgb(torch.from_numpy(rgb).permute(2, 0, 1).float() / 255).numpy()


def share_of(out: np.ndarray, start: np.ndarray, end: np.ndarray, where: np.ndarray) -> float:
    """Mean position of ``out``'s linear colour on the line from ``start`` to ``end`` (0..1)."""
    a, b = to_linear(start[None, None])[:, 0, 0], to_linear(end[None, None])[:, 0, 0]
    lin = to_linear(out)[:, where]
    return float(((lin - a[:, None]).T @ (b - a)).mean() / ((b - a) @ (b - a)))


def baseline(rgb: np.ndarray, radius: np.ndarray, mode: str) -> np.ndarray:
    linear = torch.from_numpy(to_linear(rgb))
    out = gaussian_depth_slices(linear, torch.from_numpy(radius), mode)
    srgb = linear_rgb_to_rgb(out.clamp(0, 1))
    return (srgb * 255).round().byte().permute(1, 2, 0).numpy()


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return math.inf if mse == 0 else 10 * math.log10(255**2 / mse)


def test_in_focus_plane_is_unchanged_on_a_synthetic_portrait():
    from monocle.synth import CLASSES, render_sample

    sample = render_sample("portrait", 0, (96, 128))
    person = (sample["semantic"] == CLASSES["person"]) & sample["valid"]
    rows, cols = np.nonzero(ndimage.binary_erosion(person, iterations=3))
    focus = (int(cols[len(cols) // 2]), int(rows[len(rows) // 2]))
    depth = DepthMap(sample["depth"], kind="metric", valid=sample["valid"])
    out = render(sample["rgb"], depth, focus, strength=10.0, max_radius=10.0)
    radius = blur_radius_map(depth, focus, image_width=128, strength=10.0)
    reach = math.ceil(np.abs(radius).max()) + 1
    in_front = ndimage.binary_dilation(radius <= -0.5, iterations=reach)
    sharp = (np.abs(radius) < 0.5) & ~in_front
    assert sharp.mean() > 0.05 and (np.abs(radius) > 3).mean() > 0.3
    assert psnr(out[sharp], sample["rgb"][sharp]) >= 45
    assert psnr(out, sample["rgb"]) < 35  # and the rest really is blurred


@pytest.mark.parametrize(("sensor_width", "fnumber"), [(3.2, 2.0), (1.6, 1.0)])
def test_blur_diameter_of_a_small_light_matches_the_circle_of_confusion(sensor_width, fnumber):
    # A one-pixel light at 4 m on a black plane at 10 m, 50 mm lens focused at 2 m. By hand:
    # c = (f / N) f (z - zf) / (z (zf - f)) on the sensor, radius in px = c / 2 * W / sensor.
    f, z, zf, width = 0.05, 4.0, 2.0, 128
    c = (f / fnumber) * f * (z - zf) / (z * (zf - f))
    expected = c * 1000 * width / sensor_width  # diameter in pixels: 12.8 and 51.3
    depth = np.full((96, width), 10.0, np.float32)
    depth[48, 64] = z
    radius = blur_radius_map(depth, zf, image_width=width, fnumber=fnumber,
                             sensor_width=sensor_width)  # fmt: skip
    linear = torch.zeros(3, 96, width)
    linear[:, 48, 64] = 1.0
    spot = render_linear(linear, torch.from_numpy(radius))[0].numpy()
    plateau = np.median(spot[46:51, 62:67])
    across, down = spot[48].sum() / plateau, spot[:, 64].sum() / plateau
    assert abs(across - expected) <= 1.0 and abs(down - expected) <= 1.0
    assert spot.sum() == pytest.approx(1.0, abs=0.01)  # the light's energy is kept


def test_sharp_foreground_keeps_its_colour_where_naive_blur_bleeds():
    rgb, depth, square = square_scene()
    out = render(rgb, depth, 2.0, strength=10.0, max_radius=10.0)
    radius = blur_radius_map(depth, 2.0, image_width=128, strength=10.0)
    inner_edge = square & ~ndimage.binary_erosion(square, iterations=2)
    outer_edge = ndimage.binary_dilation(square, iterations=2) & ~square
    # Background colour leaking into the subject's edge pixels, and subject colour into the
    # background next to it (halo), as a share of the way from the true colour to the other.
    leak = share_of(out, RED, GREEN, inner_edge)
    halo = share_of(out, GREEN, RED, outer_edge)
    scatter_leak = share_of(baseline(rgb, radius, "scatter"), RED, GREEN, inner_edge)
    gather_halo = share_of(baseline(rgb, radius, "gather"), GREEN, RED, outer_edge)
    assert abs(leak) < 0.005 and abs(halo) < 0.005
    assert scatter_leak > 0.2 and gather_halo > 0.2
    assert np.array_equal(out[square], rgb[square])
    assert psnr(out[~square], rgb[~square]) == math.inf  # flat background stays flat


def test_blurred_foreground_covers_the_sharp_background_and_sees_through_its_edge():
    rgb, depth, square = square_scene()
    out = render(rgb, depth, 8.0, strength=10.0, max_radius=10.0)  # focus on the background
    outside = np.zeros_like(square)
    outside[40:56, 82] = True  # pixel centres 2.5 px right of the square's right edge
    inside = np.zeros_like(square)
    inside[40:56, 77] = True  # and 2.5 px inside it
    # A disc of radius 10 whose centre is 2.5 px from a straight edge has a share
    # (100 acos(0.25) - 2.5 sqrt(100 - 2.5^2)) / (100 pi) = 0.3425 of its area across it.
    assert share_of(out, GREEN, RED, outside) == pytest.approx(0.3425, abs=0.03)
    assert share_of(out, RED, GREEN, inside) == pytest.approx(0.3425, abs=0.03)
    far = ndimage.distance_transform_edt(~square) > 11
    assert np.array_equal(out[far], rgb[far])


@pytest.mark.parametrize("radius", [6.0, 20.0])
def test_one_depth_is_a_plain_aperture_blur_and_keeps_energy(radius):
    generator = torch.Generator().manual_seed(0)
    linear = torch.rand(3, 96, 128, generator=generator)
    out = render_linear(linear, torch.full((96, 128), radius))
    kernel = aperture_kernel(radius)
    reach = kernel.shape[0] // 2
    padded = torch.nn.functional.pad(linear[None], (reach,) * 4, mode="replicate")[0]
    expected = fft_convolve(padded, kernel)[:, reach:-reach, reach:-reach]
    error = (out - expected).abs()
    assert float(out.mean()) == pytest.approx(float(linear.mean()), rel=0.005)
    assert float(error.max()) < (1e-4 if radius < 16 else 0.05)  # 20 px runs at half size


def test_subject_mask_stays_sharp_and_polygon_cat_eye_options_run():
    rgb, depth, square = square_scene(fg_depth=8.0, bg_depth=2.0)  # the square is far
    noisy = np.clip(rgb + np.random.default_rng(0).integers(0, 40, rgb.shape), 0, 255)
    noisy = noisy.astype(np.uint8)
    out = render(noisy, depth, 2.0, strength=10.0, subject_mask=square)
    assert np.array_equal(out[square], noisy[square])
    hexagon = render(noisy, depth, 2.0, strength=10.0, aperture="hexagon", cat_eye=1.0)
    assert psnr(hexagon[square], noisy[square]) < 30


def test_cat_eye_squeezes_bokeh_radially_near_the_corner():
    linear = torch.zeros(3, 96, 128)
    linear[:, 12, 16] = 1.0
    spot = render_linear(linear, torch.full((96, 128), 6.4), cat_eye=1.0)[0].numpy()
    rows, cols = np.nonzero(spot > 1e-4)
    weights = spot[rows, cols]
    offsets = np.stack([rows - 12, cols - 16], 1).astype(float)
    radial = np.array([-36.0, -48.0]) / 60.0  # from the image centre to the corner zone's
    tangential = np.array([radial[1], -radial[0]])
    spread = [float(np.sqrt((weights * (offsets @ d) ** 2).sum() / weights.sum()))
              for d in (radial, tangential)]  # fmt: skip
    assert spread[0] < 0.8 * spread[1]


def test_bad_input_is_a_clear_error():
    rgb, depth, _ = square_scene()
    with pytest.raises(ValueError, match="different aspect ratio"):
        render(rgb, depth[:, :64], 2.0, fnumber=2.0)
    with pytest.raises(ValueError, match="outside the 128x96 image"):
        render(rgb, depth, (128, 10), fnumber=2.0)
    with pytest.raises(ValueError, match="fnumber must be a positive"):
        render(rgb, depth, (10, 10), fnumber=0.0)
    with pytest.raises(ValueError, match="aperture 'star' is unknown"):
        render(rgb, depth, (10, 10), fnumber=2.0, aperture="star")
    with pytest.raises(ValueError, match="subject_mask is"):
        render(rgb, depth, (10, 10), fnumber=2.0, subject_mask=np.ones((3, 3), bool))
    with pytest.raises(ValueError, match="cat_eye must be between 0 and 1"):
        render(rgb, depth, (10, 10), fnumber=2.0, cat_eye=2.0)
    with pytest.raises(ValueError, match="highlight_gain must be >= 1"):
        render(rgb, depth, (10, 10), fnumber=2.0, highlight_gain=0.5)
    with pytest.raises(ValueError, match="highlight_threshold must be in"):
        render(rgb, depth, (10, 10), fnumber=2.0, highlight_threshold=1.0)


def test_depth_of_another_size_is_resized_with_a_warning():
    rgb, depth, _ = square_scene()
    half = depth[::2, ::2]
    with pytest.warns(UserWarning, match="depth is 64x48 but the image is 128x96; resizing"):
        out = render(rgb, half, 2.0, strength=10.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.array_equal(out, render(rgb, depth, 2.0, strength=10.0))


def test_clipped_highlights_bloom_only_where_blurred():
    rgb = np.full((64, 64, 3), 0, np.uint8)
    rgb[10:13, 10:13] = 255  # a clipped light far behind focus
    rgb[40:43, 40:43] = 255  # and one in focus
    depth = np.full((64, 64), 2.0, np.float32)
    depth[:32, :32] = 8.0
    energy = {}
    for gain in (1.0, 4.0):
        out = render(rgb, depth, 2.0, strength=6.0, highlight_gain=gain)
        energy[gain] = to_linear(out)[:, :32, :32].sum()
        assert np.array_equal(out[32:], rgb[32:])  # the in-focus light is untouched
    assert energy[4.0] / energy[1.0] == pytest.approx(4.0, rel=0.05)
