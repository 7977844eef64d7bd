"""Aperture kernels: normalised, the right size and shape, and clear errors."""

from __future__ import annotations

import math

import pytest
import torch

from monocle.apps.bokeh import aperture_kernel, parse_aperture


@pytest.mark.parametrize("radius", [0.0, 0.3, 1.0, 4.5, 12.0])
def test_kernels_sum_to_one(radius):
    for blades in (0, 5, 6):
        kernel = aperture_kernel(radius, blades)
        assert kernel.shape[0] == kernel.shape[1] == 2 * math.ceil(radius + 0.5) + 1
        assert float(kernel.sum()) == pytest.approx(1.0, abs=1e-5)


def test_small_radius_is_a_single_pixel():
    kernel = aperture_kernel(0.4)
    assert float(kernel[1, 1]) == pytest.approx(1.0)


def test_disc_covers_its_area_and_row_width_is_the_diameter():
    radius = 9.3
    kernel = aperture_kernel(radius)
    plateau = float(kernel.max())
    assert float((kernel / plateau).sum()) == pytest.approx(math.pi * radius**2, rel=0.01)
    centre = kernel.shape[0] // 2
    assert float((kernel[centre] / plateau).sum()) == pytest.approx(2 * radius, abs=0.05)


def test_hexagon_reaches_the_radius_at_its_corners_only():
    radius = 10.0
    kernel = aperture_kernel(radius, 6)
    centre = kernel.shape[0] // 2
    column = kernel[:, centre] > 0  # a corner points straight up and down
    row = kernel[centre] > 0  # flat sides left and right, at the apothem
    assert int(column.sum()) == 2 * round(radius) + 1
    assert int(row.sum()) <= 2 * math.ceil(radius * math.cos(math.pi / 6)) + 1


def test_flip_mirrors_odd_polygons_and_cat_eye_narrows_radially():
    pentagon = aperture_kernel(8.0, 5)
    assert not torch.allclose(pentagon, pentagon.flip(0))
    assert torch.allclose(aperture_kernel(8.0, 5, flip=True), pentagon.flip(0).flip(1))
    eye = aperture_kernel(8.0, cat_eye=(6.0, 0.0))
    centre = eye.shape[0] // 2
    width = int((eye[centre] > 0).sum())
    height = int((eye[:, centre] > 0).sum())
    assert width < height  # squeezed along the offset (radial) direction
    assert torch.allclose(eye, eye.flip(1))  # still centred on the point


def test_parse_aperture():
    assert parse_aperture("disc") == 0
    assert parse_aperture("hexagon") == 6
    assert parse_aperture("7") == 7
    assert parse_aperture(9) == 9
    for bad in ("triangle", "2", "40", ""):
        with pytest.raises(ValueError, match=r"aperture .* is unknown; use one of disc, hexagon"):
            parse_aperture(bad)
