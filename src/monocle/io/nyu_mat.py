"""Lazy reader for the official NYU Depth v2 labelled set, ``nyu_depth_v2_labeled.mat``."""

from __future__ import annotations

import operator
import os
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from monocle.io.errors import DepthFileError


class NyuMat:
    """Random access to (rgb, depth) pairs of ``nyu_depth_v2_labeled.mat`` without loading it all.

    The file is MATLAB v7.3, i.e. HDF5. MATLAB stores arrays column-major, so h5py sees
    ``images`` as (N, 3, W, H) uint8 and ``depths`` as (N, W, H) float32 metres; items are
    transposed back to the usual orientation (H=480, W=640 for the official file).

    The file is opened on first access and kept open (one handle); ``close()`` or a ``with``
    block releases it. Pickling (e.g. into DataLoader workers) drops the handle and each copy
    reopens lazily.

    Example:
        >>> with NyuMat("nyu_depth_v2_labeled.mat") as nyu:  # doctest: +SKIP
        ...     rgb, depth = nyu[0]  # (480, 640, 3) uint8, (480, 640) float32 metres
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise DepthFileError(
                f"{self.path}: NYUv2 .mat file not found; download nyu_depth_v2_labeled.mat"
            )
        self._file: h5py.File | None = None

    def __len__(self) -> int:
        return int(self._datasets()[1].shape[0])

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(rgb uint8 (H, W, 3), depth float32 (H, W) metres)`` of item ``index``."""
        index = operator.index(index)
        images, depths = self._datasets()
        count = depths.shape[0]
        if not -count <= index < count:
            raise IndexError(f"NyuMat index {index} out of range for {count} items")
        index %= count
        rgb = np.ascontiguousarray(np.asarray(images[index]).transpose(2, 1, 0), dtype=np.uint8)
        depth = np.ascontiguousarray(np.asarray(depths[index]).T, dtype=np.float32)
        return rgb, depth

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> NyuMat:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __getstate__(self) -> dict[str, Any]:
        return {"path": self.path, "_file": None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def _datasets(self) -> tuple[Any, Any]:
        if self._file is None:
            try:
                self._file = h5py.File(self.path, "r")
            except OSError as error:
                raise DepthFileError(
                    f"{self.path}: not an HDF5 / MATLAB v7.3 file ({error}); use the official "
                    "nyu_depth_v2_labeled.mat"
                ) from None
        missing = [key for key in ("images", "depths") if key not in self._file]
        if missing:
            raise DepthFileError(
                f"{self.path}: lacks {', '.join(missing)} (has {sorted(self._file.keys())}); "
                "use the official nyu_depth_v2_labeled.mat"
            )
        images, depths = self._file["images"], self._file["depths"]
        if (
            images.ndim != 4
            or images.shape[1] != 3
            or depths.shape
            != (
                images.shape[0],
                *images.shape[2:],
            )
        ):
            raise DepthFileError(
                f"{self.path}: images {images.shape} and depths {depths.shape} do not match the "
                "(N, 3, W, H) / (N, W, H) layout of nyu_depth_v2_labeled.mat"
            )
        return images, depths
