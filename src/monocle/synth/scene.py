"""Scene description: analytic primitives, materials, light, sky and sensor.

A :class:`Scene` is plain data built with ``add_*`` calls, so tests and users can place analytic
objects themselves. Every primitive is stored in one shared layout — ``origin`` (3), ``frame``
(3x3, columns are the local axes) and ``size`` (3) — interpreted per kind:

========== ================================ ======================================
kind        origin                           size
========== ================================ ======================================
quad        centre; frame = (u, v, normal)   (half_u, half_v, 0)
box         centre; frame = box axes         (half_x, half_y, half_z)
sphere      centre                           (radius, 0, 0)
capsule     end a; frame[:, 2] = axis a->b   (radius, length, 0)
cylinder    end a; frame[:, 2] = axis a->b   (radius, length, 0)
========== ================================ ======================================
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np

from monocle.synth.camera import Camera
from monocle.synth.sensor import SensorParams

KINDS = ("quad", "box", "sphere", "capsule", "cylinder")

CLASSES: dict[str, int] = {
    "sky": 0,
    "floor": 1,
    "wall": 2,
    "ceiling": 3,
    "object": 4,
    "person": 5,
    "ground": 6,
    "road": 7,
    "sidewalk": 8,
    "building": 9,
    "vegetation": 10,
    "vehicle": 11,
    "pole": 12,
    "furniture": 13,
}

TEXTURES = (
    "plain",
    "noise",
    "stripes",
    "checker",
    "tiles",
    "bricks",
    "wood",
    "marble",
    "facade",
    "road",
    "foliage",
)


@dataclass(frozen=True)
class Material:
    """Surface appearance. Colours are linear RGB in [0, 1].

    ``scale`` is pattern cells per metre; ``param`` is texture specific (stripe width, road
    half-width, window fraction); ``grime`` is the strength of a low-frequency brightness mix.
    """

    texture: str = "plain"
    colors: tuple = ((0.5, 0.5, 0.5), (0.3, 0.3, 0.3), (0.1, 0.1, 0.1))
    scale: float = 1.0
    specular: float = 0.04
    shininess: float = 16.0
    emission: float = 0.0
    param: float = 0.5
    grime: float = 0.15

    def __post_init__(self) -> None:
        if self.texture not in TEXTURES:
            raise ValueError(f"unknown texture {self.texture!r}; choose one of {TEXTURES}")


@dataclass
class Light:
    """One shadow-casting light: ``kind`` "sun" (``vector`` = unit direction towards the sun)
    or "point" (``vector`` = position). ``color`` is its linear radiance scale."""

    kind: str = "sun"
    vector: tuple = (0.3, 0.8, 0.2)
    color: tuple = (3.0, 2.9, 2.7)


@dataclass
class Environment:
    """Sky, ambient light and fog (all colours linear RGB)."""

    zenith: tuple = (0.15, 0.3, 0.65)
    horizon: tuple = (0.6, 0.7, 0.85)
    clouds: float = 0.3
    ambient_sky: tuple = (0.25, 0.3, 0.38)
    ambient_ground: tuple = (0.12, 0.11, 0.1)
    fog_color: tuple = (0.6, 0.68, 0.78)
    fog_density: float = 0.0
    sun_disk: bool = True


@dataclass
class Scene:
    """A renderable scene. Build with the ``add_*`` methods; ``camera`` is the default view."""

    light: Light = field(default_factory=Light)
    environment: Environment = field(default_factory=Environment)
    camera: Camera | None = None
    max_depth: float = 80.0
    sensor: SensorParams = field(default_factory=SensorParams)
    materials: list[Material] = field(default_factory=list)
    kind: list[int] = field(default_factory=list)
    origin: list[np.ndarray] = field(default_factory=list)
    frame: list[np.ndarray] = field(default_factory=list)
    size: list[np.ndarray] = field(default_factory=list)
    material: list[int] = field(default_factory=list)
    instance: list[int] = field(default_factory=list)
    semantic: list[int] = field(default_factory=list)
    foreground: list[bool] = field(default_factory=list)
    casts_shadow: list[bool] = field(default_factory=list)
    velocity: dict[int, np.ndarray] = field(default_factory=dict)
    baseline: float | None = None
    meta: dict = field(default_factory=dict)
    _next_instance: int = 1

    def __len__(self) -> int:
        return len(self.kind)

    def add_material(self, material: Material) -> int:
        self.materials.append(material)
        return len(self.materials) - 1

    def new_instance(self) -> int:
        """A fresh instance id (0 is reserved for "stuff": sky, floor, walls, ground, road)."""
        self._next_instance += 1
        return self._next_instance - 1

    def _add(self, kind, origin, frame, size, material, semantic, instance, foreground, shadow):
        if semantic not in CLASSES:
            raise ValueError(f"unknown semantic class {semantic!r}; choose one of {list(CLASSES)}")
        if not 0 <= material < len(self.materials):
            raise ValueError(f"material {material} not in this scene; add it with add_material")
        self.kind.append(KINDS.index(kind))
        self.origin.append(np.asarray(origin, dtype=np.float64))
        self.frame.append(np.asarray(frame, dtype=np.float64))
        self.size.append(np.asarray(size, dtype=np.float64))
        self.material.append(int(material))
        self.semantic.append(CLASSES[semantic])
        self.instance.append(int(instance))
        self.foreground.append(bool(foreground))
        self.casts_shadow.append(bool(shadow))

    def add_quad(
        self,
        center,
        axis_u,
        axis_v,
        half_u,
        half_v,
        material,
        semantic="wall",
        instance=0,
        foreground=False,
        casts_shadow=True,
    ) -> None:
        """Rectangle centred at ``center`` spanning ±half_u along ``axis_u``, ±half_v along
        ``axis_v`` (orthogonal unit vectors; texture v runs along axis_v). Two-sided."""
        u, v = _unit(axis_u), _unit(axis_v)
        frame = np.stack([u, v, _cross(u, v)], axis=1)
        self._add(
            "quad",
            center,
            frame,
            (half_u, half_v, 0.0),
            material,
            semantic,
            instance,
            foreground,
            casts_shadow,
        )

    def add_box(
        self,
        center,
        half_size,
        material,
        semantic="object",
        instance=0,
        foreground=False,
        yaw=0.0,
        rotation=None,
        casts_shadow=True,
    ) -> None:
        """Box centred at ``center`` with half extents ``half_size``, turned by ``yaw`` radians
        about the world up axis, or by the 3x3 ``rotation`` (columns = box axes)."""
        frame = _yaw_matrix(yaw) if rotation is None else np.asarray(rotation, dtype=np.float64)
        self._add(
            "box", center, frame, half_size, material, semantic, instance, foreground, casts_shadow
        )

    def add_sphere(
        self,
        center,
        radius,
        material,
        semantic="object",
        instance=0,
        foreground=False,
        casts_shadow=True,
    ) -> None:
        self._add(
            "sphere",
            center,
            np.eye(3),
            (radius, 0.0, 0.0),
            material,
            semantic,
            instance,
            foreground,
            casts_shadow,
        )

    def add_capsule(
        self,
        end_a,
        end_b,
        radius,
        material,
        semantic="object",
        instance=0,
        foreground=False,
        casts_shadow=True,
    ) -> None:
        """Segment a-b swept by a sphere of ``radius`` (rounded ends)."""
        self._add_segment(
            "capsule", end_a, end_b, radius, material, semantic, instance, foreground, casts_shadow
        )

    def add_cylinder(
        self,
        end_a,
        end_b,
        radius,
        material,
        semantic="object",
        instance=0,
        foreground=False,
        casts_shadow=True,
    ) -> None:
        """Capped cylinder with flat end discs at a and b."""
        self._add_segment(
            "cylinder", end_a, end_b, radius, material, semantic, instance, foreground, casts_shadow
        )

    def _add_segment(self, kind, a, b, radius, material, semantic, instance, foreground, shadow):
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        length = float(np.linalg.norm(b - a))
        if length < 1e-9:
            raise ValueError(f"{kind} ends coincide at {a}; give two distinct end points")
        axis = (b - a) / length
        helper = np.array([1.0, 0.0, 0.0]) if abs(axis[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
        e1 = _unit(_cross(helper, axis))
        frame = np.stack([e1, _cross(axis, e1), axis], axis=1)
        self._add(
            kind, a, frame, (radius, length, 0.0), material, semantic, instance, foreground, shadow
        )

    def without_foreground(self) -> Scene:
        """A copy with every foreground primitive removed (for background layers)."""
        keep = [i for i, fg in enumerate(self.foreground) if not fg]
        return self._subset(keep)

    def moved(self, seconds: float) -> Scene:
        """A copy where every instance with a velocity has moved for ``seconds``."""
        moved = self._subset(range(len(self)))
        for i, inst in enumerate(moved.instance):
            if inst in self.velocity:
                moved.origin[i] = moved.origin[i] + self.velocity[inst] * seconds
        return moved

    def _subset(self, indices) -> Scene:
        out = copy.copy(self)
        for name in PER_PRIMITIVE:
            setattr(out, name, [getattr(self, name)[i] for i in indices])
        out.velocity = dict(self.velocity)
        out.meta = dict(self.meta)
        return out


PER_PRIMITIVE = (
    "kind",
    "origin",
    "frame",
    "size",
    "material",
    "instance",
    "semantic",
    "foreground",
    "casts_shadow",
)


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """np.cross for two 3-vectors, the same arithmetic without its per-call overhead (scene
    building makes thousands of frames)."""
    return np.array(
        [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
    )


def _unit(vector) -> np.ndarray:
    vector = np.asarray(vector, dtype=np.float64)
    norm = np.linalg.norm(vector)
    if norm < 1e-12:
        raise ValueError("axis vector has zero length; give a non-zero direction")
    return vector / norm


def _yaw_matrix(yaw: float) -> np.ndarray:
    c, s = np.cos(yaw), np.sin(yaw)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])
