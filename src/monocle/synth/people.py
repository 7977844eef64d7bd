"""Articulated people built from capsules, spheres and boxes, standing on the ground."""

from __future__ import annotations

import numpy as np

from monocle.synth import palettes
from monocle.synth.scene import Scene, _yaw_matrix


def _rot_x(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def _rot_z(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def sample_pose(rng: np.random.Generator, walking: bool | None = None) -> dict:
    """Joint angles (radians) of a random natural pose; ``walking`` forces a gait phase."""
    walking = bool(rng.random() < 0.4) if walking is None else walking
    swing = rng.uniform(0.25, 0.45) * np.sin(rng.uniform(0, 2 * np.pi)) if walking else 0.0
    pose = {
        "hip_flex": (swing, -swing),
        "knee": (rng.uniform(0, 0.3) + max(0.0, -swing), rng.uniform(0, 0.3) + max(0.0, swing)),
        "shoulder_flex": (-swing * 0.8 + rng.normal(0, 0.15), swing * 0.8 + rng.normal(0, 0.15)),
        "shoulder_abduct": (rng.uniform(0.05, 0.3), rng.uniform(0.05, 0.3)),
        "elbow": (rng.uniform(0.0, 0.6), rng.uniform(0.0, 0.6)),
        "lean": rng.normal(0, 0.04),
        "head_turn": rng.normal(0, 0.3),
    }
    gesture = rng.random()
    if gesture < 0.15:  # waving or pointing
        side = int(rng.integers(2))
        pose["shoulder_abduct"] = _set(pose["shoulder_abduct"], side, rng.uniform(1.2, 2.6))
        pose["elbow"] = _set(pose["elbow"], side, rng.uniform(0.0, 1.2))
    elif gesture < 0.3:  # holding a phone or cup in front
        side = int(rng.integers(2))
        pose["shoulder_flex"] = _set(pose["shoulder_flex"], side, rng.uniform(0.2, 0.6))
        pose["elbow"] = _set(pose["elbow"], side, rng.uniform(1.2, 1.9))
    return pose


def _set(pair: tuple, index: int, value: float) -> tuple:
    return (value, pair[1]) if index == 0 else (pair[0], value)


def add_person(
    scene: Scene,
    rng: np.random.Generator,
    position: tuple[float, float],
    yaw: float,
    height: float | None = None,
    pose: dict | None = None,
    ground_y: float = 0.0,
) -> int:
    """Add a person standing at ``position`` = (x, z) facing ``yaw`` (radians about +y; 0 faces
    +z). Returns the new instance id. Marked foreground, semantic "person"."""
    h = float(
        height
        if height is not None
        else rng.choice([rng.uniform(1.5, 1.95), rng.uniform(1.0, 1.45)], p=[0.85, 0.15])
    )
    pose = pose if pose is not None else sample_pose(rng)
    skin, hair = scene.add_material(palettes.skin(rng)), scene.add_material(palettes.hair(rng))
    shirt = scene.add_material(palettes.clothing(rng))
    pants = scene.add_material(palettes.clothing(rng))
    shoes = scene.add_material(palettes.painted(rng, saturation=(0.0, 0.4)))
    long_sleeves, long_pants = rng.random() < 0.6, rng.random() < 0.75
    body = _yaw_matrix(yaw) @ _rot_x(pose["lean"])
    parts: list[tuple] = []  # (kind, a, b_or_radius, radius_or_half, material)

    def limb(a, b, radius, material):
        parts.append(("capsule", a, b, radius, material))

    for side, sx in enumerate((1.0, -1.0)):  # local +x is the person's left
        hip = np.array([sx * 0.055 * h, 0.52 * h, 0.0])
        flex, knee = pose["hip_flex"][side], pose["knee"][side]
        knee_at = hip + 0.245 * h * np.array([0.0, -np.cos(flex), np.sin(flex)])
        ankle = knee_at + 0.245 * h * np.array([0.0, -np.cos(flex - knee), np.sin(flex - knee)])
        limb(hip, knee_at, 0.047 * h, pants)
        limb(knee_at, ankle, 0.035 * h, pants if long_pants else skin)
        parts.append(
            (
                "box",
                ankle + np.array([0.0, -0.018 * h, 0.035 * h]),
                np.array([0.032 * h, 0.022 * h, 0.07 * h]),
                None,
                shoes,
            )
        )
        shoulder = np.array([sx * 0.118 * h, 0.8 * h, 0.0])
        arm = _rot_x(-pose["shoulder_flex"][side]) @ _rot_z(sx * pose["shoulder_abduct"][side])
        elbow = shoulder + arm @ np.array([0.0, -0.17 * h, 0.0])
        fore = _rot_x(-pose["shoulder_flex"][side] - pose["elbow"][side]) @ _rot_z(
            sx * pose["shoulder_abduct"][side]
        )
        wrist = elbow + fore @ np.array([0.0, -0.145 * h, 0.0])
        limb(shoulder, elbow, 0.03 * h, shirt)
        limb(elbow, wrist, 0.025 * h, shirt if long_sleeves else skin)
        parts.append(
            ("sphere", wrist + fore @ np.array([0.0, -0.035 * h, 0.0]), 0.03 * h, None, skin)
        )
    for sx in (1.0, -1.0):  # chest and belly as two rounded columns
        limb(
            np.array([sx * 0.042 * h, 0.55 * h, 0.0]),
            np.array([sx * 0.045 * h, 0.76 * h, 0.0]),
            0.065 * h,
            shirt,
        )
    limb(
        np.array([-0.1 * h, 0.785 * h, 0.0]), np.array([0.1 * h, 0.785 * h, 0.0]), 0.045 * h, shirt
    )
    limb(
        np.array([-0.055 * h, 0.53 * h, 0.0]),
        np.array([0.055 * h, 0.53 * h, 0.0]),
        0.065 * h,
        pants,
    )
    limb(np.array([0.0, 0.8 * h, 0.0]), np.array([0.0, 0.87 * h, 0.005 * h]), 0.028 * h, skin)
    turn = _yaw_matrix(pose["head_turn"])
    head_c = np.array([0.0, 0.915 * h, 0.008 * h])
    limb(head_c, head_c + np.array([0.0, 0.03 * h, 0.0]), 0.05 * h, skin)
    parts.append(
        ("sphere", head_c + turn @ np.array([0.0, 0.032 * h, -0.01 * h]), 0.053 * h, None, hair)
    )
    eye_mat = scene.add_material(palettes.painted(rng, saturation=(0.2, 0.6)))
    lips = scene.add_material(palettes.shaded(scene.materials[skin], 0.7))
    for sx in (1.0, -1.0):  # eyes and ears
        parts.append(
            (
                "sphere",
                head_c + turn @ np.array([sx * 0.018 * h, 0.012 * h, 0.045 * h]),
                0.007 * h,
                None,
                eye_mat,
            )
        )
        parts.append(
            (
                "sphere",
                head_c + turn @ np.array([sx * 0.049 * h, 0.0, -0.004 * h]),
                0.012 * h,
                None,
                skin,
            )
        )
    limb(
        head_c + turn @ np.array([0.0, 0.008 * h, 0.052 * h]),
        head_c + turn @ np.array([0.0, -0.012 * h, 0.058 * h]),
        0.007 * h,
        skin,
    )  # nose
    limb(
        head_c + turn @ np.array([-0.012 * h, -0.028 * h, 0.045 * h]),
        head_c + turn @ np.array([0.012 * h, -0.028 * h, 0.045 * h]),
        0.004 * h,
        lips,
    )  # mouth
    if rng.random() < 0.35:  # long hair down the back
        limb(
            head_c + turn @ np.array([0.0, 0.02 * h, -0.03 * h]),
            head_c + turn @ np.array([0.0, -0.09 * h, -0.035 * h]),
            0.042 * h,
            hair,
        )
    lowest = min(_lowest_y(part, h) for part in parts)
    base = np.array([position[0], ground_y - lowest, position[1]])
    instance = scene.new_instance()
    common = {"semantic": "person", "instance": instance, "foreground": True}
    for kind, a, b, c, material in parts:
        if kind == "capsule":
            scene.add_capsule(base + body @ a, base + body @ b, c, material, **common)
        elif kind == "sphere":
            scene.add_sphere(base + body @ a, b, material, **common)
        else:
            scene.add_box(base + body @ a, b, material, rotation=body, **common)
    return instance


def _lowest_y(part: tuple, h: float) -> float:
    kind, a, b, c, _ = part
    if kind == "capsule":
        return min(a[1], b[1]) - c
    if kind == "sphere":
        return a[1] - b
    return a[1] - b[1]
