"""monocle.synth — a procedural scene engine with exact ground truth.

Scenes (rooms, streets, people, thin structures) are sampled from a seed, built from analytic
primitives and rendered by vectorised ray casting in torch (CPU or CUDA): RGB through a camera
sensor model, planar depth, normals, instance and semantic masks, the background layer behind
people and movable objects, stereo pairs and short videos.

Conventions: world y-up, metres, ground at y = 0. Camera frame OpenCV (x right, y down,
z forward); ``pose`` is camera-to-world. Pixel centres at integer coordinates, so
``K = [[f, 0, (W-1)/2], [0, f, (H-1)/2], [0, 0, 1]]`` and ``depth * K^-1 [u, v, 1]`` is the
camera-frame point of pixel (row v, column u). Depth is planar (camera z) in metres, 0 where
invalid (sky, or beyond the scene's ``max_depth``).

>>> from monocle.synth import render_sample
>>> sample = render_sample("indoor", seed=0, size=(240, 320))
>>> sample["rgb"].shape, sample["depth"].dtype
((240, 320, 3), dtype('float32'))
"""

from __future__ import annotations

from monocle.synth.camera import Camera
from monocle.synth.contact import contact_sheet
from monocle.synth.dataset import SyntheticDataset
from monocle.synth.folder import write_dataset, write_sample
from monocle.synth.presets import (
    HARDCASE_CATEGORIES,
    PRESETS,
    hardcase_category,
    render_sample,
    sample_scene,
)
from monocle.synth.render import MAX_SIZE, render
from monocle.synth.scene import CLASSES, Environment, Light, Material, Scene
from monocle.synth.sensor import SensorParams

__all__ = [
    "CLASSES",
    "HARDCASE_CATEGORIES",
    "MAX_SIZE",
    "PRESETS",
    "Camera",
    "Environment",
    "Light",
    "Material",
    "Scene",
    "SensorParams",
    "SyntheticDataset",
    "contact_sheet",
    "hardcase_category",
    "render",
    "render_sample",
    "sample_scene",
    "write_dataset",
    "write_sample",
]
