"""Circle-of-confusion models: golden values worked out by hand, focus lookup, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from monocle import DepthMap
from monocle.apps.bokeh import blur_radius_map, disparity_radius, focus_disparity, thin_lens_radius


def test_thin_lens_radius_golden():
    # 50 mm f/2 focused at 2 m, a point at 4 m: A = 25 mm, c = A f (z - zf) / (z (zf - f))
    # = 0.025 * 0.05 * 2 / (4 * 1.95) m = 0.32051 mm; 36 mm over 3600 px is 100 px/mm, so the
    # diameter is 32.051 px and the radius 16.026 px. At 1 m (in front): c = 0.025 * 0.05 * 1 /
    # (1 * 1.95) = 0.64103 mm -> radius 32.051 px, negative.
    disparity = np.array([[1 / 4, 1 / 2, 1.0]], dtype=np.float32)
    radius = thin_lens_radius(disparity, 1 / 2, fnumber=2.0, focal_length=50.0,
                              sensor_width=36.0, image_width=3600)  # fmt: skip
    np.testing.assert_allclose(radius, [[16.026, 0.0, -32.051]], atol=2e-3)


def test_thin_lens_radius_scales_with_aperture_and_image_width():
    disparity = np.array([[0.1]], dtype=np.float32)
    base = thin_lens_radius(disparity, 0.5, fnumber=4.0, focal_length=85.0, sensor_width=36.0,
                            image_width=1000)  # fmt: skip
    wide = thin_lens_radius(disparity, 0.5, fnumber=2.0, focal_length=85.0, sensor_width=36.0,
                            image_width=2000)  # fmt: skip
    np.testing.assert_allclose(wide, 4 * base, rtol=1e-5)


def test_disparity_radius_golden():
    # Disparities 0.25, 0.5, 1 normalise to 0, 1/3, 1; focus at 1/3, strength 30 px:
    # 30 * (1/3 - [0, 1/3, 1]) = [10, 0, -20].
    disparity = np.array([[0.25, 0.5, 1.0]], dtype=np.float32)
    np.testing.assert_allclose(disparity_radius(disparity, 0.5, 30.0), [[10, 0, -20]], atol=1e-4)
    flat = np.full((2, 2), 3.0, dtype=np.float32)
    assert not disparity_radius(flat, 3.0, 30.0).any()


def test_focus_pixel_reads_a_robust_median_and_distance_inverts():
    disparity = np.full((20, 20), 0.25, dtype=np.float32)
    disparity[5:15, 5:15] = 0.5
    disparity[10, 10] = 9.0  # a lone outlier under the focus point does not move the focus
    assert focus_disparity(disparity, (10, 10), metric=True) == 0.5
    assert focus_disparity(disparity, 4.0, metric=True) == 0.25


def test_blur_radius_map_sky_is_far_plane_and_relative_depth_uses_strength():
    depth = np.array([[1.0, 2.0, 0.0]], dtype=np.float32)  # 0 = sky
    radius = blur_radius_map(depth, 1.0, image_width=3, strength=10.0)
    np.testing.assert_allclose(radius, [[0, 10, 10]], atol=1e-5)
    values = np.full((8, 8), 6.0, dtype=np.float32)
    values[:, :4] = 3.0  # relative depth: disparity 1/3 on the left (focus), 1/6 on the right
    radius = blur_radius_map(DepthMap(values, kind="relative"), (0, 0), image_width=8, strength=8.0)
    np.testing.assert_allclose(radius[0, [0, 7]], [0, 8], atol=1e-5)
    clipped = blur_radius_map(depth, 1.0, image_width=3, strength=10.0, max_radius=4.0)
    np.testing.assert_allclose(clipped, [[0, 4, 4]], atol=1e-5)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"fnumber": 0.0}, "fnumber must be a positive"),
        ({"fnumber": -1.8}, "fnumber must be a positive"),
        ({"fnumber": 2.0, "focal_length": 0.0}, "focal_length must be a positive"),
        ({}, "exactly one of fnumber"),
        ({"fnumber": 2.0, "strength": 5.0}, "exactly one of fnumber"),
        ({"strength": -1.0}, "strength must be"),
    ],
)
def test_bad_lens_arguments_name_the_argument(kwargs, message):
    depth = np.full((4, 4), 2.0, dtype=np.float32)
    with pytest.raises(ValueError, match=message):
        blur_radius_map(depth, (1, 1), image_width=4, **kwargs)


def test_bad_focus_and_depth_kinds_are_clear_errors():
    depth = np.full((4, 6), 2.0, dtype=np.float32)
    with pytest.raises(ValueError, match=r"focus pixel \(x=6, y=0\) is outside the 6x4 image"):
        blur_radius_map(depth, (6, 0), image_width=6, fnumber=2.0)
    with pytest.raises(ValueError, match="inside the focal length"):
        blur_radius_map(depth, 0.04, image_width=6, fnumber=2.0)
    relative = DepthMap(depth, kind="relative")
    with pytest.raises(ValueError, match="needs metric depth"):
        blur_radius_map(relative, (1, 1), image_width=6, fnumber=2.0)
    with pytest.raises(ValueError, match=r"focus distance 2\.0 m needs metric depth"):
        blur_radius_map(relative, 2.0, image_width=6, strength=5.0)
    with pytest.raises(ValueError, match="no valid pixel"):
        blur_radius_map(np.zeros((3, 3), np.float32), (1, 1), image_width=3, strength=5.0)
