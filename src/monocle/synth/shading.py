"""Lighting: sky dome, one shadowed light (sun or lamp), hemispheric ambient, fog.

All quantities are linear radiance; the sensor model turns them into pixel values later.
Surfaces get Lambert diffuse plus Blinn-Phong specular from the light (times its shadow-ray
visibility), hemispheric ambient (sky colour above, bounce colour below), Fresnel-weighted
reflection of the environment and their own emission.
"""

from __future__ import annotations

import torch

from monocle.synth.primitives import dot
from monocle.synth.scene import Environment, Light
from monocle.synth.textures import fbm


def _vec(values, like: torch.Tensor) -> torch.Tensor:
    return torch.as_tensor(values, dtype=torch.float32, device=like.device)


def sky_radiance(
    d: torch.Tensor, environment: Environment, light: Light, detail: bool = True
) -> torch.Tensor:
    """Radiance (N,3) seen along unit world directions ``d`` (N,3) that hit nothing;
    ``detail=False`` leaves out clouds (for blurry reflections)."""
    up = d[:, 1]
    elevation = up.clamp_min(0.0)
    zenith, horizon = _vec(environment.zenith, d), _vec(environment.horizon, d)
    sky = horizon + (zenith - horizon) * elevation.pow(0.6)[:, None]
    below = horizon * 0.8 + _vec(environment.ambient_ground, d) * 0.2
    sky = torch.where((up < 0)[:, None], below, sky)
    if detail and environment.clouds > 0:
        height = elevation.clamp_min(0.03)
        cover = fbm(d[:, 0] / height * 1.5, d[:, 2] / height * 1.5, 4242, 5)
        amount = ((cover - (1.0 - environment.clouds)) * 3.0).clamp(0, 1)
        amount = amount * (elevation * 12.0).clamp(0, 1)
        cloud = horizon * 1.1 + 0.1 * (cover[:, None] - 0.5)
        sky = sky + (cloud - sky) * amount[:, None]
    if light.kind == "sun":
        to_sun = _vec(light.vector, d)
        cosine = dot(d, to_sun).clamp_min(0.0)
        color = _vec(light.color, d)
        glow = 0.08 * cosine.pow(32) + 0.25 * cosine.pow(400)
        if environment.sun_disk:
            glow = glow + 8.0 * (cosine > 0.99997).float()
        sky = sky + color * glow[:, None]
    return sky


def surface_radiance(
    p, n, d, albedo, spec, shininess, emission, visible, light: Light, environment: Environment
):
    """Radiance (M,3) leaving surface points ``p`` (M,3) with unit normals ``n`` towards the
    camera (ray directions ``d``). ``albedo`` (M,3); ``spec``, ``shininess``, ``emission``
    (M,); ``visible`` (M,) float light visibility from shadow rays."""
    color = _vec(light.color, p)
    if light.kind == "sun":
        to_light = _vec(light.vector, p).expand_as(p)
        strength = color.expand_as(p)
    else:
        offset = _vec(light.vector, p) - p
        dist2 = dot(offset, offset)
        to_light = offset * torch.rsqrt(dist2)[:, None]
        strength = color / (dist2 + 1.0)[:, None]
    lambert = dot(n, to_light).clamp_min(0.0) * visible
    half = to_light - d
    half = half / torch.linalg.vector_norm(half, dim=-1, keepdim=True).clamp_min(1e-9)
    highlight = dot(n, half).clamp_min(0.0).pow(shininess) * spec * visible * (lambert > 0)
    sky_weight = 0.5 + 0.5 * n[:, 1]
    ambient = (
        _vec(environment.ambient_ground, p)
        + (_vec(environment.ambient_sky, p) - _vec(environment.ambient_ground, p))
        * sky_weight[:, None]
    )
    radiance = albedo * (ambient + strength * lambert[:, None]) + strength * highlight[:, None]
    reflectivity = spec.clamp(0.0, 1.0)
    fresnel = reflectivity + (1.0 - reflectivity) * (1.0 + dot(n, d)).clamp(0, 1).pow(5)
    reflected = d - 2.0 * dot(d, n)[:, None] * n
    if light.kind == "sun":
        mirror = sky_radiance(reflected, environment, light, detail=False)
    else:
        mirror = _vec(environment.ambient_sky, p).expand_as(p) * 1.5
    radiance = radiance + mirror * (fresnel * reflectivity)[:, None]
    return radiance + albedo * emission[:, None]


def apply_fog(radiance: torch.Tensor, distance: torch.Tensor, environment: Environment):
    """Blend towards the fog colour with transmittance exp(-density * distance)."""
    if environment.fog_density <= 0:
        return radiance
    keep = torch.exp(-environment.fog_density * distance)[:, None]
    return radiance * keep + _vec(environment.fog_color, radiance) * (1.0 - keep)
