"""Material families with randomised, plausible palettes (sampled in sRGB, stored linear)."""

from __future__ import annotations

import colorsys
from dataclasses import replace

import numpy as np

from monocle.synth.scene import Material


def _unit(value) -> float:
    """``value`` clamped to [0, 1]; plain Python: scene building calls this ~900 times a
    scene, where np.clip on a scalar costs 10 us."""
    return min(max(float(value), 0.0), 1.0)


def linear(rgb) -> tuple:
    """sRGB [0,1] -> linear RGB (gamma 2.2 approximation)."""
    return tuple(_unit(c) ** 2.2 for c in rgb)


def hsv(rng: np.random.Generator, hue, sat, val) -> tuple:
    """Linear colour from HSV ranges, each a (low, high) pair or a number."""

    def pick(x):
        return float(rng.uniform(*x)) if isinstance(x, tuple) else float(x)

    return linear(colorsys.hsv_to_rgb(pick(hue) % 1.0, pick(sat), pick(val)))


def _shade(color, factor) -> tuple:
    return tuple(_unit(c * factor) for c in color)


def _pick(rng: np.random.Generator, options):
    return options[int(rng.integers(len(options)))]


def shaded(material: Material, factor: float) -> Material:
    """The same material with its colours scaled (darker lips, shadowed trim...)."""
    return replace(material, colors=tuple(_shade(c, factor) for c in material.colors))


def wall_paint(rng):
    base = hsv(rng, (0.0, 1.0), (0.02, 0.35), (0.55, 0.95))
    texture = _pick(rng, ["plain", "plain", "plain", "noise", "stripes", "bricks", "marble"])
    alt = (
        _shade(base, rng.uniform(0.6, 0.9))
        if texture != "bricks"
        else hsv(rng, (0.0, 0.08), (0.4, 0.7), (0.35, 0.7))
    )
    scale = {"stripes": rng.uniform(2, 8), "bricks": rng.uniform(10, 15)}.get(texture, 1.0)
    return Material(
        texture,
        (base if texture != "bricks" else alt, alt, _shade(base, 0.9)),
        scale=scale,
        param=rng.uniform(0.2, 0.6),
        grime=rng.uniform(0.03, 0.15),
    )


def floor_surface(rng):
    texture = _pick(rng, ["wood", "wood", "tiles", "tiles", "marble", "noise", "checker"])
    if texture == "wood":
        c0 = hsv(rng, (0.05, 0.1), (0.4, 0.75), (0.3, 0.75))
        return Material(
            "wood",
            (c0, _shade(c0, 0.65), c0),
            scale=rng.uniform(2, 5),
            specular=0.08,
            shininess=40,
            grime=0.1,
        )
    if texture == "noise":  # carpet
        c0 = hsv(rng, (0.0, 1.0), (0.1, 0.5), (0.2, 0.7))
        return Material("noise", (c0, _shade(c0, 0.7), c0), scale=rng.uniform(20, 60), grime=0.1)
    c0 = hsv(rng, (0.0, 1.0), (0.0, 0.3), (0.4, 0.95))
    c1 = (
        _shade(c0, rng.uniform(0.3, 0.95))
        if rng.random() < 0.7
        else hsv(rng, (0, 1), (0, 0.3), (0.1, 0.9))
    )
    return Material(
        texture,
        (c0, c1, hsv(rng, 0, 0, (0.3, 0.8))),
        scale=rng.uniform(1.5, 4),
        specular=rng.uniform(0.05, 0.3),
        shininess=60,
        grime=0.08,
    )


def ceiling(rng):
    return Material("plain", (hsv(rng, (0.0, 1.0), (0.0, 0.08), (0.8, 0.95)),) * 3, grime=0.04)


def wood(rng):
    c0 = hsv(rng, (0.04, 0.11), (0.3, 0.8), (0.2, 0.8))
    return Material(
        "wood",
        (c0, _shade(c0, rng.uniform(0.5, 0.8)), c0),
        scale=rng.uniform(3, 8),
        specular=0.1,
        shininess=30,
    )


def painted(rng, saturation=(0.1, 0.8)):
    c0 = hsv(rng, (0.0, 1.0), saturation, (0.15, 0.95))
    return Material(
        "plain",
        (c0, _shade(c0, 0.8), c0),
        specular=rng.uniform(0.02, 0.4),
        shininess=rng.uniform(10, 80),
        grime=0.06,
    )


def fabric(rng):
    c0 = hsv(rng, (0.0, 1.0), (0.1, 0.7), (0.15, 0.85))
    texture = _pick(rng, ["noise", "noise", "stripes", "checker", "plain"])
    return Material(
        texture,
        (c0, _shade(c0, rng.uniform(0.4, 0.85)), c0),
        scale=rng.uniform(4, 25),
        param=rng.uniform(0.3, 0.6),
        grime=0.05,
    )


def metal(rng):
    c0 = hsv(rng, (0.0, 1.0), (0.0, 0.15), (0.25, 0.85))
    return Material(
        "noise",
        (c0, _shade(c0, 0.85), c0),
        scale=8,
        specular=0.5,
        shininess=rng.uniform(30, 120),
        grime=0.05,
    )


def any_object(rng):
    return _pick(rng, [wood, painted, painted, fabric, metal, pattern])(rng)


def pattern(rng):
    """Bold flat patterns (posters, rugs, boxes): strong texture edges with no depth edges."""
    texture = _pick(rng, ["stripes", "checker", "marble", "noise", "tiles"])
    c0 = hsv(rng, (0.0, 1.0), (0.2, 0.9), (0.5, 1.0))
    c1 = hsv(rng, (0.0, 1.0), (0.2, 0.9), (0.05, 0.6))
    return Material(
        texture,
        (c0, c1, hsv(rng, (0, 1), (0, 1), (0, 1))),
        scale=rng.uniform(2, 12),
        param=rng.uniform(0.3, 0.6),
        grime=0.05,
    )


SKIN_TONES = [
    (0.98, 0.84, 0.72),
    (0.94, 0.76, 0.62),
    (0.87, 0.67, 0.52),
    (0.76, 0.55, 0.4),
    (0.6, 0.42, 0.3),
    (0.45, 0.3, 0.2),
    (0.33, 0.22, 0.15),
]


def skin(rng):
    base = np.asarray(_pick(rng, SKIN_TONES)) * rng.uniform(0.9, 1.05)
    c0 = linear(base)
    return Material(
        "plain", (c0, _shade(c0, 0.85), c0), scale=12, specular=0.12, shininess=20, grime=0.03
    )


def hair(rng):
    c0 = _pick(
        rng,
        [
            hsv(rng, (0.05, 0.1), (0.3, 0.7), (0.05, 0.45)),
            hsv(rng, (0.1, 0.13), (0.3, 0.6), (0.5, 0.85)),
            hsv(rng, 0, 0, (0.02, 0.12)),
            hsv(rng, 0, 0, (0.6, 0.85)),
        ],
    )
    return Material(
        "stripes", (c0, _shade(c0, 0.7), c0), scale=60, param=0.5, specular=0.15, shininess=25
    )


def clothing(rng):
    c0 = hsv(rng, (0.0, 1.0), (0.0, 0.85), (0.06, 0.9))
    texture = _pick(rng, ["plain", "plain", "noise", "stripes", "checker"])
    return Material(
        texture,
        (c0, _shade(c0, rng.uniform(0.3, 0.8)), c0),
        scale=rng.uniform(6, 20),
        param=0.5,
        grime=0.05,
    )


def asphalt(rng, half_width: float):
    c0 = hsv(rng, (0.0, 0.6), (0.0, 0.1), (0.12, 0.35))
    line = _pick(rng, [hsv(rng, 0, 0, (0.75, 0.95)), hsv(rng, 0.13, 0.8, 0.9)])
    return Material("road", (c0, line, c0), scale=1, param=half_width, specular=0.05, grime=0.2)


def concrete(rng):
    c0 = hsv(rng, (0.05, 0.15), (0.0, 0.15), (0.45, 0.8))
    texture = _pick(rng, ["tiles", "noise", "tiles"])
    return Material(
        texture, (c0, _shade(c0, 0.9), _shade(c0, 0.6)), scale=rng.uniform(1, 3), grime=0.15
    )


def ground(rng):
    if rng.random() < 0.6:  # grass
        c0 = hsv(rng, (0.18, 0.3), (0.4, 0.8), (0.2, 0.55))
        return Material("noise", (c0, _shade(c0, 0.6), c0), scale=rng.uniform(3, 10), grime=0.3)
    c0 = hsv(rng, (0.05, 0.12), (0.2, 0.5), (0.3, 0.6))  # dirt / gravel
    return Material("noise", (c0, _shade(c0, 0.7), c0), scale=rng.uniform(5, 20), grime=0.3)


def facade(rng):
    c0 = _pick(
        rng,
        [
            hsv(rng, (0.0, 0.15), (0.05, 0.6), (0.35, 0.95)),
            hsv(rng, (0.0, 1.0), (0.0, 0.2), (0.3, 0.9)),
        ],
    )
    glass = hsv(rng, (0.5, 0.65), (0.1, 0.4), (0.05, 0.3))
    frame = hsv(rng, (0.0, 1.0), (0.0, 0.3), (0.1, 0.95))
    return Material(
        "facade",
        (c0, glass, frame),
        scale=1.0 / rng.uniform(2.8, 3.8),
        param=rng.uniform(0.3, 0.7),
        specular=0.15,
        shininess=80,
        grime=0.12,
    )


def foliage(rng):
    c0 = hsv(rng, (0.16, 0.33), (0.4, 0.85), (0.15, 0.5))
    return Material(
        "foliage", (c0, _shade(c0, 0.45), c0), scale=rng.uniform(3, 7), specular=0.05, grime=0.1
    )


def bark(rng):
    c0 = hsv(rng, (0.05, 0.1), (0.2, 0.5), (0.12, 0.4))
    return Material("wood", (c0, _shade(c0, 0.6), c0), scale=rng.uniform(4, 8), grime=0.2)


def car_paint(rng):
    c0 = _pick(rng, [hsv(rng, (0, 1), (0.5, 0.9), (0.3, 0.9)), hsv(rng, 0, 0, (0.03, 0.9))])
    return Material("plain", (c0, c0, c0), specular=0.35, shininess=120, grime=0.03)


def glass(rng):
    c0 = hsv(rng, (0.5, 0.65), (0.1, 0.3), (0.03, 0.12))
    return Material("plain", (c0, c0, c0), specular=0.8, shininess=200, grime=0.0)


def rubber(rng):
    c0 = hsv(rng, 0, 0, (0.02, 0.06))
    return Material("plain", (c0, c0, c0), specular=0.05, grime=0.0)


def lamp(rng, emission: float):
    return Material("plain", ((1.0, 0.95, 0.85),) * 3, emission=emission, grime=0.0)
