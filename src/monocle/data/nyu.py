"""NYU Depth v2: the official labelled ``.mat`` (official 795/654 split) and folder exports.

Intrinsics are the published NYU toolbox values (``camera_params.m``, RGB camera). They come
from Bouguet's calibration toolbox and are used here as-is in monocle's convention (pixel centres
at integer coordinates, top-left pixel = (0, 0)); the toolbox's own back-projection uses 1-based
``meshgrid(1:640, 1:480)``, i.e. it sits one pixel off from this. Ground truth is valid in
(1e-3, 10] metres.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from monocle.data.base import DatasetError, DepthDataset, Sample, load_file
from monocle.data.geometry import crop_raw

NYU_K = np.array(
    [[518.8579, 0.0, 325.5824], [0.0, 519.4696, 253.7362], [0.0, 0.0, 1.0]], dtype=np.float32
)
NYU_SIZE = (480, 640)
# (top, bottom, left, right), exclusive ends, on the 480x640 frame:
# "eigen" is the evaluation crop of Eigen et al. (rows 45:471, cols 41:601);
# "border" is SANet's 460x620 centre crop that removes the white border of the labelled set.
NYU_CROPS = {"eigen": (45, 471, 41, 601), "border": (10, 470, 10, 630)}

Crop = str | Sequence[int] | None


def _crop_box(crop: Crop) -> tuple[int, int, int, int] | None:
    if crop is None:
        return None
    if isinstance(crop, str):
        if crop not in NYU_CROPS:
            raise DatasetError(
                f"NYU crop {crop!r} is unknown; use one of {list(NYU_CROPS)} or "
                "(top, bottom, left, right)"
            )
        return NYU_CROPS[crop]
    box = tuple(int(v) for v in crop)
    if len(box) != 4 or box[0] >= box[1] or box[2] >= box[3]:
        raise DatasetError(
            "NYU crop must be (top, bottom, left, right) with top < bottom, left < right; "
            f"got {crop!r}"
        )
    return box


class _NyuBase(DepthDataset):
    name = "nyu"
    max_depth = 10.0

    def __init__(self, crop: Crop, transform: Callable | None) -> None:
        super().__init__(transform)
        self.crop = _crop_box(crop)

    def _finish(self, raw: Sample) -> Sample:
        if self.crop is None:
            return raw
        top, bottom, left, right = self.crop
        return crop_raw(raw, top, left, bottom - top, right - left)


def read_nyu_splits(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Read the official ``splits.mat``: ``{"train": (795,), "test": (654,)}`` 0-based indices.

    The file holds ``trainNdxs`` and ``testNdxs``, 1-based indices into the labelled .mat.
    """
    from scipy.io import loadmat

    path = Path(path)
    if not path.is_file():
        raise DatasetError(
            f"{path}: NYUv2 splits.mat not found; the official train/test split is defined by it. "
            "Download splits.mat (from the NYU Depth v2 site) next to nyu_depth_v2_labeled.mat, "
            "pass splits_path=..., or use split='all'",
            path,
        )
    try:
        content = loadmat(path)
    except (ValueError, OSError, NotImplementedError) as err:
        raise DatasetError(
            f"{path}: cannot read as a MATLAB file ({err}); use the official splits.mat", path
        ) from None
    missing = [key for key in ("trainNdxs", "testNdxs") if key not in content]
    if missing:
        raise DatasetError(
            f"{path}: lacks {missing}; the official splits.mat has trainNdxs and testNdxs", path
        )
    return {
        "train": np.asarray(content["trainNdxs"]).astype(np.int64).ravel() - 1,
        "test": np.asarray(content["testNdxs"]).astype(np.int64).ravel() - 1,
    }


class NyuMatDataset(_NyuBase):
    """The official labelled set ``nyu_depth_v2_labeled.mat`` (1449 frames, 480x640).

    Args:
        path: the .mat file (MATLAB v7.3 / HDF5, read lazily with ``monocle.io.NyuMat``).
        split: "train" (795), "test" (654) or "all" (every frame, no splits.mat needed).
        splits_path: the official ``splits.mat``; default: next to the .mat file.
        crop: None, "eigen", "border" or (top, bottom, left, right); K is shifted to match.

    Sample ids are the 1-based frame numbers of the .mat, as in MATLAB.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        split: str = "test",
        splits_path: str | os.PathLike[str] | None = None,
        crop: Crop = None,
        transform: Callable | None = None,
    ) -> None:
        from monocle.io import NyuMat

        super().__init__(crop, transform)
        self.path = Path(path)
        self.mat = load_file(NyuMat, self.path)
        count = load_file(lambda _: len(self.mat), self.path)
        # Close now so forked DataLoader workers each open their own HDF5 handle.
        self.mat.close()
        if split == "all":
            self.indices = np.arange(count)
        elif split in ("train", "test"):
            splits_file = Path(splits_path) if splits_path else self.path.with_name("splits.mat")
            self.indices = read_nyu_splits(splits_file)[split]
            if self.indices.size and (self.indices.min() < 0 or self.indices.max() >= count):
                raise DatasetError(
                    f"{splits_file}: {split} indices span {self.indices.min() + 1}.."
                    f"{self.indices.max() + 1} but {self.path} has {count} frames; "
                    "use the splits.mat that belongs to this .mat file",
                    splits_file,
                )
        else:
            raise DatasetError(f"NYUv2 split {split!r} is unknown; use 'train', 'test' or 'all'")
        self.split = split

    def __len__(self) -> int:
        return int(self.indices.size)

    def load_sample(self, index: int) -> Sample:
        frame = int(self.indices[index])
        rgb, depth = load_file(lambda _: self.mat[frame], self.path)
        where = f"{self.path}[frame {frame + 1}]"
        raw = {
            "image": rgb,
            "depth": depth,
            "K": NYU_K,
            "id": str(frame + 1),
            "files": {"image": where, "depth": where},
        }
        return self._finish(raw)


_RGB_NAME = re.compile(r"^rgb_(\d+)\.(jpg|jpeg|png)$", re.IGNORECASE)


class NyuFolderDataset(_NyuBase):
    """NYUv2 exported to files: RGB images and 16-bit PNG depth in millimetres.

    Two layouts (see docs/data.md):

    - with ``split_file``: lines ``RGB_PATH DEPTH_PATH [FOCAL]`` relative to ``root`` (a leading
      "/" is ignored), the BTS / Monocular-Depth-Estimation-Toolbox format, e.g.
      ``/kitchen_0028b/rgb_00045.jpg /kitchen_0028b/sync_depth_00045.png 518.8579``. A FOCAL that
      differs from NYU's fx replaces fx and fy.
    - without: every ``rgb_XXXXX.jpg`` (or .png) under ``root``, at any depth, paired with
      ``sync_depth_XXXXX.png`` (or ``depth_XXXXX.png``) in the same folder.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        split_file: str | os.PathLike[str] | None = None,
        crop: Crop = None,
        transform: Callable | None = None,
    ) -> None:
        super().__init__(crop, transform)
        self.root = Path(root)
        if not self.root.is_dir():
            raise DatasetError(f"{self.root}: NYUv2 folder not found; check the path", self.root)
        self.items = self._from_split_file(Path(split_file)) if split_file else self._scan()
        if not self.items:
            raise DatasetError(
                f"{self.root}: no NYUv2 pairs found; expected rgb_XXXXX.jpg next to "
                "sync_depth_XXXXX.png (16-bit, millimetres), or pass split_file=",
                self.root,
            )

    def _from_split_file(self, split_file: Path) -> list[tuple[Path, Path, float | None]]:
        if not split_file.is_file():
            raise DatasetError(
                f"{split_file}: NYUv2 split file not found; check the path", split_file
            )
        items = []
        for number, line in enumerate(split_file.read_text().splitlines(), start=1):
            fields = line.split()
            if not fields or fields[0].startswith("#"):
                continue
            if len(fields) not in (2, 3):
                raise DatasetError(
                    f"{split_file}:{number}: expected 'RGB_PATH DEPTH_PATH [FOCAL]', got {line!r}",
                    split_file,
                )
            focal = float(fields[2]) if len(fields) == 3 else None
            for listed in fields[:2]:
                if not (self.root / listed.lstrip("/")).is_file():
                    raise DatasetError(
                        f"{split_file}:{number}: {self.root / listed.lstrip('/')} not found; "
                        "split-file paths are relative to the dataset root",
                        self.root / listed.lstrip("/"),
                    )
            items.append(
                (self.root / fields[0].lstrip("/"), self.root / fields[1].lstrip("/"), focal)
            )
        return items

    def _scan(self) -> list[tuple[Path, Path, float | None]]:
        items = []
        for rgb in sorted(self.root.rglob("rgb_*")):
            match = _RGB_NAME.match(rgb.name)
            if not match:
                continue
            for prefix in ("sync_depth_", "depth_"):
                depth = rgb.with_name(f"{prefix}{match.group(1)}.png")
                if depth.is_file():
                    items.append((rgb, depth, None))
                    break
        return items

    def __len__(self) -> int:
        return len(self.items)

    def load_sample(self, index: int) -> Sample:
        from monocle.io import read_image, read_nyu_png_depth

        rgb_path, depth_path, focal = self.items[index]
        depth, valid = load_file(read_nyu_png_depth, depth_path)
        K = NYU_K.copy()
        if focal is not None and abs(focal - float(NYU_K[0, 0])) > 1e-3:
            K[0, 0] = K[1, 1] = focal
        raw = {
            "image": load_file(read_image, rgb_path),
            "depth": depth,
            "valid": valid,
            "K": K,
            "id": str(rgb_path.relative_to(self.root).with_suffix("")),
            "files": {"image": str(rgb_path), "depth": str(depth_path)},
        }
        return self._finish(raw)
