"""Procedural textures evaluated at hit points, in torch.

Each texture maps 2D surface coordinates (metres, from a triplanar pick of the primitive's local
frame) and the material's three colours to an albedo and a specular multiplier. Noise is value
noise over an integer hash (no global RNG), so textures are deterministic on every device.
"""

from __future__ import annotations

import torch

from monocle.synth.scene import TEXTURES

_TABLE_SIDE = 256  # a power of two, so integer lattice indices wrap with & _WRAP
# & (side - 1) is % side for every integer, negatives included, without a division.
_WRAP = _TABLE_SIDE - 1
_TABLES: dict[torch.device, torch.Tensor] = {}


def _table(device: torch.device) -> torch.Tensor:
    """A fixed (257,257) table of uniform values whose last row/column repeat the first, so
    bilinear lookups wrap around; made once per device from a fixed-seed generator."""
    if device not in _TABLES:
        values = torch.rand(
            (_TABLE_SIDE, _TABLE_SIDE), generator=torch.Generator().manual_seed(20240603)
        )
        values = torch.cat([values, values[:1]], dim=0)
        _TABLES[device] = torch.cat([values, values[:, :1]], dim=1).to(device)
    return _TABLES[device]


def _salt_offset(salt) -> torch.Tensor | float:
    return ((salt * 97) & _WRAP) + (salt * 0.618034) % 1.0


def hash2(ix: torch.Tensor, iy: torch.Tensor, salt) -> torch.Tensor:
    """Integer lattice (int64 tensors) -> uniform [0,1) float32, fixed per (ix, iy, salt)."""
    table = _table(ix.device)
    shift = (salt * 131) & _WRAP
    index = ((iy + shift) & _WRAP) * (_TABLE_SIDE + 1) + ((ix + salt * 17) & _WRAP)
    return table.reshape(-1).index_select(0, index.reshape(-1)).view(index.shape)


def value_noise(s: torch.Tensor, t: torch.Tensor, salt) -> torch.Tensor:
    """Smooth value noise in [0,1] on the unit lattice (one bilinear table lookup)."""
    return _lattice_noise(s + _salt_offset(salt), t + _salt_offset(salt + 7))


def _lattice_noise(s: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    # A smoothstep warp of the fractional part turns bilinear lookup into C1 value noise.
    # In place where the order of operations allows: this runs for every octave of every texel.
    coordinates = []
    for x in (s, t):
        whole = torch.floor(x)
        frac = x - whole
        warp = frac * frac
        warp.mul_(3 - 2 * frac)
        coordinates.append(torch.remainder(whole, _TABLE_SIDE).add_(warp))
    grid = torch.stack(coordinates, dim=-1).mul_(2.0 / _TABLE_SIDE).sub_(1.0)
    table = _table(s.device)[None, None]
    sampled = torch.nn.functional.grid_sample(
        table, grid.reshape(1, 1, -1, 2), mode="bilinear", align_corners=True
    )
    return sampled.reshape(s.shape)


def fbm(s: torch.Tensor, t: torch.Tensor, salt, octaves: int = 4) -> torch.Tensor:
    """Fractal value noise in [0,1] (roughly mean 0.5)."""
    total, amplitude, norm = torch.zeros_like(s), 1.0, 0.0
    s, t = s + _salt_offset(salt), t + _salt_offset(salt + 7)
    for octave in range(octaves):
        total.add_(_lattice_noise(s + 37.3 * octave, t + 91.7 * octave).mul_(amplitude))
        norm += amplitude
        amplitude *= 0.5
        s, t = s * 2.03 + 1.7, t * 2.03 - 3.1
    return total / norm


def _fract(x: torch.Tensor) -> torch.Tensor:
    return x - torch.floor(x)


def _smooth(edge0: float, edge1: float, x: torch.Tensor) -> torch.Tensor:
    x = ((x - edge0) / (edge1 - edge0)).clamp(0, 1)
    return x * x * (3 - 2 * x)


def _mix(c0, c1, w):
    return c0 + (c1 - c0) * w[:, None]


def shade_texture(name: str, s, t, height, colors, scale, param, salt):
    """Albedo (M,3) and specular multiplier (M,) for texture ``name``.

    ``s``, ``t`` (M,) surface coordinates in metres (t runs up on walls); ``height`` (M,) world
    height, so facade storeys line up with the ground; ``colors`` (M,3,3);
    ``scale`` (M,) cells per metre; ``param`` (M,); ``salt`` (M,) int64 per-primitive seed.
    """
    c0, c1, c2 = colors[:, 0], colors[:, 1], colors[:, 2]
    u, v = s * scale, t * scale
    spec = torch.ones_like(s)
    if name == "plain":
        return _mix(c0, c1, 0.3 * fbm(u, v, salt, 3)), spec
    if name == "noise":
        return _mix(c0, c1, _smooth(0.3, 0.7, fbm(u, v, salt))), spec
    if name == "stripes":
        phase = _fract(u + 0.15 * fbm(u * 0.5, v * 4, salt, 2))
        return _mix(c0, c1, (phase < param).float()), spec
    if name == "checker":
        parity = (torch.floor(u) + torch.floor(v)).remainder(2)
        return _mix(c0, c1, parity), spec
    if name in ("tiles", "bricks"):
        row = torch.floor(v)
        if name == "bricks":  # bricks are twice as long as tall and every other row is offset
            u = u * 0.5 + 0.5 * row.remainder(2)
        col = torch.floor(u)
        jitter = hash2(col.to(torch.int64), row.to(torch.int64), salt)
        body = _mix(c0, c1, jitter) * (0.85 + 0.3 * fbm(u * 4, v * 4, salt, 2))[:, None]
        gap = 0.04 if name == "tiles" else 0.07
        mortar = (_fract(u) < gap * (0.5 if name == "bricks" else 1.0)) | (_fract(v) < gap)
        return torch.where(mortar[:, None], c2, body), torch.where(mortar, 0.3, 1.0)
    if name == "wood":
        grain = u * 0.15 + 0.6 * fbm(u * 0.3, v * 6, salt)
        rings = _fract(grain * 6)
        w = _smooth(0.0, 0.8, rings) * 0.7 + 0.3 * fbm(u * 2, v * 20, salt + 5, 2)
        return _mix(c0, c1, w), spec
    if name == "marble":
        turbulence = fbm(u, v, salt, 5)
        veins = torch.sin((u + v) * 3.0 + 9.0 * turbulence).abs().pow(0.35)
        albedo = _mix(c2, c0, veins)
        return _mix(albedo, c1, 0.4 * fbm(u * 3, v * 3, salt + 3, 3)), spec
    if name == "facade":  # one floor per 1/scale metres; windows are c1, frames c2, wall c0
        v = height * scale
        frac_u, frac_v = _fract(u * 0.8), _fract(v)
        window = (frac_u > 0.5 - param / 2) & (frac_u < 0.5 + param / 2)
        window = window & (frac_v > 0.3) & (frac_v < 0.85) & (v > 0.95)
        frame = window & ((frac_v < 0.34) | (frac_v > 0.81) | ((frac_u - 0.5).abs() > param / 2.3))
        lit = hash2(torch.floor(u * 0.8).to(torch.int64), torch.floor(v).to(torch.int64), salt)
        glass = _mix(c1, c1 * 1.8 + 0.05, (lit > 0.8).float() * lit)
        wall = c0 * (0.85 + 0.3 * fbm(u * 2, v * 2, salt, 3))[:, None]
        albedo = torch.where(window[:, None], glass, wall)
        albedo = torch.where(frame[:, None], c2, albedo)
        return albedo, torch.where(window & ~frame, 6.0, 0.5)
    if name == "road":  # s runs along the road, t across; param = half width in metres
        asphalt = c0 * (0.75 + 0.5 * fbm(s * 6, t * 6, salt, 4))[:, None]
        centre = (t.abs() < 0.07) & (_fract(s / 6.0) < 0.5)
        edge = (t.abs() - (param - 0.35)).abs() < 0.07
        line = (centre | edge) & (fbm(s * 3, t * 3, salt + 9, 2) > 0.25)
        return torch.where(line[:, None], c1, asphalt), spec
    if name == "foliage":
        leaves = fbm(u, v, salt, 4)
        albedo = _mix(c0, c1, _smooth(0.35, 0.65, leaves))
        return albedo * (0.4 + 0.8 * _smooth(0.2, 0.6, leaves))[:, None], spec * 0.5
    raise ValueError(f"unknown texture {name!r}; choose one of {TEXTURES}")
