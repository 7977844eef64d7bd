"""`render`: a photograph with the depth of field of a large-aperture lens, from its depth."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from kornia.color import linear_rgb_to_rgb, rgb_to_linear_rgb

from monocle.apps.bokeh.aperture import parse_aperture
from monocle.apps.bokeh.layers import render_linear
from monocle.apps.bokeh.lens import as_depth_map, blur_radius_map
from monocle.depthmap import DepthMap
from monocle.io import read_image

MAX_RADIUS_FRACTION = 0.05  # default blur cap: 5 % of the image's long side, in radius
ENCODE_STEPS = 65536


def render(
    image: Any,
    depth: DepthMap | np.ndarray,
    focus: tuple[float, float] | float,
    *,
    fnumber: float | None = None,
    focal_length: float = 50.0,
    sensor_width: float = 36.0,
    strength: float | None = None,
    aperture: str | int = "disc",
    rotation: float = 0.0,
    cat_eye: float = 0.0,
    highlight_gain: float = 4.0,
    highlight_threshold: float = 0.9,
    subject_mask: np.ndarray | None = None,
    max_radius: float | None = None,
    device: str | torch.device = "cpu",
) -> np.ndarray:
    """Render ``image`` as if shot with a shallow depth of field, focused at ``focus``.

    Args:
        image: anything :func:`monocle.io.read_image` takes (path, array, PIL image, tensor).
        depth: a :class:`~monocle.DepthMap`, or a float (H, W) array of metres. Invalid pixels
            (sky) count as the far plane. A map of another size with the image's aspect ratio is
            resized (nearest) with a warning.
        focus: the pixel (x, y) = (column, row) to focus on, or a distance in metres.
        fnumber: thin-lens blur: f-number (needs metric depth), with ``focal_length`` (mm) and
            ``sensor_width`` (mm) of the simulated camera (default: 50 mm on full frame).
        strength: disparity blur instead (any depth kind): radius in pixels between the
            nearest and the farthest point. Give exactly one of ``fnumber`` and ``strength``.
        aperture: ``"disc"``, ``"hexagon"`` or a blade count 3..16.
        rotation: polygon aperture rotation in radians.
        cat_eye: 0 (none) .. 1 (strong) optical vignetting of bokeh towards the frame edge.
        highlight_gain: how much near-clipped pixels are brightened in linear light before
            blurring, so highlights bloom into bokeh balls (1 turns it off).
        highlight_threshold: sRGB level (0..1) above which a pixel counts as clipped.
        subject_mask: bool (H, W) pixels rendered sharp whatever their depth.
        max_radius: largest blur radius in pixels; default 5 % of the long side.
        device: torch device for the work (``"cpu"``, ``"cuda"``).

    Returns:
        uint8 (H, W, 3) RGB.
    """
    rgb = read_image(image)
    height, width = rgb.shape[:2]
    depth = _depth_at_size(as_depth_map(depth), (height, width))
    if cat_eye < 0 or cat_eye > 1:
        raise ValueError(f"cat_eye must be between 0 and 1, got {cat_eye}")
    if highlight_gain < 1:
        raise ValueError(f"highlight_gain must be >= 1 (1 = off), got {highlight_gain}")
    if not 0 <= highlight_threshold < 1:
        raise ValueError(f"highlight_threshold must be in [0, 1), got {highlight_threshold}")
    blades = parse_aperture(aperture)
    if max_radius is None:
        max_radius = MAX_RADIUS_FRACTION * max(height, width)
    radius = blur_radius_map(depth, focus, image_width=width, fnumber=fnumber,
                             focal_length=focal_length, sensor_width=sensor_width,
                             strength=strength, max_radius=max_radius)  # fmt: skip
    if subject_mask is not None:
        mask = np.asarray(subject_mask, dtype=bool)
        if mask.shape != (height, width):
            raise ValueError(
                f"subject_mask is {mask.shape} but the image is {(height, width)}; "
                "pass a bool mask of the image's size"
            )
        radius = np.where(mask, np.float32(0), radius)
    device = torch.device(device)
    with torch.inference_mode():
        codes = torch.tensor(rgb, device=device).permute(2, 0, 1).long()
        # Decoding through a 256-entry table is exact and far cheaper than the power law.
        levels = torch.arange(256, device=device, dtype=torch.float32) / 255
        decode = rgb_to_linear_rgb(levels.expand(3, 1, 256))[0, 0]
        signed_radius = torch.from_numpy(radius).to(device)
        linear = recover_highlights(decode[codes], levels[codes], signed_radius,
                                    highlight_gain, highlight_threshold)  # fmt: skip
        blurred = render_linear(linear, signed_radius, blades=blades, rotation=rotation,
                                cat_eye=cat_eye)  # fmt: skip
        # Encoding through a 16-bit table is exact to the 8-bit level and skips the power law.
        fine = torch.arange(ENCODE_STEPS, device=device, dtype=torch.float32) / (ENCODE_STEPS - 1)
        encode = (linear_rgb_to_rgb(fine.expand(3, 1, -1))[0, 0] * 255).round().to(torch.uint8)
        index = (blurred.clamp(0.0, 1.0) * (ENCODE_STEPS - 1)).round().long()
        return encode[index].permute(1, 2, 0).cpu().numpy()


def recover_highlights(
    linear: torch.Tensor,
    srgb: torch.Tensor,
    signed_radius: torch.Tensor,
    gain: float,
    threshold: float,
) -> torch.Tensor:
    """Brighten near-clipped pixels that will be blurred, so they bloom like real highlights.

    A clipped pixel stored the sensor's limit, not the light's true level; blurring it as stored
    gives dull grey discs. ``linear``, ``srgb``: (3, H, W); ``signed_radius``: (H, W) pixels.
    The gain ramps from 1 at ``threshold`` to ``gain`` at full scale on the brightest channel,
    and from nothing at radius 0.5 to full at radius 1.5, so pixels in focus stay untouched.
    """
    peak = srgb.amax(0)
    if gain == 1 or not bool((peak > threshold).any()):
        return linear
    clipped = ((peak - threshold) / max(1e-6, 1 - threshold)).clamp(0.0, 1.0) ** 2
    blurred = (signed_radius.abs() - 0.5).clamp(0.0, 1.0)
    return linear * (1 + (gain - 1) * clipped * blurred)


def _depth_at_size(depth: DepthMap, size: tuple[int, int]) -> DepthMap:
    if depth.shape == size:
        return depth
    (dh, dw), (height, width) = depth.shape, size
    if abs(dw / dh - width / height) > 0.02 * width / height:
        raise ValueError(
            f"depth is {dw}x{dh} but the image is {width}x{height}, a different aspect ratio; "
            "pass the depth map predicted for this image"
        )
    warnings.warn(
        f"depth is {dw}x{dh} but the image is {width}x{height}; resizing the depth (nearest)",
        stacklevel=3,
    )
    values = torch.from_numpy(np.stack([depth.values, depth.valid.astype(np.float32)]))
    values, valid = F.interpolate(values[None], size=size, mode="nearest")[0].numpy()
    return DepthMap(values, kind=depth.kind, unit=depth.unit, valid=valid > 0.5)
