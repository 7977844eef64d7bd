"""The dataset contract: every monocle dataset yields the same dict, whatever the files look like.

A loader subclasses :class:`DepthDataset` and implements ``__len__`` and ``load_sample(i)``,
which returns a *raw* sample of numpy arrays straight from the files. The base class turns it
into the contract dict (see ``docs/data.md``):

- ``image``: float32 (3, H, W) in [0, 1]
- ``depth``: float32 (1, H, W), metres, 0 where invalid
- ``valid``: bool (1, H, W)
- ``K``: float32 (3, 3), pinhole intrinsics in pixels of this image; pixel (u, v) has its centre
  at integer coordinates (OpenCV convention), so it back-projects to ``z * K^-1 [u, v, 1]``
- ``meta``: ``{"dataset", "id", "depth_kind", "max_depth", "K_source"}``

Optional keys, where a loader has them: ``normals`` float32 (3, H, W) (all-zero = invalid),
``segmentation`` / ``instance`` int64 (1, H, W), ``background_image`` (3, H, W),
``background_depth`` (1, H, W) with ``background_valid`` bool (1, H, W), ``image_right``
(3, H, W) with ``baseline`` (float, metres).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

Sample = dict[str, Any]

# Where K came from: read from the dataset's calibration or a file, or made up by monocle.
K_SOURCES = ("calib", "file", "default")


class DatasetError(ValueError):
    """A dataset cannot be read as asked; the message names the file or folder and the fix.

    ``path`` holds the offending file or folder (or None), so tools such as the data checker
    can list problems per file.
    """

    def __init__(self, message: str, path: object = None) -> None:
        super().__init__(message)
        self.path = None if path is None else str(path)


def default_intrinsics(height: int, width: int) -> np.ndarray:
    """A stand-in K for images that come without one: f = max(H, W), principal point at the centre.

    f = max(H, W) is a ~53 degree field of view across the long side, typical of phone and
    webcam images. Samples using it carry ``meta["K_source"] == "default"``.

    Returns:
        float32 (3, 3).
    """
    focal = float(max(height, width))
    return np.array(
        [[focal, 0.0, (width - 1) / 2.0], [0.0, focal, (height - 1) / 2.0], [0.0, 0.0, 1.0]],
        dtype=np.float32,
    )


def valid_depth_mask(
    depth: np.ndarray, min_depth: float, max_depth: float, valid: np.ndarray | None = None
) -> np.ndarray:
    """Which depths can be trusted: finite, ``min_depth < d <= max_depth`` and ``valid`` if given.

    Args:
        depth: float (H, W).
        min_depth, max_depth: the dataset's range in metres (``math.inf`` for no upper bound).
        valid: optional bool (H, W) from the file (e.g. a decoder's own mask).

    Returns:
        bool (H, W).
    """
    with np.errstate(invalid="ignore"):
        mask = np.isfinite(depth) & (depth > min_depth) & (depth <= max_depth)
    if valid is not None:
        mask &= np.asarray(valid, dtype=bool)
    return mask


def _image_tensor(image: np.ndarray, what: str, source: str) -> torch.Tensor:
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise DatasetError(
            f"{what} from {source} is {image.dtype} {image.shape}; a loader must return uint8 "
            "(H, W, 3) — decode it with monocle.io.read_image",
            source,
        )
    return torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1))).float().div_(255.0)


def check_size(shape: tuple[int, ...], expected: tuple[int, int], what: str, files: dict) -> None:
    """Raise a DatasetError naming both files unless ``shape`` starts with ``expected`` (H, W)."""
    if tuple(shape[:2]) == expected:
        return
    h, w = shape[:2]
    image_file = files.get("image", "the image")
    other_file = files.get(what, what)
    raise DatasetError(
        f"{other_file} is {w}x{h} (WxH) but its image {image_file} is {expected[1]}x{expected[0]}; "
        f"the {what} must have the image's size — re-export it at the image resolution, or fix "
        "the pairing of files",
        other_file,
    )


class DepthDataset(Dataset):
    """Base class for every monocle dataset; subclasses implement ``__len__`` and ``load_sample``.

    ``load_sample(i)`` returns a raw dict of numpy arrays:

    - ``image``: uint8 (H, W, 3); ``depth``: float32 (H, W) in metres (NaN/inf/<=0 allowed,
      they become invalid); optional ``valid``: bool (H, W)
    - ``K``: (3, 3) in pixels of this image, or None (then :func:`default_intrinsics` is used)
    - ``id``: str; ``files``: ``{"image": path, "depth": path, ...}`` for error messages
    - optional ``K_source`` (default "calib" when K is given), ``max_depth`` (per-sample cap),
      ``depth_kind`` (per-sample override of the class attribute)
    - optional extras: ``normals`` float (H, W, 3), ``segmentation``/``instance`` int (H, W),
      ``background_image`` uint8 (H, W, 3), ``background_depth`` float (H, W) with optional
      ``background_valid`` bool (H, W),
      ``image_right`` uint8 (H, W, 3) with ``baseline`` float

    Class attributes a loader sets: ``name``, ``depth_kind``, ``min_depth``, ``max_depth``
    (depths outside ``(min_depth, max_depth]`` are invalid).
    """

    name = "dataset"
    depth_kind = "metric"
    min_depth = 1e-3
    max_depth = math.inf

    def __init__(self, transform: Callable[[Sample], Sample] | None = None) -> None:
        self.transform = transform

    def __len__(self) -> int:
        raise NotImplementedError

    def load_sample(self, index: int) -> Sample:
        raise NotImplementedError

    def __getitem__(self, index: int) -> Sample:
        if not 0 <= index < len(self):
            raise IndexError(f"{self.name}: index {index} out of range for {len(self)} samples")
        sample = self.to_contract(self.load_sample(index))
        return self.transform(sample) if self.transform is not None else sample

    def to_contract(self, raw: Sample) -> Sample:
        """Turn a raw sample from ``load_sample`` into the contract dict (no transform)."""
        files = raw.get("files", {})
        source = str(files.get("image", raw.get("id", "?")))
        image = np.asarray(raw["image"])
        size = image.shape[:2]
        depth = np.asarray(raw["depth"], dtype=np.float32)
        check_size(depth.shape, size, "depth", files)
        max_depth = float(raw.get("max_depth", self.max_depth))
        valid = valid_depth_mask(depth, self.min_depth, max_depth, raw.get("valid"))
        depth = np.where(valid, depth, np.float32(0.0)).astype(np.float32)

        K = raw.get("K")
        K_source = raw.get("K_source", "calib") if K is not None else "default"
        if K is None:
            K = default_intrinsics(*size)
        sample: Sample = {
            "image": _image_tensor(image, "image", source),
            "depth": torch.from_numpy(depth)[None],
            "valid": torch.from_numpy(valid)[None],
            "K": torch.as_tensor(np.asarray(K, dtype=np.float32).reshape(3, 3)).clone(),
            "meta": {
                "dataset": self.name,
                "id": str(raw.get("id", "")),
                "depth_kind": str(raw.get("depth_kind", self.depth_kind)),
                "max_depth": max_depth,
                "K_source": K_source,
            },
        }
        self._add_extras(raw, sample, size, files)
        return sample

    def _add_extras(self, raw: Sample, sample: Sample, size: tuple[int, int], files: dict) -> None:
        source = str(files.get("image", raw.get("id", "?")))
        if raw.get("normals") is not None:
            normals = np.asarray(raw["normals"], dtype=np.float32)
            check_size(normals.shape, size, "normals", files)
            sample["normals"] = torch.from_numpy(np.ascontiguousarray(normals.transpose(2, 0, 1)))
        for key in ("segmentation", "instance"):
            if raw.get(key) is not None:
                labels = np.asarray(raw[key]).astype(np.int64)
                check_size(labels.shape, size, key, files)
                sample[key] = torch.from_numpy(labels)[None]
        for key in ("background_image", "image_right"):
            if raw.get(key) is not None:
                check_size(raw[key].shape, size, key, files)
                sample[key] = _image_tensor(np.asarray(raw[key]), key, source)
        if raw.get("background_depth") is not None:
            background = np.asarray(raw["background_depth"], dtype=np.float32)
            check_size(background.shape, size, "background_depth", files)
            keep = valid_depth_mask(
                background, self.min_depth, math.inf, raw.get("background_valid")
            )
            sample["background_depth"] = torch.from_numpy(np.where(keep, background, 0.0))[None]
            sample["background_valid"] = torch.from_numpy(keep)[None]
        if raw.get("baseline") is not None:
            sample["baseline"] = float(raw["baseline"])


def load_file(reader: Callable[..., Any], path: object, *args: Any) -> Any:
    """Call a monocle.io reader; its errors become a :class:`DatasetError` that keeps ``path``."""
    try:
        return reader(path, *args)
    except FileNotFoundError:
        raise DatasetError(
            f"{path}: file not found; check the dataset root and layout", path
        ) from None
    except (ValueError, OSError) as err:  # ImageError / DepthFileError are ValueErrors
        raise DatasetError(str(err), path) from None
