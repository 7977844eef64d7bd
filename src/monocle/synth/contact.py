"""Contact sheet: every preset and hardcase category, RGB next to colourised depth."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from monocle.io import colorize, write_image
from monocle.synth.presets import HARDCASE_CATEGORIES, PRESETS, render_sample


def contact_sheet(
    path: str | os.PathLike,
    size: tuple[int, int] = (120, 160),
    seeds: tuple[int, ...] = (0, 1, 2),
) -> Path:
    """Render each preset (hardcase once per category) for ``seeds`` and write a PNG grid:
    one row per preset, each cell the RGB and its depth (turbo, near = red, black = invalid)."""
    rows = []
    entries = [(p, None) for p in PRESETS if p != "hardcase"]
    entries += [("hardcase", c) for c in HARDCASE_CATEGORIES]
    for preset, category in entries:
        cells = []
        for seed in seeds:
            sample = render_sample(preset, seed, size, category=category)
            depth = colorize(sample["depth"], sample["valid"], reverse=True)
            cells.append(np.concatenate([sample["rgb"], depth], axis=1))
        row = np.concatenate(cells, axis=1)
        label = preset if category is None else f"hardcase/{category}"
        banner = np.full((18, row.shape[1], 3), 255, dtype=np.uint8)
        cv2.putText(
            banner, label, (4, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1, cv2.LINE_AA
        )
        rows.append(np.concatenate([banner, row], axis=0))
    return write_image(path, np.concatenate(rows, axis=0))
