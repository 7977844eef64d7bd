"""Rectified stereo benchmarks with ground-truth disparity: Middlebury 2014 and ETH3D two-view.

Layout (see docs/data.md), one folder per scene, ``root`` being a scene or a folder of scenes::

    Adirondack-perfect/im0.png      # left image (the one depth belongs to)
    Adirondack-perfect/im1.png      # right image (loaded with load_right=True)
    Adirondack-perfect/disp0.pfm    # ETH3D: disp0GT.pfm
    Adirondack-perfect/calib.txt    # cam0=[f 0 cx; 0 f cy; 0 0 1], doffs, baseline (mm), ...

Depth of the left view is ``baseline * f / (d + doffs)`` (``monocle.io.read_middlebury_depth``);
pixels with unknown (infinite) disparity are invalid. K is ``cam0`` of calib.txt.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from monocle.data.base import DatasetError, DepthDataset, Sample, load_file


class _StereoScenes(DepthDataset):
    disparity_name = "disp0.pfm"
    max_depth = 100.0

    def __init__(
        self,
        root: str | os.PathLike[str],
        load_right: bool = False,
        transform: Callable | None = None,
    ) -> None:
        super().__init__(transform)
        self.root = Path(root)
        self.load_right = bool(load_right)
        if not self.root.is_dir():
            raise DatasetError(
                f"{self.root}: {self.name} folder not found; check the path", self.root
            )
        if (self.root / "calib.txt").is_file():
            self.scenes = [self.root]
        else:
            self.scenes = sorted(p.parent for p in self.root.glob("*/calib.txt"))
        if not self.scenes:
            raise DatasetError(
                f"{self.root}: no {self.name} scenes found; expected scene folders with "
                f"im0.png, {self.disparity_name} and calib.txt",
                self.root,
            )
        needed = ["im0.png", self.disparity_name] + (["im1.png"] if self.load_right else [])
        for scene in self.scenes:
            for name in needed:
                if not (scene / name).is_file():
                    raise DatasetError(
                        f"{scene / name}: missing; every {self.name} scene needs "
                        f"{', '.join(needed)} and calib.txt (scenes without ground truth, such as "
                        "the test set, cannot be used)",
                        scene / name,
                    )

    def __len__(self) -> int:
        return len(self.scenes)

    def load_sample(self, index: int) -> Sample:
        from monocle.io import read_image, read_middlebury_calib, read_middlebury_depth

        scene = self.scenes[index]
        calib_path = scene / "calib.txt"
        disparity_path = scene / self.disparity_name
        calib = load_file(read_middlebury_calib, calib_path)
        depth, valid = load_file(lambda p: read_middlebury_depth(p, calib_path), disparity_path)
        raw = {
            "image": load_file(read_image, scene / "im0.png"),
            "depth": depth,
            "valid": valid,
            "K": calib["K"],
            "id": scene.name,
            "files": {"image": str(scene / "im0.png"), "depth": str(disparity_path)},
        }
        if self.load_right:
            raw["image_right"] = load_file(read_image, scene / "im1.png")
            raw["baseline"] = calib["baseline_m"]
            raw["files"]["image_right"] = str(scene / "im1.png")
        return raw


class MiddleburyDataset(_StereoScenes):
    """Middlebury 2014 stereo scenes (``im0.png``, ``disp0.pfm``, ``calib.txt``), metric depth."""

    name = "middlebury"
    disparity_name = "disp0.pfm"


class Eth3dDataset(_StereoScenes):
    """ETH3D two-view scenes (``im0.png``, ``disp0GT.pfm``, Middlebury-style ``calib.txt``)."""

    name = "eth3d"
    disparity_name = "disp0GT.pfm"
