"""Render a :class:`~monocle.synth.scene.Scene` from a camera: RGB and exact ground truth.

One pass of primary rays finds the nearest hit for the full scene and, from the same candidate
pairs, for the scene without foreground primitives (the background layer). Shadow rays are
cast once for both. The background layer keeps the full scene's lighting — shadows cast by the
removed people stay on the floor — because it stands for what the same camera would see
behind them, which is the ground truth 3D photos and inpainting need.
"""

from __future__ import annotations

import numpy as np
import torch

from monocle.synth.camera import Camera, camera_rays
from monocle.synth.culling import camera_binning, point_binning, sun_binning
from monocle.synth.primitives import dot, surface_normal, take
from monocle.synth.raycast import PackedScene, any_hits, decode_keys, nearest_hits, pack
from monocle.synth.scene import TEXTURES, Scene
from monocle.synth.sensor import SensorParams, apply_sensor, exposure_gain
from monocle.synth.shading import apply_fog, sky_radiance, surface_radiance
from monocle.synth.textures import fbm, hash2, shade_texture

MAX_SIZE = (2160, 3840)
BAND_PIXELS = 1 << 19


def check_size(size) -> tuple[int, int]:
    """Validate an (H, W) image size; raises ValueError naming the problem."""
    try:
        height, width = (int(x) for x in size)
    except (TypeError, ValueError):
        raise ValueError(f"size must be (height, width) integers, got {size!r}") from None
    if height <= 0 or width <= 0:
        raise ValueError(f"size must be positive, got {height}x{width}")
    if height > MAX_SIZE[0] or width > MAX_SIZE[1]:
        raise ValueError(
            f"size {height}x{width} is over the limit {MAX_SIZE[0]}x{MAX_SIZE[1]} (H x W)"
        )
    return height, width


def render(
    scene: Scene,
    camera: Camera | None = None,
    size: tuple[int, int] = (240, 320),
    *,
    device: str | torch.device = "cpu",
    background: bool = True,
    sensor: bool = True,
    noise_seed: int = 0,
    gain: float | None = None,
) -> dict:
    """Render ``scene`` seen by ``camera`` (default ``scene.camera``) at ``size`` = (H, W).

    Returns numpy arrays: ``rgb`` uint8 (H,W,3); ``depth`` float32 (H,W) planar camera-z metres,
    0 where invalid (sky or beyond ``scene.max_depth``); ``valid`` bool (H,W); ``normals`` float32
    (H,W,3) unit camera-frame normals, 0 where invalid; ``instance`` int32 (H,W), 0 = none;
    ``semantic`` uint8 (H,W) ids of :data:`~monocle.synth.scene.CLASSES`; ``K`` float32 (3,3);
    ``pose`` float32 (4,4) camera-to-world; and with ``background`` ``background_rgb``,
    ``background_depth``, ``background_valid`` of the scene without foreground primitives.
    ``sensor=False`` skips the sensor model (no noise, blur or JPEG; neutral exposure).
    ``gain`` fixes the exposure gain (stereo pairs and video frames share the first view's);
    the gain used is returned as ``exposure_gain``.
    """
    height, width = check_size(size)
    camera = camera if camera is not None else scene.camera
    if camera is None:
        raise ValueError("no camera: pass camera= or set scene.camera")
    device = torch.device(device)
    packed = pack(scene, device)
    K = camera.intrinsics((height, width))
    with_background = background and bool(packed.foreground.any())
    # Horizontal bands bound memory at 4K; each band is a camera with a shifted principal point.
    band = max(1, BAND_PIXELS // width)
    parts = [
        _render_band(
            scene, packed, camera, K, (top, min(height, top + band)), width, with_background
        )
        for top in range(0, height, band)
    ]
    planes = {key: torch.cat([part[key] for part in parts]).cpu().numpy() for key in parts[0]}

    def image(key, dtype=None):
        values = planes[key].reshape(height, width, *planes[key].shape[1:])
        return values if dtype is None else values.astype(dtype)

    sensor_params = scene.sensor if sensor else SensorParams()
    radiance = image("radiance")
    gain = exposure_gain(radiance, sensor_params) if gain is None else gain
    out = {
        "rgb": apply_sensor(radiance, sensor_params, noise_seed, gain),
        "depth": image("depth", np.float32),
        "valid": image("valid"),
        "normals": image("normals", np.float32),
        "instance": image("instance", np.int32),
        "semantic": image("semantic", np.uint8),
        "K": K,
        "pose": camera.pose.astype(np.float32),
        "exposure_gain": gain,
    }
    if background:
        key = "bg_" if with_background else ""
        out["background_rgb"] = apply_sensor(
            image(key + "radiance"), sensor_params, noise_seed, gain
        )
        out["background_depth"] = image(key + "depth", np.float32)
        out["background_valid"] = image(key + "valid")
    return out


def _render_band(scene, packed, camera, K, rows, width, background) -> dict[str, torch.Tensor]:
    """Flat per-pixel tensors for image rows [rows[0], rows[1])."""
    device = packed.kind.device
    band_h = rows[1] - rows[0]
    origins, directions, z_per_t = camera_rays(camera, K, rows, width, device)
    K_band = K.copy()
    K_band[1, 2] -= rows[0]
    tile = max(8, int(np.sqrt(band_h * width / 1200)))
    binning = camera_binning(packed, camera.pose, K_band, (band_h, width), tile)
    layers = [torch.ones(len(packed), dtype=torch.bool, device=device)]
    if background:
        layers.append(~packed.foreground)
    keys = nearest_hits(packed, origins, directions, binning, layers)
    hit, t, prim = decode_keys(keys[0])
    hit_bg, t_bg, prim_bg = decode_keys(keys[-1])
    # Shade every visible surface of both layers in one batch so shadow rays are cast once.
    differs = torch.nonzero(hit_bg & (prim_bg != prim)).squeeze(1)
    hit_rows = torch.nonzero(hit).squeeze(1)
    rows_to_shade = torch.cat([hit_rows, differs])
    shaded, normals_rows = _shade(
        scene,
        packed,
        take(origins, rows_to_shade),
        take(directions, rows_to_shade),
        torch.cat([take(t, hit_rows), take(t_bg, differs)]),
        torch.cat([take(prim, hit_rows), take(prim_bg, differs)]),
    )
    open_sky = ~hit | ~hit_bg
    sky = torch.zeros_like(directions)
    sky[open_sky] = sky_radiance(directions[open_sky], scene.environment, scene.light)
    n_full = hit_rows.shape[0]
    radiance = sky.clone().index_copy_(0, hit_rows, shaded[:n_full])
    rotation = torch.as_tensor(camera.pose[:3, :3], dtype=torch.float32, device=device)
    normals = torch.zeros_like(directions).index_copy_(
        0, hit_rows, normals_rows[:n_full] @ rotation
    )

    def planar_depth(hit_mask, t_values):
        z = torch.where(hit_mask, t_values * z_per_t, torch.zeros_like(t_values))
        valid = hit_mask & (z <= scene.max_depth) & (z > 0)
        return torch.where(valid, z, torch.zeros_like(z)), valid

    depth, valid = planar_depth(hit, t)
    # Index 0 of a padded copy stands for "no primitive", so empty scenes work too.
    instance = take(torch.cat([packed.instance.new_zeros(1), packed.instance]), prim + 1)
    semantic = take(torch.cat([packed.semantic.new_zeros(1), packed.semantic]), prim + 1)
    out = {
        "radiance": radiance,
        "depth": depth,
        "valid": valid,
        "normals": torch.where(valid[:, None], normals, torch.zeros_like(normals)),
        "instance": instance,
        "semantic": semantic,
    }
    if background:
        radiance_bg = radiance.clone()
        radiance_bg.index_copy_(0, differs, shaded[n_full:])
        radiance_bg[~hit_bg] = sky[~hit_bg]
        out["bg_radiance"] = radiance_bg
        out["bg_depth"], out["bg_valid"] = planar_depth(hit_bg, t_bg)
    return out


def _material_table(scene: Scene, device) -> dict[str, torch.Tensor]:
    mats = scene.materials

    def column(values, dtype=torch.float32):
        return torch.as_tensor(np.asarray(values), dtype=dtype, device=device)

    return {
        "texture": column([TEXTURES.index(m.texture) for m in mats], torch.int64),
        "colors": column([m.colors for m in mats]).reshape(len(mats), 3, 3),
        "scale": column([m.scale for m in mats]),
        "specular": column([m.specular for m in mats]),
        "shininess": column([m.shininess for m in mats]),
        "emission": column([m.emission for m in mats]),
        "param": column([m.param for m in mats]),
        "grime": column([m.grime for m in mats]),
    }


def _shade(scene: Scene, packed: PackedScene, o, d, t, prim):
    """Radiance (M,3) and world normals (M,3) of M primary hits (distance t, primitive id)."""
    p = o + t[:, None] * d
    kinds = take(packed.kind, prim)
    normal = torch.zeros_like(p)
    for kind in range(5):
        sel = torch.nonzero(kinds == kind).squeeze(1)
        if sel.numel():
            q = take(prim, sel)
            normal.index_copy_(
                0,
                sel,
                surface_normal(
                    kind,
                    take(p, sel),
                    take(d, sel),
                    take(packed.origin, q),
                    take(packed.frame, q),
                    take(packed.size, q),
                ),
            )
    table = _material_table(scene, p.device)
    material = take(packed.material, prim)
    albedo, spec_mult = _albedo(table, material, prim, p, normal, packed)
    spec = take(table["specular"], material) * spec_mult
    visible = _light_visibility(scene, packed, p, normal, t)
    radiance = surface_radiance(
        p,
        normal,
        d,
        albedo,
        spec,
        take(table["shininess"], material),
        take(table["emission"], material),
        visible,
        scene.light,
        scene.environment,
    )
    return apply_fog(radiance, t, scene.environment), normal


def _albedo(table, material, prim, p, normal, packed: PackedScene):
    frame = take(packed.frame, prim)
    rel = p - take(packed.origin, prim)
    local = torch.stack([dot(rel, frame[..., i]) for i in range(3)], dim=-1)
    local_n = torch.stack([dot(normal, frame[..., i]) for i in range(3)], dim=-1)
    axis = local_n.abs().argmax(dim=-1)
    # Triplanar pick; t is the local y (up) axis on every vertical face.
    s = torch.where(axis == 0, local[:, 2], local[:, 0])
    t = torch.where(axis == 1, local[:, 2], local[:, 1])
    # Per-primitive values, computed once per primitive and gathered per pixel.
    ids = torch.arange(len(packed), device=prim.device)
    salt = take((ids * 7919 + packed.material * 31) & 0xFFFFF, prim)
    texture = take(table["texture"], material)
    # Decorrelate primitives sharing a material; road markings stay centred on the road.
    s = s + 64.0 * take(hash2(ids, ids, 3), prim)
    t = torch.where(texture == TEXTURES.index("road"), t, t + 64.0 * take(hash2(ids, ids, 5), prim))
    albedo = torch.zeros_like(p)
    spec_mult = torch.ones_like(s)
    for index, name in enumerate(TEXTURES):
        sel = torch.nonzero(texture == index).squeeze(1)
        if sel.numel() == 0:
            continue
        m = take(material, sel)
        texture_albedo, texture_spec = shade_texture(
            name,
            take(s, sel),
            take(t, sel),
            take(p[:, 1], sel),
            take(table["colors"], m),
            take(table["scale"], m),
            take(table["param"], m),
            take(salt, sel),
        )
        albedo.index_copy_(0, sel, texture_albedo)
        spec_mult.index_copy_(0, sel, texture_spec)
    grime = take(table["grime"], material)
    albedo = albedo * (1.0 + grime * (2.0 * fbm(s * 0.6, t * 0.6, salt + 99, 3) - 1.0))[:, None]
    return albedo.clamp(0.0, 1.0), spec_mult


def _light_visibility(scene: Scene, packed: PackedScene, p, normal, t) -> torch.Tensor:
    """1 where the light reaches p (shadow ray unblocked and the surface faces it), else 0."""
    light = scene.light
    position = torch.as_tensor(light.vector, dtype=torch.float32, device=p.device)
    if light.kind == "sun":
        to_light = position.expand_as(p)
        distance = torch.full_like(t, float("inf"))
    else:
        offset = position - p
        distance = torch.linalg.vector_norm(offset, dim=-1)
        to_light = offset / distance.clamp_min(1e-9)[:, None]
    facing = dot(normal, to_light) > 0
    visible = facing.float()
    # Beyond the depth cap (distant ground, haze) shadows are not worth their rays.
    rows = torch.nonzero(facing & (t < scene.max_depth * 1.5)).squeeze(1)
    if rows.numel() == 0:
        return visible
    start = take(p, rows) + take(normal, rows) * (1e-3 + 5e-4 * take(t, rows))[:, None]
    if light.kind == "sun":
        binning = sun_binning(packed, start, np.asarray(light.vector, dtype=np.float64))
    else:
        binning = point_binning(packed, start, np.asarray(light.vector, dtype=np.float64))
    blocked = any_hits(packed, start, take(to_light, rows), take(distance, rows), binning)
    visible[rows[blocked]] = 0.0
    return visible
