"""Circle of confusion: how large each pixel's blur is, from depth and a lens.

Two parameterisations, both linear in disparity and both returning a *signed radius in pixels*
(negative in front of the focus plane, positive behind it):

- thin lens (needs metric depth): a point at depth ``z`` seen by a lens of focal length ``f``
  and f-number ``N`` (aperture diameter ``A = f / N``) focused at ``z_f`` spreads into a disc of
  diameter ``c = A f (z - z_f) / (z (z_f - f))`` on the sensor. With ``sensor_width`` in the
  same unit as ``c`` and an image ``W`` pixels wide, the radius in pixels is
  ``c / 2 * W / sensor_width``.
- disparity strength (BokehMe's parameterisation; any depth kind): with disparity normalised to
  ``d`` in [0, 1] over the image (0 the farthest valid pixel, 1 the nearest), the radius is
  ``strength * (d_f - d)`` pixels, so ``strength`` is the blur radius between the nearest and
  the farthest point of the scene.

Invalid pixels (sky, holes) are treated as the far plane: the disparity of the farthest valid
pixel.
"""

from __future__ import annotations

import numpy as np

from monocle.depthmap import DepthMap

FOCUS_WINDOW = 5  # a focus pixel reads the median of this many pixels square, robust to edges


def as_depth_map(depth: DepthMap | np.ndarray) -> DepthMap:
    """A :class:`DepthMap`; a bare (H, W) float array is metric depth in metres."""
    if isinstance(depth, DepthMap):
        return depth
    array = np.asarray(depth)
    if array.ndim != 2 or not np.issubdtype(array.dtype, np.number):
        raise ValueError(
            f"depth must be a DepthMap or a numeric (H, W) array of metres, got {array.dtype} "
            f"{array.shape}; load depth files with monocle.DepthMap.load"
        )
    return DepthMap(array.astype(np.float32), kind="metric", unit="m")


def far_filled_disparity(depth: DepthMap) -> tuple[np.ndarray, bool]:
    """Disparity (H, W) with invalid pixels set to the far plane, and whether it is metric.

    Metric disparity is exactly 1 / metres; otherwise it is the map's own unit-less disparity.
    """
    disparity = depth.to_disparity()
    valid = disparity.valid & (disparity.values > 0)
    if not valid.any():
        raise ValueError(f"the depth map {depth!r} has no valid pixel; nothing to focus on")
    far = disparity.values[valid].min()
    return np.where(valid, disparity.values, far).astype(np.float32), disparity.unit == "1/m"


def focus_disparity(
    disparity: np.ndarray, focus: tuple[float, float] | float, metric: bool
) -> float:
    """Disparity of the focus plane: ``focus`` is a pixel (x, y) or a distance in metres."""
    if isinstance(focus, (tuple, list, np.ndarray)):
        if len(focus) != 2:
            raise ValueError(f"focus must be a pixel (x, y) or a distance in metres, got {focus!r}")
        height, width = disparity.shape
        x, y = (round(float(v)) for v in focus)
        if not (0 <= x < width and 0 <= y < height):
            raise ValueError(
                f"focus pixel (x={x}, y={y}) is outside the {width}x{height} image; "
                f"use 0 <= x < {width} and 0 <= y < {height}"
            )
        half = FOCUS_WINDOW // 2
        window = disparity[max(0, y - half) : y + half + 1, max(0, x - half) : x + half + 1]
        return float(np.median(window))
    distance = float(focus)
    if not metric:
        raise ValueError(
            f"focus distance {distance} m needs metric depth, but this depth has no scale; "
            "focus on a pixel instead (focus=(x, y))"
        )
    if not np.isfinite(distance) or distance <= 0:
        raise ValueError(f"focus distance must be a positive number of metres, got {distance}")
    return 1.0 / distance


def thin_lens_radius(
    disparity: np.ndarray,
    focus_disparity: float,
    *,
    fnumber: float,
    focal_length: float,
    sensor_width: float,
    image_width: int,
) -> np.ndarray:
    """Signed circle-of-confusion radius in pixels of a thin lens.

    Args:
        disparity: (H, W) inverse depth in 1/m.
        focus_disparity: 1 / focus distance in 1/m.
        fnumber: f-number N (> 0).
        focal_length: focal length in mm.
        sensor_width: sensor width in mm, across the image's ``image_width`` pixels.

    Returns:
        float32 (H, W): ``c / 2`` in pixels, c the module's thin-lens diameter; > 0 behind focus.
    """
    for name, value in (("fnumber", fnumber), ("focal_length", focal_length),
                        ("sensor_width", sensor_width)):  # fmt: skip
        if not np.isfinite(value) or value <= 0:
            raise ValueError(f"{name} must be a positive number, got {value}")
    f = focal_length / 1000.0
    focus_distance = 1.0 / focus_disparity
    if focus_distance <= f:
        raise ValueError(
            f"the focus distance {focus_distance:.4g} m is inside the focal length "
            f"{focal_length} mm; a lens cannot focus there, focus farther away"
        )
    aperture = f / fnumber
    # c = A f z_f / (z_f - f) * (1/z_f - 1/z), in metres on the sensor.
    scale = aperture * f * focus_distance / (focus_distance - f)
    diameter_m = scale * (focus_disparity - disparity)
    return (diameter_m / 2 * image_width / (sensor_width / 1000.0)).astype(np.float32)


def disparity_radius(disparity: np.ndarray, focus_disparity: float, strength: float) -> np.ndarray:
    """Signed blur radius in pixels, ``strength * (d_f - d)`` with d normalised to [0, 1].

    Args:
        disparity: (H, W) disparity of any scale (larger is nearer).
        focus_disparity: the focus plane's disparity in the same scale.
        strength: radius in pixels between the farthest (d = 0) and nearest (d = 1) point.

    Returns:
        float32 (H, W); > 0 behind focus. A scene of one depth has no blur.
    """
    if not np.isfinite(strength) or strength < 0:
        raise ValueError(f"strength must be a blur radius in pixels >= 0, got {strength}")
    low, high = float(disparity.min()), float(disparity.max())
    if high <= low:
        return np.zeros_like(disparity, dtype=np.float32)
    return (strength * (focus_disparity - disparity) / (high - low)).astype(np.float32)


def blur_radius_map(
    depth: DepthMap | np.ndarray,
    focus: tuple[float, float] | float,
    *,
    image_width: int,
    fnumber: float | None = None,
    focal_length: float = 50.0,
    sensor_width: float = 36.0,
    strength: float | None = None,
    max_radius: float | None = None,
) -> np.ndarray:
    """Signed blur radius in pixels (H, W) for ``depth`` focused at ``focus``.

    Exactly one of ``fnumber`` (thin lens; metric depth) and ``strength`` (disparity) is given.
    ``focus`` is a pixel (x, y) of the depth map or a distance in metres (metric depth only).
    ``max_radius`` clips the radius (pixels); None leaves it unclipped.
    """
    if (fnumber is None) == (strength is None):
        raise ValueError(
            "give exactly one of fnumber= (thin lens, needs metric depth) and strength= "
            "(blur radius in pixels over the scene's disparity range, any depth)"
        )
    depth = as_depth_map(depth)
    disparity, metric = far_filled_disparity(depth)
    focus_d = focus_disparity(disparity, focus, metric)
    if strength is not None:
        radius = disparity_radius(disparity, focus_d, strength)
    else:
        if not metric:
            raise ValueError(
                f"the thin-lens model needs metric depth in metres, got {depth!r}; pass "
                "strength= (blur in pixels) instead of fnumber= for relative depth"
            )
        radius = thin_lens_radius(disparity, focus_d, fnumber=fnumber, focal_length=focal_length,
                                  sensor_width=sensor_width, image_width=image_width)  # fmt: skip
    if max_radius is not None:
        radius = np.clip(radius, -max_radius, max_radius)
    return radius
