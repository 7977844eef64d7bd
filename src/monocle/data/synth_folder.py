"""Folders written by monocle's synthetic scene engine (format "monocle-synth", version 1).

Layout (see docs/data.md)::

    DIR/monocle_synth.json       # {"format": "monocle-synth", "version": 1, "preset", "height",
                                 #  "width", "seed", "count", "classes"}
    DIR/000042.json              # {"K", "pose", "preset", "seed", "category", "baseline",
                                 #  "max_depth"}; a sample exists only if its JSON exists
    DIR/000042.rgb.png
    DIR/000042.depth.png         # monocle 16-bit depth PNG, metres
    DIR/000042.normals.png       # 16-bit RGB, n = code / 65535 * 2 - 1, all-zero = invalid
    DIR/000042.semantic.png      # uint8 class ids
    DIR/000042.instance.png      # uint16 instance ids
    DIR/000042.bg_rgb.png        # optional: what lies behind the foreground
    DIR/000042.bg_depth.png
    DIR/000042.right.png         # optional: right stereo view, "baseline" metres apart

Which optional parts load is chosen with ``extras`` so that every sample of a batch has the
same keys; a requested part that is missing raises. By default none do: a depth network trains
on image, depth and K, and decoding normals and label maps it does not use tripled the time
per sample.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from monocle.data.base import DatasetError, DepthDataset, Sample, load_file

MANIFEST = "monocle_synth.json"
EXTRAS = ("normals", "segmentation", "instance", "background", "right")


def _read_png_unchanged(path: Path) -> np.ndarray:
    import cv2

    array = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if array is None:
        raise DatasetError(f"{path}: cannot decode as PNG; regenerate the sample", path)
    return array


def decode_normals(codes: np.ndarray) -> np.ndarray:
    """16-bit RGB normal codes (H, W, 3) to unit vectors: ``n = code / 65535 * 2 - 1``.

    All-zero codes mark invalid pixels and decode to (0, 0, 0).

    Returns:
        float32 (H, W, 3).
    """
    codes = np.asarray(codes)
    normals = codes.astype(np.float32)
    normals *= np.float32(2.0 / 65535.0)
    normals -= np.float32(1.0)
    normals[~codes.any(axis=-1)] = 0.0
    return normals


class SyntheticFolderDataset(DepthDataset):
    """A folder of pre-rendered monocle synthetic samples (see the module docstring).

    Args:
        root: the folder holding ``monocle_synth.json``.
        extras: optional parts to load (default none), any of ``normals``, ``segmentation``
            (semantic.png), ``instance``, ``background`` (background_image +
            background_depth), ``right`` (image_right + baseline).
    """

    name = "synth_folder"

    def __init__(
        self,
        root: str | os.PathLike[str],
        extras: Sequence[str] | str = (),
        transform: Callable | None = None,
    ) -> None:
        super().__init__(transform)
        self.root = Path(root)
        manifest_path = self.root / MANIFEST
        if not manifest_path.is_file():
            raise DatasetError(
                f"{manifest_path}: not found; a synthetic folder is written by monocle's synth "
                "engine and starts with this manifest",
                manifest_path,
            )
        try:
            self.manifest = json.loads(manifest_path.read_text())
        except ValueError as err:
            raise DatasetError(
                f"{manifest_path}: not valid JSON ({err}); regenerate the folder", manifest_path
            ) from None
        if self.manifest.get("format") != "monocle-synth" or self.manifest.get("version") != 1:
            raise DatasetError(
                f"{manifest_path}: format {self.manifest.get('format')!r} version "
                f"{self.manifest.get('version')!r} is not 'monocle-synth' version 1; regenerate "
                "the folder with this monocle version",
                manifest_path,
            )
        # A spec's "?extras=normals" (one name, no comma) arrives as a plain string.
        extras = (extras,) if isinstance(extras, str) else tuple(extras)
        unknown = set(extras) - set(EXTRAS)
        if unknown:
            raise DatasetError(
                f"synthetic folder extras {sorted(unknown)} are unknown; use any of {EXTRAS}"
            )
        self.extras = extras
        self.stems = sorted(
            p.stem for p in self.root.glob("*.json") if p.name != MANIFEST and "." not in p.stem
        )
        if not self.stems:
            raise DatasetError(
                f"{self.root}: no samples; each sample needs <stem>.json next to <stem>.rgb.png "
                "and <stem>.depth.png",
                self.root,
            )

    def __len__(self) -> int:
        return len(self.stems)

    def _part(self, stem: str, suffix: str) -> Path:
        path = self.root / f"{stem}.{suffix}"
        if not path.is_file():
            raise DatasetError(
                f"{path}: missing; sample {stem} has a JSON but not its {suffix} (regenerate it, "
                "or leave the part out of extras)",
                path,
            )
        return path

    def load_sample(self, index: int) -> Sample:
        from monocle.io import read_depth, read_image

        stem = self.stems[index]
        info_path = self.root / f"{stem}.json"
        try:
            info = json.loads(info_path.read_text())
        except ValueError as err:
            raise DatasetError(
                f"{info_path}: not valid JSON ({err}); regenerate the sample", info_path
            ) from None
        image_path, depth_path = self._part(stem, "rgb.png"), self._part(stem, "depth.png")
        depth, valid, _ = load_file(read_depth, depth_path)
        raw = {
            "image": load_file(read_image, image_path),
            "depth": depth,
            "valid": valid,
            "K": np.asarray(info["K"], dtype=np.float32) if info.get("K") is not None else None,
            "id": stem,
            "files": {"image": str(image_path), "depth": str(depth_path)},
        }
        if info.get("max_depth") is not None:
            raw["max_depth"] = float(info["max_depth"])
        if "normals" in self.extras:
            codes = _read_png_unchanged(self._part(stem, "normals.png"))
            raw["normals"] = decode_normals(codes[..., ::-1])  # OpenCV reads BGR
        if "segmentation" in self.extras:
            raw["segmentation"] = _read_png_unchanged(self._part(stem, "semantic.png"))
        if "instance" in self.extras:
            raw["instance"] = _read_png_unchanged(self._part(stem, "instance.png"))
        if "background" in self.extras:
            raw["background_image"] = load_file(read_image, self._part(stem, "bg_rgb.png"))
            background, background_valid, _ = load_file(
                read_depth, self._part(stem, "bg_depth.png")
            )
            raw["background_depth"], raw["background_valid"] = background, background_valid
        if "right" in self.extras:
            raw["image_right"] = load_file(read_image, self._part(stem, "right.png"))
            raw["baseline"] = float(info["baseline"])
        return raw
