"""Presets: seeded scene sampling (scene, camera, sensor) and :func:`render_sample`."""

from __future__ import annotations

import zlib
from dataclasses import replace

import numpy as np
import torch

from monocle.synth import palettes
from monocle.synth.camera import Camera
from monocle.synth.indoor import build_room
from monocle.synth.outdoor import build_street
from monocle.synth.people import add_person, sample_pose
from monocle.synth.render import check_size, render
from monocle.synth.scene import CLASSES, Scene
from monocle.synth.sensor import SensorParams

PRESETS = ("indoor", "outdoor", "portrait", "stereo", "video", "hardcase")
HARDCASE_CATEGORIES = (
    "low_light",
    "sky_dominant",
    "false_edges",
    "close_people",
    "motion_blur",
    "overexposed",
)
VIDEO_FRAMES = 8
VIDEO_FPS = 10.0


def check_preset(preset: str, category: str | None = None) -> None:
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
    if category is not None and category not in HARDCASE_CATEGORIES:
        names = ", ".join(HARDCASE_CATEGORIES)
        raise ValueError(f"unknown hardcase category {category!r}; choose one of {names}")


def hardcase_category(seed: int) -> str:
    """The category the ``hardcase`` preset renders for ``seed`` (they cycle with the seed)."""
    return HARDCASE_CATEGORIES[seed % len(HARDCASE_CATEGORIES)]


def _generator(preset: str, seed: int, category: str | None) -> np.random.Generator:
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    key = [zlib.crc32(preset.encode()), int(seed) & 0xFFFFFFFF, int(seed) >> 32]
    return np.random.default_rng([*key, zlib.crc32((category or "").encode())])


def _aim(eye, yaw, pitch, roll, fov) -> Camera:
    direction = np.array([np.sin(yaw) * np.cos(pitch), np.sin(pitch), np.cos(yaw) * np.cos(pitch)])
    return Camera.look_at(eye, np.asarray(eye) + direction, fov, np.degrees(roll))


def _sensor(rng: np.random.Generator) -> SensorParams:
    return SensorParams(
        auto_exposure=float(rng.uniform(0.12, 0.26)),
        white_balance=tuple(1.0 + rng.normal(0, 0.05, size=3)),
        blur_sigma=float(rng.choice([0.0, rng.uniform(0.3, 1.0)])),
        vignette=float(rng.uniform(0.0, 0.35)),
        read_noise=float(rng.uniform(0.001, 0.008)),
        shot_noise=float(rng.uniform(0.0005, 0.01)),
        jpeg_quality=int(rng.integers(60, 96)) if rng.random() < 0.6 else None,
        gamma=float(rng.uniform(2.0, 2.4)),
    )


def _indoor(scene: Scene, rng, people=None, reserve=()) -> dict:
    room = build_room(scene, rng, people=people, reserve=reserve)
    eye = np.array(
        [
            rng.uniform(-0.7, 0.7) * (room.half_width - 0.3),
            rng.choice([rng.uniform(1.0, 1.8), rng.uniform(0.4, 2.2)], p=[0.75, 0.25]),
            rng.uniform(0.2, 0.8),
        ]
    )
    return {
        "eye": eye,
        "yaw": rng.uniform(-0.6, 0.6),
        "pitch": rng.uniform(-0.4, 0.15),
        "roll": rng.normal(0, 0.06),
        "fov": rng.uniform(50, 100),
        "room": room,
    }


def _outdoor(scene: Scene, rng, people=None) -> dict:
    street = build_street(scene, rng, people=people)
    walk = street.walk_outer - street.road_half
    on_walk = street.road_half + rng.uniform(0.3, max(0.4, 0.6 * walk))
    on_road = rng.uniform(0, max(0.0, street.road_half - 2.4))  # between the parked cars
    x = rng.choice([-1, 1]) * (on_walk if rng.random() < 0.6 else on_road)
    height = rng.choice([rng.uniform(1.2, 2.0), rng.uniform(2.5, 8.0)], p=[0.8, 0.2])
    sideways = rng.random() < 0.07
    yaw = rng.normal(0, 0.2) if not sideways else rng.choice([-1, 1]) * rng.uniform(1.2, 1.9)
    return {
        "eye": np.array([x, height, rng.uniform(-2, 2)]),
        "yaw": yaw,
        "pitch": rng.uniform(-0.25, 0.12) - (0.15 if height > 2.5 else 0.0),
        "roll": rng.normal(0, 0.05),
        "fov": rng.uniform(40, 100),
        "street": street,
    }


def _environment(scene: Scene, rng, people=None, reserve=()) -> dict:
    if rng.random() < 0.5:
        return _indoor(scene, rng, people, reserve)
    return _outdoor(scene, rng, people)


def _portrait(scene: Scene, rng, distance: tuple[float, float], subjects: int = 1) -> dict:
    """A person (or a few) 0.5-3 m in front of the camera, the rest of the scene far behind."""
    near = rng.uniform(*distance)
    yaw = rng.normal(0, 0.3)
    heading = np.array([np.sin(yaw), 0.0, np.cos(yaw)])
    subject = np.array([rng.uniform(-0.5, 0.5), 0.0, 0.5 + near])
    rig = _environment(scene, rng, reserve=[(subject[0], subject[2], 0.5)])
    if "room" in rig:  # stand in front of the reserved spot, inside the walls
        limit = rig["room"].half_width - 0.3
        eye = subject - heading * near
        eye[0] = np.clip(eye[0], -limit, limit)
    else:
        eye = rig["eye"] * np.array([1.0, 0.0, 1.0])
        subject = eye + heading * near
    side = np.cross(heading, [0.0, 1.0, 0.0])
    for index in range(subjects):
        spot = (
            subject
            + heading * (0.6 * index)
            + side * (rng.uniform(-0.3, 0.3) + 0.55 * index * rng.choice([-1, 1]))
        )
        height = rng.uniform(1.55, 1.9)
        facing = np.arctan2(eye[0] - spot[0], eye[2] - spot[2]) + rng.normal(0, 0.4)
        add_person(scene, rng, (spot[0], spot[2]), facing, height, sample_pose(rng, False))
        if index == 0:
            face = np.array([spot[0], height * rng.uniform(0.78, 0.93), spot[2]])
    eye[1] = face[1] + rng.uniform(-0.25, 0.15)
    aim = face - eye
    rig.update(
        eye=eye,
        yaw=float(np.arctan2(aim[0], aim[2]) + rng.normal(0, 0.05)),
        pitch=float(np.arctan2(aim[1], np.hypot(aim[0], aim[2]))),
        fov=rng.uniform(40, 75),
        roll=rng.normal(0, 0.04),
        subject_distance=near,
    )
    return rig


def _video(scene: Scene, rng, rig: dict) -> None:
    """Independently moving walkers and cars that stay on the ground, and a moving camera."""
    speed = rng.uniform(0.3, 1.5) if "room" in rig else rng.uniform(0.5, 8.0)
    scene.meta["camera_speed"] = float(speed)
    scene.meta["yaw_rate"] = float(rng.normal(0, 0.15))
    for _ in range(int(rng.integers(1, 4))):
        heading = rng.uniform(-np.pi, np.pi)
        ahead = rig["eye"] + np.array([np.sin(rig["yaw"]), 0, np.cos(rig["yaw"])]) * rng.uniform(
            2.5, 7.0
        )
        x = ahead[0] + rng.uniform(-1.5, 1.5)
        if "room" in rig:
            x = float(np.clip(x, -rig["room"].half_width + 0.5, rig["room"].half_width - 0.5))
        inst = add_person(scene, rng, (x, ahead[2]), heading, pose=sample_pose(rng, True))
        walk = rng.uniform(0.7, 1.6)
        scene.velocity[inst] = np.array([np.sin(heading), 0.0, np.cos(heading)]) * walk
    for inst, _, sign in rig.get("street").vehicles if "street" in rig else []:
        scene.velocity[inst] = np.array([0.0, 0.0, sign * rng.uniform(3.0, 12.0)])


def _hardcase(scene: Scene, rng, category: str) -> dict:
    if category == "close_people":
        return _portrait(scene, rng, (0.3, 1.0), subjects=int(rng.integers(1, 4)))
    if category == "sky_dominant":
        rig = _outdoor(scene, rng)
        rig.update(pitch=rng.uniform(0.35, 0.9), eye=rig["eye"] * [1, 0, 1] + [0, 1.5, 0])
        return rig
    rig = _environment(scene, rng)
    if category == "false_edges":  # bold flat patterns on walls, floors and ground
        big = {CLASSES[c] for c in ("floor", "wall", "ground", "road", "sidewalk", "building")}
        swapped: dict[int, int] = {}
        for i, semantic in enumerate(scene.semantic):
            if semantic in big and scene.kind[i] == 0 and rng.random() < 0.8:
                old = scene.material[i]
                if old not in swapped:
                    swapped[old] = scene.add_material(palettes.pattern(rng))
                scene.material[i] = swapped[old]
    return rig


def sample_scene(preset: str, seed: int, *, category: str | None = None) -> Scene:
    """The scene ``preset`` renders for ``seed``: geometry, materials, light, camera, sensor.

    ``category`` (hardcase only) overrides the category picked from the seed.
    """
    check_preset(preset, category)
    if preset == "hardcase":
        category = category or hardcase_category(int(seed))
    elif category is not None:
        raise ValueError(f"category= applies to the hardcase preset only, not {preset!r}")
    rng = _generator(preset, seed, category)
    scene = Scene()
    if preset == "indoor":
        rig = _indoor(scene, rng)
    elif preset == "outdoor":
        rig = _outdoor(scene, rng)
    elif preset == "portrait":
        rig = _portrait(scene, rng, (0.5, 3.0))
    elif preset == "hardcase":
        rig = _hardcase(scene, rng, category)
    else:
        rig = _environment(scene, rng)
    scene.camera = _aim(rig["eye"], rig["yaw"], rig["pitch"], rig["roll"], rig["fov"])
    scene.sensor = _sensor(rng)
    scene.meta.update(preset=preset, seed=int(seed), category=category)
    if preset == "stereo":
        scene.baseline = float(rng.uniform(0.06, 0.2) if "room" in rig else rng.uniform(0.2, 0.6))
    if preset == "video":
        _video(scene, rng, rig)
        scene.meta["rig"] = {k: rig[k] for k in ("eye", "yaw", "pitch", "roll", "fov")}
    if category is not None:
        _degrade(scene, rng, category)
    return scene


def _degrade(scene: Scene, rng, category: str) -> None:
    sensor = scene.sensor
    if category == "low_light":
        scale = rng.uniform(0.02, 0.08)
        scene.light.color = tuple(np.asarray(scene.light.color) * scale)
        env = scene.environment
        for name in ("zenith", "horizon", "ambient_sky", "ambient_ground", "fog_color"):
            setattr(env, name, tuple(np.asarray(getattr(env, name)) * scale * 0.3))
        sensor = replace(
            sensor,
            auto_exposure=rng.uniform(0.01, 0.04),
            read_noise=rng.uniform(0.01, 0.03),
            shot_noise=rng.uniform(0.01, 0.05),
        )
    elif category == "motion_blur":
        sensor = replace(
            sensor, motion_blur_px=rng.uniform(6, 30), motion_blur_angle_deg=rng.uniform(0, 180)
        )
    elif category == "overexposed":
        scene.materials = [
            replace(
                m, specular=max(m.specular, rng.uniform(0.3, 0.9)), shininess=max(m.shininess, 60.0)
            )
            for m in scene.materials
        ]
        sensor = replace(sensor, exposure=rng.uniform(1.8, 3.5))
    scene.sensor = sensor


def _video_camera(scene: Scene, seconds: float) -> Camera:
    rig = scene.meta["rig"]
    yaw = rig["yaw"] + scene.meta["yaw_rate"] * seconds
    forward = np.array([np.sin(rig["yaw"]), 0.0, np.cos(rig["yaw"])])
    eye = np.asarray(rig["eye"]) + forward * scene.meta["camera_speed"] * seconds
    return _aim(eye, yaw, rig["pitch"], rig["roll"], rig["fov"])


def render_sample(
    preset: str,
    seed: int,
    size: tuple[int, int] = (240, 320),
    *,
    device: str | torch.device = "cpu",
    category: str | None = None,
    background: bool = True,
) -> dict:
    """Render sample ``seed`` of ``preset`` at ``size`` = (H, W); same inputs, same output.

    ``background=False`` skips the background layer (about a sixth of the time) when only the
    image, depth, normals and masks are wanted, e.g. for training; every other key is unchanged.

    Keys: see :func:`monocle.synth.render.render`, plus ``meta`` {preset, seed, category,
    max_depth}; ``stereo`` adds ``right_rgb``, ``right_depth``, ``right_valid``, ``baseline``
    (metres, right camera = left moved along +x); ``video`` adds ``frames`` (T,H,W,3) uint8,
    ``frame_depths`` (T,H,W), ``frame_valid``, ``poses`` (T,4,4), ``motion_masks`` (T,H,W) bool
    (pixels of independently moving objects) and ``fps``; frame 0 equals ``rgb``/``depth``.
    """
    check_preset(preset, category)
    size = check_size(size)
    scene = sample_scene(preset, seed, category=category)
    out = render(scene, size=size, device=device, noise_seed=int(seed), background=background)
    if preset == "stereo":
        right = render(
            scene,
            scene.camera.shifted((scene.baseline, 0.0, 0.0)),
            size,
            device=device,
            background=False,
            noise_seed=int(seed) + 1,
            gain=out["exposure_gain"],
        )
        out.update(
            right_rgb=right["rgb"],
            right_depth=right["depth"],
            right_valid=right["valid"],
            baseline=np.float32(scene.baseline),
        )
    if preset == "video":
        frames = [out]
        for index in range(1, VIDEO_FRAMES):
            seconds = index / VIDEO_FPS
            frames.append(
                render(
                    scene.moved(seconds),
                    _video_camera(scene, seconds),
                    size,
                    device=device,
                    background=False,
                    noise_seed=int(seed) + index,
                    gain=out["exposure_gain"],
                )
            )
        moving = np.asarray(sorted(scene.velocity), dtype=np.int32)
        out.update(
            frames=np.stack([f["rgb"] for f in frames]),
            frame_depths=np.stack([f["depth"] for f in frames]),
            frame_valid=np.stack([f["valid"] for f in frames]),
            poses=np.stack([f["pose"] for f in frames]),
            motion_masks=np.stack([np.isin(f["instance"], moving) for f in frames]),
            fps=np.float32(VIDEO_FPS),
        )
    out["meta"] = {
        "preset": preset,
        "seed": int(seed),
        "category": scene.meta.get("category"),
        "max_depth": float(scene.max_depth),
    }
    return out
