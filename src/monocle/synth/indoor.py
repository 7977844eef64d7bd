"""Indoor rooms: floor, walls with windows and doorways, ceiling, lamp, furniture, people."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from monocle.synth import furniture, palettes
from monocle.synth.people import add_person
from monocle.synth.scene import Environment, Light, Scene

UP = np.array([0.0, 1.0, 0.0])


@dataclass
class Room:
    """Room box: x in [-half_width, half_width], z in [0, depth], y in [0, height]."""

    half_width: float
    depth: float
    height: float
    occupied: list  # (x, z, radius) footprints already used on the floor

    def free_spot(self, rng, radius, margin=0.3, tries=30, z_min=1.2):
        """A floor point where a disc of ``radius`` overlaps nothing placed so far, or None."""
        for _ in range(tries):
            x = rng.uniform(-self.half_width + radius + margin, self.half_width - radius - margin)
            z = rng.uniform(z_min + radius, self.depth - radius - margin)
            if all(np.hypot(x - ox, z - oz) > radius + orad for ox, oz, orad in self.occupied):
                self.occupied.append((x, z, radius))
                return x, z
        return None


def _wall(scene, corner, along, inward, length, height, holes, material, frame_mat):
    """A wall plane from ``corner`` along ``along``, cut by rectangular ``holes``
    [(x0, x1, y0, y1), ...] sorted along the wall; each hole gets a frame."""
    corner, along, inward = (np.asarray(v, dtype=np.float64) for v in (corner, along, inward))

    def panel(x0, x1, y0, y1):
        if x1 - x0 > 1e-3 and y1 - y0 > 1e-3:
            centre = corner + along * (x0 + x1) / 2 + UP * (y0 + y1) / 2
            scene.add_quad(
                centre,
                along,
                UP,
                (x1 - x0) / 2,
                (y1 - y0) / 2,
                material,
                "wall",
                casts_shadow=False,
            )

    x = 0.0
    for x0, x1, y0, y1 in holes:
        panel(x, x0, 0.0, height)
        panel(x0, x1, 0.0, y0)
        panel(x0, x1, y1, height)
        x = x1
        bars = [
            ((x0 + x1) / 2, y0, (x1 - x0) / 2 + 0.04, 0.04),
            ((x0 + x1) / 2, y1, (x1 - x0) / 2 + 0.04, 0.04),
            (x0, (y0 + y1) / 2, 0.04, (y1 - y0) / 2),
            (x1, (y0 + y1) / 2, 0.04, (y1 - y0) / 2),
        ]
        if y0 > 0.3:  # windows get a mullion cross; doorways only a frame
            bars += [
                ((x0 + x1) / 2, (y0 + y1) / 2, 0.025, (y1 - y0) / 2),
                ((x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, 0.025),
            ]
        for bx, by, hx, hy in bars:
            if y0 <= 0.0 and by <= 0.0:
                continue
            scene.add_box(
                corner + along * bx + UP * by,
                (hx, hy, 0.07),
                frame_mat,
                "wall",
                rotation=np.stack([along, UP, np.cross(along, UP)], axis=1),
            )
    panel(x, length, 0.0, height)


def _holes(rng, length, height, allow_door):
    holes, x = [], rng.uniform(0.3, 1.0)
    while x < length - 1.0:
        if allow_door and rng.random() < 0.35:
            width = rng.uniform(0.8, 1.0)
            if x + width < length - 0.2:
                holes.append((x, x + width, 0.0, min(2.1, height - 0.2), "door"))
                allow_door = False
        elif rng.random() < 0.5:
            width = rng.uniform(0.8, min(2.5, length - x - 0.2))
            sill = rng.uniform(0.6, 1.0)
            holes.append(
                (x, x + width, sill, min(height - 0.25, sill + rng.uniform(1.1, 1.7)), "window")
            )
        x = (holes[-1][1] if holes else x) + rng.uniform(0.5, 2.0)
    return holes


def build_room(
    scene: Scene, rng: np.random.Generator, people: int | None = None, reserve=()
) -> Room:
    """Fill ``scene`` with a furnished room; returns the room for camera placement.
    ``reserve`` lists floor discs (x, z, radius) to keep free (for a portrait subject)."""
    room = Room(rng.uniform(1.5, 4.0), rng.uniform(3.5, 10.0), rng.uniform(2.4, 3.4), [*reserve])
    hw, depth, height = room.half_width, room.depth, room.height
    wall_mat = scene.add_material(palettes.wall_paint(rng))
    frame_mat = scene.add_material(palettes.painted(rng, saturation=(0.0, 0.3)))
    floor_mat = scene.add_material(palettes.floor_surface(rng))
    scene.add_quad(
        (0, 0, depth / 2),
        (1, 0, 0),
        (0, 0, 1),
        hw,
        depth / 2,
        floor_mat,
        "floor",
        casts_shadow=False,
    )
    scene.add_quad(
        (0, height, depth / 2),
        (1, 0, 0),
        (0, 0, 1),
        hw,
        depth / 2,
        scene.add_material(palettes.ceiling(rng)),
        "ceiling",
        casts_shadow=False,
    )
    outside = scene.add_material(replace(palettes.ground(rng), emission=1.0))
    scene.add_quad(
        (0, -0.05, 0), (1, 0, 0), (0, 0, 1), 500, 500, outside, "ground", casts_shadow=False
    )
    # Walls: back, left, right, front (behind the camera), listed as corner/along/inward.
    walls = [
        ((-hw, 0, depth), (1, 0, 0), (0, 0, -1), 2 * hw),
        ((-hw, 0, 0), (0, 0, 1), (1, 0, 0), depth),
        ((hw, 0, depth), (0, 0, -1), (-1, 0, 0), depth),
        ((hw, 0, 0), (-1, 0, 0), (0, 0, 1), 2 * hw),
    ]
    door_walls = set(rng.choice(3, size=int(rng.integers(0, 3)), replace=False).tolist())
    for index, (corner, along, inward, length) in enumerate(walls):
        holes = _holes(rng, length, height, index in door_walls) if index < 3 else []
        _wall(
            scene,
            corner,
            along,
            inward,
            length,
            height,
            [h[:4] for h in holes],
            wall_mat,
            frame_mat,
        )
        for x0, x1, _, y1, kind in holes:
            if kind == "door":
                _corridor(
                    scene,
                    rng,
                    np.asarray(corner) + np.asarray(along) * x0,
                    np.asarray(along),
                    -np.asarray(inward),
                    x1 - x0,
                    y1,
                )
        base = scene.add_material(palettes.painted(rng, saturation=(0.0, 0.3)))
        for x0, x1 in _gaps(holes, length):
            mid = np.asarray(corner) + np.asarray(along) * (x0 + x1) / 2 + UP * 0.05
            scene.add_box(
                mid + np.asarray(inward) * 0.01,
                ((x1 - x0) / 2, 0.05, 0.01),
                base,
                "wall",
                rotation=_frame(along),
            )
        if index < 3 and rng.random() < 0.6:
            _picture(scene, rng, corner, along, inward, length, holes)
    _furnish(scene, rng, room)
    count = int(rng.integers(0, 3)) if people is None else people
    for _ in range(count):
        spot = room.free_spot(rng, 0.35, z_min=1.5)
        if spot is not None:
            add_person(scene, rng, spot, rng.uniform(-np.pi, np.pi))
    lamp_pos = np.array(
        [rng.uniform(-hw, hw) * 0.6, height - rng.uniform(0.5, 0.9), rng.uniform(0.3, 0.8) * depth]
    )
    warmth = rng.uniform(0.0, 0.25)
    power = rng.uniform(6.0, 16.0) * (1.0 + 0.1 * depth)
    scene.light = Light(
        "point", tuple(lamp_pos), (power, power * (1 - warmth / 2), power * (1 - warmth))
    )
    lamp = scene.add_material(palettes.lamp(rng, emission=4.0))
    scene.add_sphere(lamp_pos + UP * 0.12, 0.1, lamp, "object", casts_shadow=False)
    scene.add_cylinder(
        lamp_pos + UP * 0.2,
        (lamp_pos[0], height, lamp_pos[2]),
        0.006,
        lamp,
        "pole",
        casts_shadow=False,
    )
    ambient = np.array([1.0, 0.95, 0.85]) * rng.uniform(0.12, 0.35)
    scene.environment = Environment(
        zenith=tuple(palettes.hsv(rng, (0.55, 0.62), (0.3, 0.6), (0.6, 0.95))),
        horizon=tuple(palettes.hsv(rng, (0.55, 0.62), (0.05, 0.2), (0.85, 1.0))),
        clouds=rng.uniform(0.0, 0.5),
        ambient_sky=tuple(ambient),
        ambient_ground=tuple(ambient * 0.6),
        fog_density=0.0,
    )
    scene.max_depth = 20.0
    return room


def _frame(along) -> np.ndarray:
    along = np.asarray(along, dtype=np.float64)
    return np.stack([along, UP, np.cross(along, UP)], axis=1)


def _gaps(holes, length):
    x, gaps = 0.0, []
    for x0, x1, y0, _, _ in holes:
        if y0 <= 0.0:
            gaps.append((x, x0))
            x = x1
    gaps.append((x, length))
    return [(a, b) for a, b in gaps if b - a > 0.05]


def _picture(scene, rng, corner, along, inward, length, holes):
    half = (rng.uniform(0.2, 0.6), rng.uniform(0.15, 0.45))
    x = rng.uniform(half[0] + 0.2, max(half[0] + 0.3, length - half[0] - 0.2))
    if any(x0 - half[0] < x < x1 + half[0] for x0, x1, *_ in holes):
        return
    y = rng.uniform(1.3, 1.8)
    art = scene.add_material(palettes.pattern(rng))
    centre = np.asarray(corner) + np.asarray(along) * x + UP * y + np.asarray(inward) * 0.02
    scene.add_box(
        centre,
        (half[0], half[1], 0.02),
        art,
        "object",
        instance=scene.new_instance(),
        rotation=_frame(along),
    )


def _corridor(scene, rng, start, along, outward, width, height):
    """A short dark-ish passage behind a doorway: floor, ceiling, two sides and an end wall."""
    length = rng.uniform(1.5, 4.0)
    mat = scene.add_material(palettes.wall_paint(rng))
    floor = scene.add_material(palettes.floor_surface(rng))
    mid = start + along * width / 2 + outward * length / 2
    scene.add_quad(mid, along, outward, width / 2, length / 2, floor, "floor", casts_shadow=False)
    scene.add_quad(
        mid + UP * height, along, outward, width / 2, length / 2, mat, "ceiling", casts_shadow=False
    )
    for side in (0.0, width):
        scene.add_quad(
            start + along * side + outward * length / 2 + UP * height / 2,
            outward,
            UP,
            length / 2,
            height / 2,
            mat,
            "wall",
            casts_shadow=False,
        )
    scene.add_quad(
        start + along * width / 2 + outward * length + UP * height / 2,
        along,
        UP,
        width / 2,
        height / 2,
        mat,
        "wall",
        casts_shadow=False,
    )


def _furnish(scene: Scene, rng: np.random.Generator, room: Room) -> None:
    hw, depth = room.half_width, room.depth
    if rng.random() < 0.25 and depth > 5.0:
        x = rng.choice([-1, 1]) * (hw - 0.6)
        radius = furniture.stairs(scene, rng, (x, 0, depth - 4.2), 0.0, room.height)
        room.occupied.append((x, depth - 2.5, radius))
    for _ in range(int(rng.integers(2, 6))):  # against the side and back walls
        builder = furniture.WALL_ITEMS[int(rng.integers(len(furniture.WALL_ITEMS)))]
        side = int(rng.integers(3))
        if side == 0:
            x, z, yaw = rng.uniform(-hw + 0.8, hw - 0.8), depth - 0.45, np.pi
        else:
            sign = -1 if side == 1 else 1
            x, z, yaw = sign * (hw - 0.45), rng.uniform(1.5, depth - 0.8), -sign * np.pi / 2
        if all(np.hypot(x - ox, z - oz) > 1.0 + orad for ox, oz, orad in room.occupied):
            radius = builder(scene, rng, (x, 0, z), yaw)
            room.occupied.append((x, z, radius))
    for _ in range(int(rng.integers(1, 5))):  # free standing
        builder = furniture.FREE_ITEMS[int(rng.integers(len(furniture.FREE_ITEMS)))]
        spot = room.free_spot(rng, 0.7)
        if spot is not None:
            builder(scene, rng, (spot[0], 0, spot[1]), rng.uniform(-np.pi, np.pi))
            if builder is furniture.table:
                for angle in rng.uniform(0, 2 * np.pi, size=int(rng.integers(0, 4))):
                    at = (spot[0] + 0.75 * np.sin(angle), 0, spot[1] + 0.75 * np.cos(angle))
                    furniture.chair(scene, rng, at, angle + np.pi)
    if rng.random() < 0.5:  # rug
        rug = scene.add_material(palettes.pattern(rng))
        scene.add_box(
            (rng.uniform(-0.5, 0.5), 0.005, depth * rng.uniform(0.35, 0.6)),
            (rng.uniform(0.6, 1.5), 0.005, rng.uniform(0.5, 1.2)),
            rug,
            "object",
            instance=scene.new_instance(),
            yaw=rng.uniform(-0.3, 0.3),
        )
