"""Aperture kernels: the shape one out-of-focus point spreads into.

A kernel is the splat of a point of blur radius ``r`` pixels: a disc, or a regular polygon with
``blades`` corners on the circle of radius ``r`` (the CoC is measured corner to corner), with an
anti-aliased edge, normalised to sum 1 so flat regions keep their brightness. Cat's-eye
(optical vignetting) intersects the shape with a copy of itself shifted along the image radius,
so bokeh near the frame edge becomes a lens shape whose long axis is tangential.
"""

from __future__ import annotations

import math

import torch

APERTURES = ("disc", "hexagon", "N (an integer blade count from 3 to 16)")
_NAMED = {"disc": 0, "circle": 0, "hexagon": 6}


def parse_aperture(aperture: str | int) -> int:
    """Blade count of ``aperture``: 0 for a disc, else 3..16 (``"hexagon"`` is 6)."""
    name = str(aperture).strip().lower()
    if name in _NAMED:
        return _NAMED[name]
    if name.isdigit() and 3 <= int(name) <= 16:
        return int(name)
    raise ValueError(f"aperture {aperture!r} is unknown; use one of {', '.join(APERTURES)}")


def _shape_distance(x: torch.Tensor, y: torch.Tensor, radius: float, blades: int,
                    rotation: float) -> torch.Tensor:  # fmt: skip
    """Signed distance (pixels, < 0 inside) to a disc or a polygon of circumradius ``radius``."""
    if blades == 0:
        return torch.sqrt(x * x + y * y) - radius
    # Edge normals of a regular polygon with a corner at angle ``rotation`` from straight up.
    angles = rotation + math.pi / blades + 2 * math.pi * torch.arange(blades) / blades
    nx = torch.sin(angles).to(x)[:, None, None]
    ny = -torch.cos(angles).to(x)[:, None, None]
    apothem = radius * math.cos(math.pi / blades)
    return (x[None] * nx + y[None] * ny).amax(0) - apothem


def aperture_kernel(
    radius: float,
    blades: int = 0,
    *,
    rotation: float = 0.0,
    cat_eye: tuple[float, float] = (0.0, 0.0),
    flip: bool = False,
    device: str | torch.device = "cpu",
) -> torch.Tensor:
    """Normalised splat kernel of a point with blur radius ``radius`` pixels.

    Args:
        radius: circle-of-confusion radius in pixels (>= 0); below 0.5 the kernel is one pixel.
        blades: 0 for a disc, else the polygon's corner count.
        rotation: polygon rotation in radians (0: a corner straight up).
        cat_eye: (dx, dy) pixels between the centres of the two intersected shapes; (0, 0) is
            no vignetting.
        flip: point-mirror the shape (a lens images points in front of focus upside down).

    Returns:
        float32 (2R+1, 2R+1) summing to 1, R = ceil(radius + 0.5); centre at [R, R].
    """
    reach = math.ceil(radius + 0.5)
    axis = torch.arange(-reach, reach + 1, dtype=torch.float32, device=device)
    y, x = torch.meshgrid(axis, axis, indexing="ij")
    if flip:
        x, y = -x, -y
    dx, dy = cat_eye
    distance = torch.maximum(
        _shape_distance(x - dx / 2, y - dy / 2, radius, blades, rotation),
        _shape_distance(x + dx / 2, y + dy / 2, radius, blades, rotation),
    )
    # Coverage of each pixel by the shape, linear across a one-pixel wide edge.
    kernel = (0.5 - distance).clamp(0.0, 1.0)
    if kernel.sum() <= 0:  # a cat's eye can close completely; keep the point's light
        kernel[reach, reach] = 1.0
    return kernel / kernel.sum()
