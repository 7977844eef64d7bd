"""Outdoor scenes: a street (road, sidewalks, buildings, poles and wires, trees, vehicles,
people) or a park, under a sky with a sun, clouds and haze. The street runs along +z from the
origin; x = 0 is the road centre."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from monocle.synth import palettes
from monocle.synth.furniture import Placement
from monocle.synth.people import add_person
from monocle.synth.scene import Environment, Light, Scene

FAR = 160.0
UP_SAG = np.array([0.0, 1.0, 0.0])


@dataclass
class Street:
    road_half: float  # 0 for a park without a road
    walk_outer: float  # |x| of the sidewalk's outer edge
    people: list  # (x, z) of placed people
    vehicles: list  # (instance, lane x, heading sign)


def build_street(scene: Scene, rng: np.random.Generator, people: int | None = None) -> Street:
    park = rng.random() < 0.25
    road_half = 0.0 if park else float(rng.uniform(3.0, 7.5))
    walk = float(rng.uniform(1.5, 4.5))
    street = Street(road_half, road_half + walk, [], [])
    scene.add_quad(
        (0, 0, 0),
        (0, 0, 1),
        (1, 0, 0),
        2000,
        2000,
        scene.add_material(palettes.ground(rng)),
        "ground",
        casts_shadow=False,
    )
    if not park:
        road = scene.add_material(palettes.asphalt(rng, road_half))
        scene.add_quad(
            (0, 0.002, FAR / 2 - 20),
            (0, 0, 1),
            (1, 0, 0),
            FAR / 2 + 20,
            road_half,
            road,
            "road",
            casts_shadow=False,
        )
        pavement = scene.add_material(palettes.concrete(rng))
        kerb = rng.uniform(0.1, 0.18)
        for sign in (-1, 1):
            scene.add_box(
                (sign * (road_half + walk / 2), kerb / 2, FAR / 2 - 20),
                (walk / 2, kerb / 2, FAR / 2 + 20),
                pavement,
                "sidewalk",
                casts_shadow=False,
            )
        for sign in (-1, 1):
            _buildings(scene, rng, sign, street.walk_outer)
        _vehicles(scene, rng, street)
    else:
        path = scene.add_material(palettes.concrete(rng))
        scene.add_quad(
            (0, 0.003, FAR / 2 - 20),
            (0, 0, 1),
            (1, 0, 0),
            FAR / 2 + 20,
            walk / 2,
            path,
            "sidewalk",
            casts_shadow=False,
        )
        for sign in (-1, 1):
            if rng.random() < 0.6:
                _buildings(scene, rng, sign, rng.uniform(40, 80))
    _street_furniture(scene, rng, street, park)
    count = int(rng.integers(0, 6)) if people is None else people
    for _ in range(count):
        sign = rng.choice([-1, 1])
        x = (
            sign * rng.uniform(road_half + 0.4, street.walk_outer - 0.3)
            if not park
            else (rng.uniform(-6, 6))
        )
        z = rng.uniform(3.0, 30.0)
        add_person(scene, rng, (x, z), rng.uniform(-np.pi, np.pi))
        street.people.append((x, z))
    _sky(scene, rng)
    scene.max_depth = 80.0
    return street


def _buildings(scene, rng, sign, inner_x):
    z = -rng.uniform(5, 20)
    while z < FAR:
        width = rng.uniform(6, 25)
        if rng.random() < 0.12:  # a gap between buildings
            z += width * 0.5
            continue
        depth, height = rng.uniform(10, 20), rng.uniform(5, 45) * rng.choice([0.5, 1.0])
        setback = rng.uniform(0.0, 2.0) if rng.random() < 0.7 else rng.uniform(3, 10)
        x = sign * (inner_x + setback + depth / 2)
        face = scene.add_material(palettes.facade(rng))
        inst = scene.new_instance()
        scene.add_box(
            (x, height / 2, z + width / 2),
            (depth / 2, height / 2, width / 2),
            face,
            "building",
            instance=inst,
        )
        trim = scene.add_material(palettes.painted(rng, saturation=(0.0, 0.3)))
        scene.add_box(
            (x, height + 0.15, z + width / 2),
            (depth / 2 + 0.3, 0.15, width / 2 + 0.3),
            trim,
            "building",
            instance=inst,
        )
        if rng.random() < 0.5:  # shop front on the ground floor
            shop = scene.add_material(palettes.facade(rng))
            scene.add_box(
                (x - sign * 0.15, 1.8, z + width / 2),
                (depth / 2, 1.8, width / 2 - 0.2),
                shop,
                "building",
                instance=inst,
            )
        z += width + rng.uniform(0.0, 1.0)


def car(scene, rng, base, yaw, moving: bool) -> int:
    """A car or van on the ground at ``base`` heading along ``yaw``; returns its instance."""
    p = Placement(scene, base, yaw, "vehicle", True)
    paint, glass = (
        scene.add_material(palettes.car_paint(rng)),
        scene.add_material(palettes.glass(rng)),
    )
    tyre = scene.add_material(palettes.rubber(rng))
    van = rng.random() < 0.2
    hx, hz = rng.uniform(0.85, 1.0), rng.uniform(1.9, 2.4) * (1.25 if van else 1.0)
    body_h = rng.uniform(0.3, 0.4) * (1.6 if van else 1.0)
    wheel_r = rng.uniform(0.3, 0.36)
    p.box((0, wheel_r + body_h, 0), (hx, body_h, hz), paint)
    cabin_h = rng.uniform(0.25, 0.35) * (1.3 if van else 1.0)
    p.box(
        (0, wheel_r + 2 * body_h + cabin_h, -0.15 * hz),
        (hx - 0.08, cabin_h, hz * (0.8 if van else rng.uniform(0.45, 0.6))),
        glass,
    )
    for sx in (-1, 1):
        for sz in (-1, 1):
            at = (sx * (hx - 0.11), wheel_r, sz * (hz - 0.7))
            p.cylinder((at[0] - 0.11, at[1], at[2]), (at[0] + 0.11, at[1], at[2]), wheel_r, tyre)
        p.box(
            (sx * (hx - 0.2), wheel_r + body_h * 1.4, hz),
            (0.15, 0.06, 0.02),
            scene.add_material(palettes.lamp(rng, emission=0.8)),
        )
    return p.common["instance"]


def _vehicles(scene, rng, street: Street):
    for sign in (-1, 1):  # parked along the kerb, clear of the camera spots near z = 0
        z = rng.uniform(4, 12)
        while z < 70:
            if rng.random() < 0.55:
                car(
                    scene,
                    rng,
                    (sign * (street.road_half - 1.2), 0, z),
                    rng.choice([0, np.pi]),
                    False,
                )
            z += rng.uniform(5.0, 12.0)
    for _ in range(int(rng.integers(0, 4))):  # in the lanes, possibly moving
        sign = rng.choice([-1, 1])
        lane = sign * street.road_half * rng.uniform(0.3, 0.5)
        heading = 0.0 if sign > 0 else np.pi
        inst = car(scene, rng, (lane, 0, rng.uniform(6, 60)), heading, True)
        street.vehicles.append((inst, lane, 1.0 if sign > 0 else -1.0))


def _street_furniture(scene, rng, street: Street, park: bool):
    metal = scene.add_material(palettes.metal(rng))
    kerb_x = street.road_half + 0.4 if not park else street.walk_outer / 2 + 0.5
    z, poles = rng.uniform(3, 10), []
    spacing = rng.uniform(14, 30)
    side = rng.choice([-1, 1])
    while z < 110:  # street lights or utility poles, wired together
        x = side * kerb_x
        top = rng.uniform(5.5, 9.0)
        scene.add_cylinder(
            (x, 0, z),
            (x, top, z),
            rng.uniform(0.07, 0.13),
            metal,
            "pole",
            instance=scene.new_instance(),
        )
        if not park and rng.random() < 0.7:
            reach = (x - side * rng.uniform(1.0, 2.5), top - 0.3, z)
            scene.add_capsule((x, top - 0.3, z), reach, 0.04, metal, "pole")
            scene.add_box(
                (reach[0], reach[1] - 0.1, z),
                (0.3, 0.06, 0.15),
                scene.add_material(palettes.lamp(rng, 0.5)),
                "pole",
            )
        poles.append((x, top, z))
        z += spacing
    if rng.random() < 0.6:
        for (x0, y0, z0), (x1, y1, z1) in itertools.pairwise(poles):
            for k in range(int(rng.integers(1, 4))):
                a, b = np.array([x0, y0 - 0.25 * k, z0]), np.array([x1, y1 - 0.25 * k, z1])
                sag = rng.uniform(0.3, 1.0)
                points = [
                    a + (b - a) * f - UP_SAG * sag * 4 * f * (1 - f) for f in np.linspace(0, 1, 5)
                ]
                for p, q in itertools.pairwise(points):
                    scene.add_capsule(p, q, 0.012, metal, "pole")
    for _ in range(int(rng.integers(0, 4))):  # signs
        x, z = rng.choice([-1, 1]) * kerb_x, rng.uniform(3, 50)
        scene.add_cylinder((x, 0, z), (x, 2.6, z), 0.035, metal, "pole")
        plate = scene.add_material(palettes.pattern(rng))
        scene.add_cylinder(
            (x, 2.3, z - 0.02), (x, 2.3, z + 0.02), rng.uniform(0.3, 0.45), plate, "pole"
        )
    if rng.random() < 0.5:  # a railing along one sidewalk's outer edge
        x = rng.choice([-1, 1]) * (street.walk_outer - 0.2)
        z0 = rng.uniform(0, 10)
        z1 = z0 + rng.uniform(8, 30)
        for z in np.arange(z0, z1, rng.uniform(1.2, 2.5)):
            scene.add_cylinder((x, 0, z), (x, 1.0, z), 0.025, metal, "pole")
        for y in (0.5, 1.0):
            scene.add_cylinder((x, y, z0), (x, y, z1), 0.02, metal, "pole")
    tree_side_x = street.walk_outer - 0.8 if not park else None
    for _ in range(int(rng.integers(2, 14 if park else 8))):
        if park:
            x, z = rng.uniform(-30, 30), rng.uniform(4, 90)
            if abs(x) < street.walk_outer:
                continue
        else:
            x, z = rng.choice([-1, 1]) * tree_side_x, rng.uniform(2, 80)
        tree(scene, rng, (x, 0, z))


def tree(scene, rng, base) -> None:
    p = Placement(scene, base, rng.uniform(0, 6.3), "vegetation", False)
    bark = scene.add_material(palettes.bark(rng))
    leaves = scene.add_material(palettes.foliage(rng))
    trunk = rng.uniform(2.0, 4.5)
    radius = rng.uniform(0.1, 0.28)
    p.cylinder((0, 0, 0), (0, trunk, 0), radius, bark)
    crown = rng.uniform(1.5, 3.2)
    for _ in range(int(rng.integers(3, 7))):
        offset = rng.normal(0, crown * 0.4, size=3)
        centre = (offset[0], trunk + crown * 0.8 + offset[1] * 0.6, offset[2])
        p.capsule((0, trunk * 0.8, 0), centre, radius * 0.35, bark)
        p.sphere(centre, crown * rng.uniform(0.45, 0.75), leaves)


def _sky(scene: Scene, rng: np.random.Generator) -> None:
    elevation = np.radians(rng.uniform(8, 70))
    azimuth = rng.uniform(0, 2 * np.pi)
    to_sun = np.array(
        [
            np.cos(elevation) * np.sin(azimuth),
            np.sin(elevation),
            np.cos(elevation) * np.cos(azimuth),
        ]
    )
    low = 1.0 - min(1.0, np.degrees(elevation) / 35)
    overcast = rng.random() < 0.25
    sun = np.array([1.0, 0.95 - 0.2 * low, 0.88 - 0.4 * low]) * rng.uniform(2.5, 4.0)
    zenith = np.array(palettes.hsv(rng, (0.55, 0.62), (0.45, 0.8), (0.55, 0.9)))
    horizon = np.array(
        palettes.hsv(
            rng, rng.choice([0.08, 0.58]) + rng.uniform(-0.03, 0.03), (0.03, 0.25), (0.8, 1.0)
        )
    )
    if overcast:
        sun *= 0.25
        grey = np.array(palettes.hsv(rng, 0.6, (0.0, 0.08), (0.6, 0.9)))
        zenith, horizon = grey * 0.8, grey
    scene.light = Light("sun", tuple(to_sun), tuple(sun))
    scene.environment = Environment(
        zenith=tuple(zenith),
        horizon=tuple(horizon),
        clouds=0.0 if overcast else rng.uniform(0.0, 0.7),
        ambient_sky=tuple(zenith * rng.uniform(0.4, 0.8) + horizon * 0.2),
        ambient_ground=tuple(np.array([0.12, 0.11, 0.09]) * rng.uniform(0.6, 1.4)),
        fog_color=tuple(horizon),
        fog_density=float(
            rng.choice(
                [0.0, rng.uniform(0.002, 0.012), rng.uniform(0.01, 0.03)], p=[0.4, 0.45, 0.15]
            )
        ),
        sun_disk=not overcast,
    )
