"""Colour maps for depth visualisation."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import cv2
import numpy as np

COLORMAPS = ("turbo", "inferno", "magma", "viridis", "spectral", "gray")

_OPENCV_COLORMAPS = {
    "turbo": cv2.COLORMAP_TURBO,
    "inferno": cv2.COLORMAP_INFERNO,
    "magma": cv2.COLORMAP_MAGMA,
    "viridis": cv2.COLORMAP_VIRIDIS,
}
# ColorBrewer "Spectral" (11 classes), red to violet; OpenCV has no equivalent.
_SPECTRAL_ANCHORS = (
    (0x9E, 0x01, 0x42),
    (0xD5, 0x3E, 0x4F),
    (0xF4, 0x6D, 0x43),
    (0xFD, 0xAE, 0x61),
    (0xFE, 0xE0, 0x8B),
    (0xFF, 0xFF, 0xBF),
    (0xE6, 0xF5, 0x98),
    (0xAB, 0xDD, 0xA4),
    (0x66, 0xC2, 0xA5),
    (0x32, 0x88, 0xBD),
    (0x5E, 0x4F, 0xA2),
)


@cache
def colormap_lut(cmap: str) -> np.ndarray:
    """Return the read-only ``uint8`` (256, 3) RGB lookup table of a colour map in COLORMAPS."""
    if cmap not in COLORMAPS:
        raise ValueError(f"unknown colour map {cmap!r}; choose one of {', '.join(COLORMAPS)}")
    ramp = np.arange(256, dtype=np.uint8)
    if cmap in _OPENCV_COLORMAPS:
        bgr = cv2.applyColorMap(ramp[:, None], _OPENCV_COLORMAPS[cmap])[:, 0, :]
        lut = bgr[:, ::-1]
    elif cmap == "spectral":
        anchors = np.asarray(_SPECTRAL_ANCHORS, dtype=np.float64)
        positions = np.linspace(0.0, 255.0, len(anchors))
        lut = np.stack([np.interp(ramp, positions, anchors[:, c]) for c in range(3)], axis=1)
        lut = np.rint(lut)
    else:
        lut = np.repeat(ramp[:, None], 3, axis=1)
    lut = np.ascontiguousarray(lut, dtype=np.uint8)
    lut.flags.writeable = False  # shared through the cache
    return lut


def colorize(
    values: np.ndarray,
    valid: np.ndarray | None = None,
    *,
    cmap: str = "turbo",
    value_range: tuple[float, float] | None = None,
    percentiles: tuple[float, float] = (2.0, 98.0),
    invalid_color: Sequence[int] = (0, 0, 0),
    reverse: bool = False,
) -> np.ndarray:
    """Map a depth (or any scalar) image to colours.

    Args:
        values: real array (H, W).
        valid: bool (H, W) or None for "every finite pixel"; non-finite pixels are always invalid.
        cmap: one of :data:`COLORMAPS`.
        value_range: ``(low, high)`` with ``low < high`` maps low to the first and high to the
            last colour, clipping outside; None uses the ``percentiles`` of the valid pixels.
        percentiles: (low, high) percentiles in [0, 100] for the automatic range.
        invalid_color: RGB colour of invalid pixels.
        reverse: run the colour map backwards (e.g. near = warm for depth, not disparity).

    Returns:
        ``uint8`` (H, W, 3) RGB. A map whose valid pixels are all equal is drawn in the middle
        colour; a map with no valid pixel is entirely ``invalid_color``.
    """
    values = np.asarray(values)
    if values.ndim != 2 or values.dtype.kind not in "iuf":
        raise ValueError(f"colorize needs a real (H, W) array, got {values.dtype} {values.shape}")
    values = values.astype(np.float64)
    lut = colormap_lut(cmap)
    fill = np.asarray(invalid_color)
    if fill.shape != (3,) or fill.min() < 0 or fill.max() > 255:
        raise ValueError(f"invalid_color must be three integers in 0..255, got {invalid_color!r}")
    mask = np.isfinite(values)
    if valid is not None:
        valid = np.asarray(valid)
        if valid.dtype != np.bool_ or valid.shape != values.shape:
            raise ValueError(
                f"valid must be a bool array of shape {values.shape}, got {valid.dtype} "
                f"{valid.shape}"
            )
        mask &= valid
    out = np.empty((*values.shape, 3), dtype=np.uint8)
    out[:] = fill.astype(np.uint8)
    if not mask.any():
        return out
    low, high = _range(values[mask], value_range, percentiles)
    if high > low:
        fraction = np.clip((values[mask] - low) / (high - low), 0.0, 1.0)
    else:
        fraction = np.full(int(mask.sum()), 0.5)
    index = np.rint(fraction * 255.0).astype(np.intp)
    out[mask] = lut[255 - index if reverse else index]
    return out


def _range(
    valid_values: np.ndarray,
    value_range: tuple[float, float] | None,
    percentiles: tuple[float, float],
) -> tuple[float, float]:
    if value_range is not None:
        low, high = (float(v) for v in value_range)
        if not (np.isfinite(low) and np.isfinite(high) and low < high):
            raise ValueError(
                f"value_range must be finite (low, high) with low < high, got {value_range!r}; "
                "use reverse=True to flip the colours"
            )
        return low, high
    low_percentile, high_percentile = percentiles
    if not 0.0 <= low_percentile <= high_percentile <= 100.0:
        raise ValueError(f"percentiles must satisfy 0 <= low <= high <= 100, got {percentiles!r}")
    low, high = np.percentile(valid_values, [low_percentile, high_percentile])
    return float(low), float(high)
