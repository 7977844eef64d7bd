"""KITTI raw images with the official annotated depth (``data_depth_annotated``).

Layout (see docs/data.md)::

    RAW_ROOT/2011_09_26/calib_cam_to_cam.txt
    RAW_ROOT/2011_09_26/2011_09_26_drive_0002_sync/image_02/data/0000000069.png
    DEPTH_ROOT/{train,val}/2011_09_26_drive_0002_sync/proj_depth/groundtruth/image_02/0000000069.png

Depth PNGs are uint16, metres = code / 256, 0 = no lidar point (sparse). K is ``P_rect_02``
(``P_rect_03`` for the right camera) of the date's ``calib_cam_to_cam.txt``, rescaled if the
image is not the ``S_rect`` size; images vary (~1242x375) and K always matches the loaded image.
Ground truth is valid in (1e-3, 80] metres.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from monocle.data.base import DatasetError, DepthDataset, Sample, load_file
from monocle.data.geometry import crop_raw, scale_intrinsics

KB_CROP = (352, 1216)  # the KITTI benchmark crop: bottom 352 rows, centred 1216 columns
_CAMERAS = {"l": "image_02", "r": "image_03"}


def read_kitti_calib(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Parse ``calib_cam_to_cam.txt``: ``{"P_rect_02": (3, 4), "S_rect_02": (2,), ...}``.

    Lines are ``KEY: v1 v2 ...``; lines whose values are not numbers (calib_time) are skipped.
    """
    path = Path(path)
    if not path.is_file():
        raise DatasetError(
            f"{path}: KITTI calib_cam_to_cam.txt not found; it comes with each date of the raw "
            "data (e.g. 2011_09_26_calib.zip) and must sit in RAW_ROOT/<date>/",
            path,
        )
    entries = {}
    for line in path.read_text().splitlines():
        key, separator, values = line.partition(":")
        if not separator:
            continue
        try:
            numbers = np.array([float(v) for v in values.split()], dtype=np.float64)
        except ValueError:
            continue
        if key.startswith("P_rect") and numbers.size == 12:
            numbers = numbers.reshape(3, 4)
        entries[key.strip()] = numbers
    return entries


class KittiDataset(DepthDataset):
    """KITTI raw + annotated depth, listed by an Eigen-style split file or by the annotations.

    Args:
        raw_root: root of the raw data (the folders named by date).
        depth_root: root of ``data_depth_annotated`` (holding ``train/`` and ``val/``);
            default: ``raw_root``.
        split: without ``split_file``, every annotated frame of ``depth_root/<split>``
            ("train" or "val"), both cameras.
        split_file: lines ``2011_09_26/2011_09_26_drive_0002_sync 0000000069 l`` (the common
            ``eigen_test_files.txt`` format; side ``l`` = image_02, ``r`` = image_03). Frames are
            looked up in ``depth_root/train`` and ``depth_root/val``.
        crop: None or "kb" (the benchmark crop to 352x1216; cx/cy shift).
        missing: a frame without annotated depth (split-file mode) or without its raw image
            raises ("error") or is dropped ("skip"; e.g. only 652 of the 697 Eigen test frames
            have annotations).
    """

    name = "kitti"
    max_depth = 80.0

    def __init__(
        self,
        raw_root: str | os.PathLike[str],
        depth_root: str | os.PathLike[str] | None = None,
        split: str = "val",
        split_file: str | os.PathLike[str] | None = None,
        crop: str | None = None,
        missing: str = "error",
        transform: Callable | None = None,
    ) -> None:
        super().__init__(transform)
        self.raw_root = Path(raw_root)
        self.depth_root = Path(depth_root) if depth_root else self.raw_root
        for folder in (self.raw_root, self.depth_root):
            if not folder.is_dir():
                raise DatasetError(f"{folder}: KITTI folder not found; check the path", folder)
        if crop not in (None, "kb"):
            raise DatasetError(f"KITTI crop {crop!r} is unknown; use None or 'kb'")
        if missing not in ("error", "skip"):
            raise DatasetError(f"KITTI missing={missing!r} is unknown; use 'error' or 'skip'")
        self.crop, self.missing, self.split = crop, missing, split
        self.items = self._from_split_file(Path(split_file)) if split_file else self._scan(split)
        if not self.items:
            raise DatasetError(
                f"{self.depth_root}: no KITTI frames with annotated depth found; expected "
                "<split>/<drive>_sync/proj_depth/groundtruth/image_02/*.png with the matching "
                f"raw images in {self.raw_root}/<date>/<drive>_sync/image_02/data/",
                self.depth_root,
            )
        self._calibs: dict[str, dict[str, np.ndarray]] = {}

    def _image_path(self, drive: str, camera: str, frame: str) -> Path:
        folder = self.raw_root / drive[:10] / drive / camera / "data"
        png = folder / f"{frame}.png"
        jpg = folder / f"{frame}.jpg"
        return jpg if not png.is_file() and jpg.is_file() else png

    def _depth_path(self, drive: str, camera: str, frame: str) -> Path | None:
        for subset in ("train", "val", "."):
            path = (
                self.depth_root
                / subset
                / drive
                / "proj_depth"
                / "groundtruth"
                / camera
                / f"{frame}.png"
            )
            if path.is_file():
                return path
        return None

    def _from_split_file(self, split_file: Path) -> list[tuple[str, str, Path, Path]]:
        if not split_file.is_file():
            raise DatasetError(
                f"{split_file}: KITTI split file not found; check the path", split_file
            )
        items = []
        for number, line in enumerate(split_file.read_text().splitlines(), start=1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) != 3 or fields[2] not in _CAMERAS or "/" not in fields[0]:
                raise DatasetError(
                    f"{split_file}:{number}: expected 'DATE/DRIVE FRAME l|r' (e.g. "
                    f"'2011_09_26/2011_09_26_drive_0002_sync 0000000069 l'), got {line!r}",
                    split_file,
                )
            drive = fields[0].rstrip("/").split("/")[-1]
            frame = f"{int(fields[1]):010d}"
            camera = _CAMERAS[fields[2]]
            depth = self._depth_path(drive, camera, frame)
            if depth is None:
                if self.missing == "skip":
                    continue
                raise DatasetError(
                    f"{split_file}:{number}: no annotated depth for {drive} {camera} {frame} under "
                    f"{self.depth_root}/{{train,val}}/{drive}/proj_depth/groundtruth/{camera}/; "
                    "pass missing='skip' to drop frames without ground truth",
                    split_file,
                )
            self._add(items, drive, camera, frame, depth)
        return items

    def _add(self, items: list, drive: str, camera: str, frame: str, depth: Path) -> None:
        image = self._image_path(drive, camera, frame)
        if image.is_file():
            items.append((drive, camera, image, depth))
        elif self.missing != "skip":
            raise DatasetError(
                f"{image}: raw image not found for the annotated depth {depth}; download that "
                "drive of the raw data into RAW_ROOT, or pass missing='skip'",
                image,
            )

    def _scan(self, split: str) -> list[tuple[str, str, Path, Path]]:
        pattern = "*_sync/proj_depth/groundtruth/image_0[23]/*.png"
        items = []
        for depth in sorted((self.depth_root / split).glob(pattern)):
            self._add(items, depth.parents[3].name, depth.parent.name, depth.stem, depth)
        return items

    def __len__(self) -> int:
        return len(self.items)

    def _intrinsics(self, drive: str, camera: str, height: int, width: int) -> np.ndarray:
        date = drive[:10]
        if date not in self._calibs:
            self._calibs[date] = read_kitti_calib(self.raw_root / date / "calib_cam_to_cam.txt")
        calib = self._calibs[date]
        key = f"P_rect_{camera[-2:]}"
        if key not in calib:
            path = self.raw_root / date / "calib_cam_to_cam.txt"
            raise DatasetError(
                f"{path}: no {key} line; use the official calib_cam_to_cam.txt", path
            )
        K = calib[key][:, :3].astype(np.float32)
        rect_size = calib.get(f"S_rect_{camera[-2:]}")
        if rect_size is not None and rect_size.size == 2:
            K = scale_intrinsics(K, width / rect_size[0], height / rect_size[1])
        return K

    def load_sample(self, index: int) -> Sample:
        from monocle.io import read_image, read_kitti_depth

        drive, camera, image_path, depth_path = self.items[index]
        image = load_file(read_image, image_path)
        depth, valid = load_file(read_kitti_depth, depth_path)
        height, width = image.shape[:2]
        raw = {
            "image": image,
            "depth": depth,
            "valid": valid,
            "K": self._intrinsics(drive, camera, height, width),
            "id": f"{drive}/{camera}/{image_path.stem}",
            "files": {"image": str(image_path), "depth": str(depth_path)},
        }
        if self.crop == "kb":
            crop_h, crop_w = KB_CROP
            raw = crop_raw(raw, height - crop_h, (width - crop_w) // 2, crop_h, crop_w)
        return raw
