"""Furniture-like compositions of primitives: tables, chairs, shelves, cabinets, sofas, beds,
plants, lamps, stairs with railings and table-top clutter. Each builder places one object at a
floor position with a yaw (local +z is the object's front) and returns its footprint radius."""

from __future__ import annotations

import itertools

import numpy as np

from monocle.synth import palettes
from monocle.synth.scene import Scene, _yaw_matrix


class Placement:
    """Local-to-world mapping of one object: ``base`` on the floor, turned by ``yaw``."""

    def __init__(self, scene: Scene, base, yaw: float, semantic: str, foreground: bool):
        self.scene, self.base, self.yaw = scene, np.asarray(base, dtype=np.float64), yaw
        self.rotation = _yaw_matrix(yaw)
        self.common = {
            "semantic": semantic,
            "instance": scene.new_instance(),
            "foreground": foreground,
        }

    def at(self, local) -> np.ndarray:
        return self.base + self.rotation @ np.asarray(local, dtype=np.float64)

    def box(self, centre, half, material, **extra):
        self.scene.add_box(
            self.at(centre), half, material, yaw=self.yaw, **{**self.common, **extra}
        )

    def cylinder(self, a, b, radius, material):
        self.scene.add_cylinder(self.at(a), self.at(b), radius, material, **self.common)

    def capsule(self, a, b, radius, material):
        self.scene.add_capsule(self.at(a), self.at(b), radius, material, **self.common)

    def sphere(self, centre, radius, material):
        self.scene.add_sphere(self.at(centre), radius, material, **self.common)


def clutter(scene: Scene, rng: np.random.Generator, base, yaw: float, area: tuple) -> None:
    """Small objects (cups, bottles, books, bowls, boxes) on a surface at ``base`` (its top
    centre) within half extents ``area`` = (hx, hz)."""
    for _ in range(int(rng.integers(0, 5))):
        spot = (rng.uniform(-0.8, 0.8) * area[0], 0.0, rng.uniform(-0.8, 0.8) * area[1])
        item = Placement(
            scene, np.asarray(base) + _yaw_matrix(yaw) @ spot, rng.uniform(0, 6.3), "object", True
        )
        material = scene.add_material(palettes.any_object(rng))
        choice = rng.random()
        if choice < 0.3:  # cup or bottle
            r, tall = rng.uniform(0.03, 0.05), rng.uniform(0.08, 0.3)
            item.cylinder((0, 0, 0), (0, tall, 0), r, material)
            if tall > 0.2:
                item.capsule((0, tall, 0), (0, tall + 0.06, 0), r * 0.4, material)
        elif choice < 0.55:  # a stack of books
            for level in range(int(rng.integers(1, 4))):
                half = (rng.uniform(0.08, 0.15), rng.uniform(0.01, 0.025), rng.uniform(0.1, 0.15))
                book = scene.add_material(palettes.painted(rng))
                item.box((0, level * 0.05 + half[1], 0), half, book)
        elif choice < 0.75:  # bowl / fruit / ball
            r = rng.uniform(0.04, 0.12)
            item.sphere((0, r, 0), r, material)
        else:
            half = rng.uniform(0.04, 0.15, size=3)
            item.box((0, half[1], 0), half, material)


def table(scene, rng, base, yaw) -> float:
    p = Placement(scene, base, yaw, "furniture", True)
    wood = scene.add_material(palettes.wood(rng) if rng.random() < 0.7 else palettes.painted(rng))
    hx, hz = rng.uniform(0.35, 0.9), rng.uniform(0.3, 0.5)
    height, thick = rng.uniform(0.7, 0.78), rng.uniform(0.02, 0.05)
    p.box((0, height - thick / 2, 0), (hx, thick / 2, hz), wood)
    leg_r = rng.uniform(0.015, 0.04)
    for sx in (-1, 1):
        for sz in (-1, 1):
            p.cylinder(
                (sx * (hx - 0.06), 0, sz * (hz - 0.06)),
                (sx * (hx - 0.06), height - thick, sz * (hz - 0.06)),
                leg_r,
                wood,
            )
    clutter(scene, rng, p.at((0, height, 0)), yaw, (hx, hz))
    return float(np.hypot(hx, hz))


def chair(scene, rng, base, yaw) -> float:
    p = Placement(scene, base, yaw, "furniture", True)
    material = scene.add_material(
        palettes.wood(rng) if rng.random() < 0.6 else palettes.painted(rng)
    )
    half, seat = rng.uniform(0.2, 0.25), rng.uniform(0.42, 0.48)
    p.box((0, seat, 0), (half, 0.02, half), material)
    for sx in (-1, 1):
        for sz in (-1, 1):
            p.cylinder(
                (sx * (half - 0.03), 0, sz * (half - 0.03)),
                (sx * (half - 0.03), seat - 0.02, sz * (half - 0.03)),
                0.015,
                material,
            )
    back = seat + rng.uniform(0.35, 0.5)
    if rng.random() < 0.5:
        p.box(
            (0, (seat + back) / 2 + 0.1, -half + 0.02),
            (half, (back - seat) / 2 - 0.1, 0.015),
            material,
        )
        for sx in (-1, 1):
            p.cylinder(
                (sx * (half - 0.03), seat, -half + 0.02),
                (sx * (half - 0.03), back, -half + 0.02),
                0.015,
                material,
            )
    else:  # slatted back: thin vertical bars
        for x in np.linspace(-half + 0.03, half - 0.03, int(rng.integers(3, 7))):
            p.cylinder((x, seat, -half + 0.02), (x, back, -half + 0.02), 0.012, material)
        p.box((0, back, -half + 0.02), (half, 0.025, 0.02), material)
    return half * 1.5


def shelf(scene, rng, base, yaw) -> float:
    p = Placement(scene, base, yaw, "furniture", True)
    frame = scene.add_material(palettes.wood(rng) if rng.random() < 0.6 else palettes.painted(rng))
    hx, hz, height = rng.uniform(0.35, 0.9), rng.uniform(0.15, 0.22), rng.uniform(1.0, 2.2)
    for sx in (-1, 1):
        p.box((sx * hx, height / 2, 0), (0.015, height / 2, hz), frame)
    p.box((0, height / 2, -hz), (hx, height / 2, 0.008), frame)
    levels = np.linspace(0.05, height, int(rng.integers(3, 6)))
    for y in levels:
        p.box((0, y, 0), (hx, 0.012, hz), frame)
    for lo, hi in itertools.pairwise(levels):
        x = -hx + 0.02
        while x < hx - 0.1 and rng.random() < 0.93:
            width = rng.uniform(0.015, 0.05)
            tall = min(hi - lo - 0.03, rng.uniform(0.15, 0.32))
            if rng.random() < 0.85:
                book = scene.add_material(palettes.painted(rng))
                p.box(
                    (x + width, lo + 0.012 + tall / 2, 0.01),
                    (width, tall / 2, hz * rng.uniform(0.6, 0.9)),
                    book,
                    foreground=True,
                )
            x += 2 * width + rng.uniform(0.0, 0.06)
    return float(np.hypot(hx, hz))


def cabinet(scene, rng, base, yaw) -> float:
    p = Placement(scene, base, yaw, "furniture", True)
    body = scene.add_material(palettes.wood(rng) if rng.random() < 0.5 else palettes.painted(rng))
    handle = scene.add_material(palettes.metal(rng))
    hx, hz, height = rng.uniform(0.3, 0.9), rng.uniform(0.2, 0.3), rng.uniform(0.5, 1.1)
    p.box((0, height / 2, 0), (hx, height / 2, hz), body)
    doors = int(rng.integers(1, 4))
    for x in np.linspace(-hx, hx, doors + 2)[1:-1]:
        p.box((x, height * 0.7, hz + 0.015), (0.01, 0.05, 0.015), handle)
    clutter(scene, rng, p.at((0, height, 0)), yaw, (hx, hz))
    return float(np.hypot(hx, hz))


def sofa(scene, rng, base, yaw) -> float:
    p = Placement(scene, base, yaw, "furniture", True)
    cloth = scene.add_material(palettes.fabric(rng))
    hx, hz = rng.uniform(0.7, 1.2), rng.uniform(0.38, 0.48)
    p.box((0, 0.22, 0), (hx, 0.2, hz), cloth)
    p.box((0, 0.55, -hz + 0.1), (hx, 0.3, 0.1), cloth)
    for sx in (-1, 1):
        p.box((sx * (hx - 0.08), 0.35, 0), (0.08, 0.3, hz), cloth)
    for x in np.linspace(-hx + 0.35, hx - 0.35, int(rng.integers(1, 4))):
        pillow = scene.add_material(palettes.fabric(rng))
        p.box((x, 0.55, -hz + 0.28), (0.18, 0.16, 0.06), pillow)
    return float(np.hypot(hx, hz))


def bed(scene, rng, base, yaw) -> float:
    p = Placement(scene, base, yaw, "furniture", True)
    frame = scene.add_material(palettes.wood(rng))
    sheet = scene.add_material(palettes.fabric(rng))
    hx, hz = rng.uniform(0.45, 0.9), rng.uniform(0.95, 1.05)
    p.box((0, 0.2, 0), (hx, 0.2, hz), frame)
    p.box((0, 0.47, 0.02), (hx - 0.02, 0.08, hz - 0.04), sheet)
    p.box((0, 0.6, -hz), (hx, 0.6, 0.04), frame)
    for x in np.linspace(-hx * 0.5, hx * 0.5, 2 if hx > 0.6 else 1):
        p.box((x, 0.6, -hz + 0.25), (min(0.3, hx * 0.45), 0.07, 0.15), sheet)
    return float(np.hypot(hx, hz))


def plant(scene, rng, base, yaw) -> float:
    p = Placement(scene, base, yaw, "object", True)
    pot = scene.add_material(palettes.painted(rng))
    leaves = scene.add_material(palettes.foliage(rng))
    r, tall = rng.uniform(0.1, 0.25), rng.uniform(0.2, 0.45)
    p.cylinder((0, 0, 0), (0, tall, 0), r, pot)
    top = tall + rng.uniform(0.2, 0.8)
    for _ in range(int(rng.integers(2, 5))):
        tip = (rng.uniform(-r, r), top * rng.uniform(0.8, 1.1), rng.uniform(-r, r))
        p.cylinder((0, tall - 0.02, 0), tip, 0.008, leaves)
        p.sphere(tip, rng.uniform(0.1, 0.22), leaves)
    return r * 1.8


def floor_lamp(scene, rng, base, yaw) -> float:
    p = Placement(scene, base, yaw, "object", True)
    metal = scene.add_material(palettes.metal(rng))
    shade = scene.add_material(palettes.lamp(rng, emission=rng.uniform(0.3, 1.0)))
    tall = rng.uniform(1.3, 1.8)
    p.cylinder((0, 0, 0), (0, 0.03, 0), 0.15, metal)
    p.cylinder((0, 0.03, 0), (0, tall, 0), 0.012, metal)
    p.cylinder((0, tall - 0.05, 0), (0, tall + 0.2, 0), rng.uniform(0.15, 0.22), shade)
    return 0.25


def stairs(scene, rng, base, yaw, floor_height: float) -> float:
    """A straight flight with a railing of thin balusters on its open side."""
    p = Placement(scene, base, yaw, "furniture", False)
    tread = scene.add_material(palettes.wood(rng))
    rail = scene.add_material(palettes.metal(rng))
    width, steps = rng.uniform(0.8, 1.2), int(rng.integers(6, 14))
    rise, run = floor_height / steps, rng.uniform(0.25, 0.3)
    for i in range(steps):
        p.box((0, rise * (i + 0.5), run * (i + 0.5)), (width / 2, rise / 2, run / 2), tread)
    side = width / 2 - 0.04
    for i in range(steps):
        y0 = rise * (i + 1)
        p.cylinder((side, y0, run * (i + 0.5)), (side, y0 + 0.9, run * (i + 0.5)), 0.012, rail)
    p.capsule(
        (side, rise + 0.9, run * 0.5), (side, rise * steps + 0.9, run * (steps - 0.5)), 0.025, rail
    )
    return float(np.hypot(width / 2, run * steps / 2))


WALL_ITEMS = (shelf, shelf, cabinet, cabinet, sofa, bed, plant, floor_lamp)
FREE_ITEMS = (table, chair, chair, plant, cabinet)
