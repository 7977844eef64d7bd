"""The naive depth-sliced Gaussian blur that the renderer is measured against.

Cut the scene into the renderer's depth slices and blur with a Gaussian of sigma = radius / 2
per slice, with no occlusion handling. Two common forms:

- ``"gather"``: each pixel takes the blur of the whole image at its own slice's sigma (the
  classic "blur by depth"); a sharp subject's colour smears into the blurred background.
- ``"scatter"``: each slice's pixels are blurred on their own and the slices summed and
  normalised; the blurred background's colour spills over a sharp subject's edge.
"""

from __future__ import annotations

import math

import torch
from kornia.filters import gaussian_blur2d

from monocle.apps.bokeh.layers import layer_keys


def _gaussian(planes: torch.Tensor, radius: float) -> torch.Tensor:
    if radius < 0.5:
        return planes
    sigma = radius / 2
    size = 2 * math.ceil(3 * sigma) + 1
    return gaussian_blur2d(planes[None], size, (sigma, sigma), border_type="replicate")[0]


def gaussian_depth_slices(
    linear: torch.Tensor, signed_radius: torch.Tensor, mode: str = "gather"
) -> torch.Tensor:
    """Naive depth-of-field baseline.

    Args:
        linear: (3, H, W) float linear RGB.
        signed_radius: (H, W) blur radius in pixels (sign ignored).
        mode: ``"gather"`` or ``"scatter"`` (see the module docstring).

    Returns:
        (3, H, W) float linear RGB.
    """
    if mode not in ("gather", "scatter"):
        raise ValueError(f"mode {mode!r} is unknown; use 'gather' or 'scatter'")
    keys = layer_keys(signed_radius)
    out = torch.zeros_like(linear)
    weight = torch.zeros_like(linear[:1])
    for key in torch.unique(keys).tolist():
        mine = (keys == key).to(linear.dtype)[None]
        radius = float(signed_radius.abs()[keys == key].mean()) if key != 0 else 0.0
        if mode == "gather":
            out += mine * _gaussian(linear, radius)
        else:
            blurred = _gaussian(torch.cat([linear * mine, mine]), radius)
            out += blurred[:3]
            weight += blurred[3:]
    return out if mode == "gather" else out / weight.clamp(min=1e-6)
