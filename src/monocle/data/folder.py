"""Bring your own data: a folder of images and depth maps matched by file stem.

Layout (see docs/data.md)::

    ROOT/image/0001.jpg          # any image monocle.io.read_image reads
    ROOT/depth/0001.png          # any depth monocle.io.read_depth reads (.png 16-bit, .npy, ...)
    ROOT/image/0001.json         # optional: {"K": [[fx, 0, cx], [0, fy, cy], [0, 0, 1]]}
    ROOT/K.json                  # optional: one K for every image

Depth units: files written by ``monocle.io.write_depth`` carry their kind and unit (m, cm or
mm) and are converted to metres. Files without a unit are multiplied by ``depth_scale``
(metres per stored unit: 0.001 for millimetres, 1/256 for KITTI-style, 1/5000 for TUM-style);
without ``depth_scale``, unitless float files (.npy, .pfm, plain .tif/.exr) are taken as metres
and unitless 16-bit PNGs (raw integer codes) are refused.

K, first found: the image's own ``<stem>.json``, the K stored in the depth file, ``K.json``,
else :func:`monocle.data.base.default_intrinsics` (f = max(H, W), centred; the sample's
``meta["K_source"]`` says "default" and ``monocle data check`` warns).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from monocle.data.base import DatasetError, DepthDataset, Sample, load_file

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
DEPTH_SUFFIXES = (".png", ".pfm", ".npy", ".npz", ".tif", ".tiff", ".exr")
_METRES_PER_UNIT = {"m": 1.0, "cm": 0.01, "mm": 0.001}


def read_intrinsics_json(path: Path) -> np.ndarray:
    """Read ``{"K": 3x3}`` from a JSON file; float32 (3, 3)."""
    try:
        K = np.asarray(json.loads(path.read_text())["K"], dtype=np.float32)
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise DatasetError(
            f'{path}: cannot read K ({err}); write {{"K": [[fx, 0, cx], [0, fy, cy], [0, 0, 1]]}}',
            path,
        ) from None
    if K.shape != (3, 3) or not np.isfinite(K).all():
        raise DatasetError(f"{path}: K must be a finite 3x3 matrix, got shape {K.shape}", path)
    return K


def _by_stem(folder: Path, suffixes: tuple[str, ...]) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.suffix.lower() not in suffixes:
            continue
        if path.stem in found:
            raise DatasetError(
                f"{folder}: {found[path.stem].name} and {path.name} share the stem {path.stem!r}; "
                "keep one file per stem",
                path,
            )
        found[path.stem] = path
    return found


class FolderDataset(DepthDataset):
    """``ROOT/image`` + ``ROOT/depth`` matched by stem (see the module docstring).

    Args:
        root: the folder holding ``image/`` and ``depth/``.
        depth_scale: metres per stored value, for depth files without a unit (see above).
        max_depth: depths beyond this (metres) are invalid; default: no limit.
        name: the dataset name put in ``meta["dataset"]``.

    ``unpaired`` lists images that have no depth file (they are left out).
    """

    name = "folder"

    def __init__(
        self,
        root: str | os.PathLike[str],
        depth_scale: float | None = None,
        max_depth: float | None = None,
        name: str = "folder",
        transform: Callable | None = None,
    ) -> None:
        super().__init__(transform)
        self.root = Path(root)
        self.name = name
        self.depth_scale = None if depth_scale is None else float(depth_scale)
        self.max_depth = math.inf if max_depth is None else float(max_depth)
        image_dir, depth_dir = self.root / "image", self.root / "depth"
        for folder in (image_dir, depth_dir):
            if not folder.is_dir():
                raise DatasetError(
                    f"{folder}: not found; a folder dataset needs ROOT/image/ and ROOT/depth/ "
                    "with files matched by stem (image/0001.jpg <-> depth/0001.png)",
                    folder,
                )
        images = _by_stem(image_dir, IMAGE_SUFFIXES)
        depths = _by_stem(depth_dir, DEPTH_SUFFIXES)
        stems = sorted(set(images) & set(depths))
        if not stems:
            raise DatasetError(
                f"{self.root}: no image/depth pairs; found {len(images)} images in {image_dir} "
                f"and {len(depths)} depth files in {depth_dir}, but no shared stems "
                "(image/0001.jpg pairs with depth/0001.png; depth suffixes: "
                f"{', '.join(DEPTH_SUFFIXES)})",
                self.root,
            )
        self.items = [(images[stem], depths[stem]) for stem in stems]
        self.unpaired = [images[stem] for stem in sorted(set(images) - set(depths))]
        shared_K = self.root / "K.json"
        self.shared_K = read_intrinsics_json(shared_K) if shared_K.is_file() else None

    def __len__(self) -> int:
        return len(self.items)

    def _metric(self, values: np.ndarray, meta: dict, path: Path) -> np.ndarray:
        unit = meta.get("unit")
        if meta.get("kind") in ("relative", "disparity"):
            return values  # unitless by definition; kept as stored
        if not unit:
            if meta.get("format") == "png16" and self.depth_scale is None:
                raise DatasetError(
                    f"{path}: a 16-bit PNG without monocle metadata holds raw codes of unknown "
                    "scale; pass depth_scale (metres per code, e.g. 0.001 for millimetres)",
                    path,
                )
            return values * np.float32(1.0 if self.depth_scale is None else self.depth_scale)
        if unit not in _METRES_PER_UNIT:
            raise DatasetError(
                f"{path}: depth unit {unit!r} is unknown; use one of {list(_METRES_PER_UNIT)}", path
            )
        return values * np.float32(_METRES_PER_UNIT[unit])

    def load_sample(self, index: int) -> Sample:
        from monocle.io import read_depth, read_image

        image_path, depth_path = self.items[index]
        values, valid, meta = load_file(read_depth, depth_path)
        raw = {
            "image": load_file(read_image, image_path),
            "depth": self._metric(values, meta, depth_path),
            "valid": valid,
            "depth_kind": meta.get("kind") or "metric",
            "id": image_path.stem,
            "files": {"image": str(image_path), "depth": str(depth_path)},
        }
        own_K = image_path.with_suffix(".json")
        if own_K.is_file():
            raw["K"], raw["K_source"] = read_intrinsics_json(own_K), "file"
        elif meta.get("K") is not None:
            raw["K"], raw["K_source"] = np.asarray(meta["K"], dtype=np.float32), "file"
        elif self.shared_K is not None:
            raw["K"], raw["K_source"] = self.shared_K, "file"
        return raw
