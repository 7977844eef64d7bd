"""Camera sensor model: linear radiance in, 8-bit sRGB-like image out.

The order follows a real camera: exposure and white balance on scene radiance, motion and lens
blur, vignetting, shot + read noise, a filmic tone curve (highlights roll off and clip), gamma,
8-bit quantisation and optional JPEG. Noise comes from ``numpy.random.Generator(seed)`` so two
calls with the same seed (the full image and its background layer) get the same noise field.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class SensorParams:
    """Sensor settings; the defaults are a clean, neutral camera.

    ``auto_exposure`` (if set) is the target geometric-mean scene luminance after gain, like a
    camera's metering; ``exposure`` multiplies on top (over/under exposure)."""

    exposure: float = 1.0
    auto_exposure: float | None = None
    white_balance: tuple = (1.0, 1.0, 1.0)
    blur_sigma: float = 0.0
    motion_blur_px: float = 0.0
    motion_blur_angle_deg: float = 0.0
    vignette: float = 0.0
    read_noise: float = 0.0
    shot_noise: float = 0.0
    jpeg_quality: int | None = None
    gamma: float = 2.2


def exposure_gain(radiance: np.ndarray, params: SensorParams) -> float:
    """Gain the sensor applies to ``radiance`` (H,W,3): metering times ``exposure``."""
    if params.auto_exposure is None:
        return float(params.exposure)
    luminance = radiance.reshape(-1, 3) @ np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)
    key = float(np.exp(np.mean(np.log(luminance + 1e-3))))
    return float(np.clip(params.auto_exposure / key, 0.05, 50.0)) * params.exposure


def apply_sensor(
    radiance: np.ndarray, params: SensorParams, seed: int, gain: float | None = None
) -> np.ndarray:
    """(H,W,3) float32 linear radiance -> (H,W,3) uint8 image. ``gain`` overrides metering
    (the background layer reuses the gain metered on the full image)."""
    height, width = radiance.shape[:2]
    gain = exposure_gain(radiance, params) if gain is None else gain
    image = radiance * (gain * np.asarray(params.white_balance, dtype=np.float32))
    if params.motion_blur_px >= 1.0:
        image = cv2.filter2D(
            image, -1, _line_kernel(params.motion_blur_px, params.motion_blur_angle_deg)
        )
    if params.blur_sigma > 0.05:
        image = cv2.GaussianBlur(image, (0, 0), params.blur_sigma)
    if params.vignette > 0:
        v, u = np.mgrid[0:height, 0:width].astype(np.float32)
        r2 = ((u - (width - 1) / 2) ** 2 + (v - (height - 1) / 2) ** 2) / (
            (width / 2) ** 2 + (height / 2) ** 2
        )
        image = image * (1.0 - params.vignette * r2)[..., None]
    if params.read_noise > 0 or params.shot_noise > 0:
        rng = np.random.default_rng(seed)
        sigma = np.sqrt(np.maximum(image, 0) * params.shot_noise + params.read_noise**2)
        image = image + sigma * rng.standard_normal(image.shape, dtype=np.float32)
    image = np.maximum(image, 0.0)
    # Narkowicz's ACES fit: a film-like shoulder, so bright skies and speculars clip softly.
    image = (image * (2.51 * image + 0.03)) / (image * (2.43 * image + 0.59) + 0.14)
    image = np.clip(image, 0.0, 1.0) ** (1.0 / params.gamma)
    out = np.round(image * 255.0).astype(np.uint8)
    if params.jpeg_quality is not None:
        _, encoded = cv2.imencode(
            ".jpg", out[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(params.jpeg_quality)]
        )
        out = np.ascontiguousarray(cv2.imdecode(encoded, cv2.IMREAD_COLOR)[..., ::-1])
    return out


def _line_kernel(length: float, angle_deg: float) -> np.ndarray:
    size = int(np.ceil(length)) | 1
    kernel = np.zeros((size, size), dtype=np.float32)
    centre = size // 2
    dx, dy = np.cos(np.radians(angle_deg)), np.sin(np.radians(angle_deg))
    for step in np.linspace(-length / 2, length / 2, 4 * size):
        kernel[round(centre + step * dy), round(centre + step * dx)] = 1.0
    return kernel / kernel.sum()
