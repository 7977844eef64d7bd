from __future__ import annotations

import warnings

import numpy as np
import pytest

from monocle.io import COLORMAPS, colorize, colormap_lut

# Published end colours (matplotlib / Google turbo), RGB; proves OpenCV's BGR is swapped.
ENDPOINTS = {
    "turbo": ((48, 18, 59), (122, 4, 3)),
    "viridis": ((68, 1, 84), (253, 231, 37)),
    "inferno": ((0, 0, 4), (252, 255, 164)),
    "magma": ((0, 0, 4), (252, 253, 191)),
    "spectral": ((0x9E, 0x01, 0x42), (0x5E, 0x4F, 0xA2)),
    "gray": ((0, 0, 0), (255, 255, 255)),
}


@pytest.mark.parametrize("cmap", COLORMAPS)
def test_fixed_range_maps_ends_to_first_and_last_colour(cmap):
    values = np.array([[2.0, 4.0, -10.0, 99.0]])
    lut = colormap_lut(cmap)
    assert lut.shape == (256, 3) and lut.dtype == np.uint8
    assert tuple(lut[0]) == ENDPOINTS[cmap][0] and tuple(lut[255]) == ENDPOINTS[cmap][1]

    rgb = colorize(values, cmap=cmap, value_range=(2.0, 4.0))

    np.testing.assert_array_equal(rgb[0], [lut[0], lut[255], lut[0], lut[255]])  # clipped
    np.testing.assert_array_equal(
        colorize(values, cmap=cmap, value_range=(2.0, 4.0), reverse=True)[0, :2], [lut[255], lut[0]]
    )


def test_spectral_passes_through_its_anchors():
    lut = colormap_lut("spectral")
    # 11 anchors over 0..255 sit every 25.5 steps; even-numbered ones land on integer indices.
    assert tuple(lut[51]) == (0xF4, 0x6D, 0x43)
    assert tuple(lut[204]) == (0x66, 0xC2, 0xA5)


def test_invalid_pixels_get_invalid_color():
    values = np.array([[1.0, np.nan, 3.0, 4.0]])
    valid = np.array([[True, True, False, True]])
    rgb = colorize(values, valid, cmap="gray", value_range=(1.0, 4.0), invalid_color=(255, 0, 255))
    np.testing.assert_array_equal(rgb[0, 1:3], [[255, 0, 255], [255, 0, 255]])
    np.testing.assert_array_equal(rgb[0, [0, 3]], [[0, 0, 0], [255, 255, 255]])


def test_gray_is_monotonic():
    values = np.linspace(-3.0, 7.0, 500).reshape(20, 25)
    rgb = colorize(values, cmap="gray", percentiles=(0.0, 100.0))
    levels = rgb[..., 0].ravel()
    assert np.all(np.diff(levels.astype(int)) >= 0)
    assert levels[0] == 0 and levels[-1] == 255
    assert np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 1], rgb[..., 2])


def test_percentiles_ignore_invalid_pixels():
    values = np.concatenate([np.arange(100.0), [1e6, -1e6]]).reshape(1, -1)
    valid = np.ones_like(values, dtype=bool)
    valid[0, 100:] = False

    automatic = colorize(values, valid, percentiles=(0.0, 100.0))
    fixed = colorize(values, valid, value_range=(0.0, 99.0))

    np.testing.assert_array_equal(automatic, fixed)


def test_default_percentiles_clip_outliers():
    values = np.concatenate([np.linspace(0.0, 1.0, 98), [-50.0, 50.0]]).reshape(10, 10)
    rgb = colorize(values, cmap="gray")
    assert rgb[9, 8, 0] == 0 and rgb[9, 9, 0] == 255  # outliers beyond the 2/98 percentiles


def test_all_invalid_and_constant_maps_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        empty = colorize(np.full((3, 3), np.nan), invalid_color=(1, 2, 3))
        constant = colorize(np.full((2, 2), 5.0), cmap="gray")
    assert np.all(empty == [1, 2, 3])
    assert np.all(constant == 128)  # drawn in the middle colour


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown colour map 'jet'; choose one of turbo, inferno"):
        colorize(np.zeros((2, 2)), cmap="jet")
    with pytest.raises(ValueError, match="low < high"):
        colorize(np.zeros((2, 2)), value_range=(1.0, 1.0))
    with pytest.raises(ValueError, match=r"\(H, W\) array"):
        colorize(np.zeros((2, 2, 3)))
    with pytest.raises(ValueError, match="valid must be a bool array"):
        colorize(np.zeros((2, 2)), np.ones((2, 2)))
