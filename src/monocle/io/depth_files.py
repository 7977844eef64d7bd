"""Depth maps on disk: one reader and one writer, the format chosen by the file suffix.

Every format keeps an explicit validity mask: float formats store invalid pixels as NaN, the
16-bit PNG stores them as code 0. Formats that can carry text also keep the depth kind, unit
and intrinsics ``K`` under the key ``"monocle.depth"`` (PNG text chunk, TIFF ImageDescription,
EXR header attribute; separate arrays in ``.npz``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from monocle.io.depth_formats import READERS, SUPPORTED_DEPTH_FORMATS, WRITERS, Description
from monocle.io.errors import DepthFileError

DEPTH_KINDS = ("metric", "relative", "disparity")


def write_depth(
    path: str | os.PathLike[str],
    values: np.ndarray,
    valid: np.ndarray | None = None,
    *,
    kind: str = "metric",
    unit: str | None = "m",
    K: Any = None,
) -> Path:
    """Write a depth map atomically, in the format named by the suffix (parent folders created).

    Args:
        path: destination; suffix one of ``.png`` (16-bit, scale in a text chunk), ``.pfm``,
            ``.npy``, ``.npz``, ``.tif``/``.tiff``, ``.exr``.
        values: real array of shape (H, W), stored as float32 (the PNG quantises it to 16 bits
            over the valid range; the round-trip error is at most half a step).
        valid: bool (H, W) or None for "every finite pixel".
        kind: one of ``"metric"``, ``"relative"``, ``"disparity"``.
        unit: e.g. ``"m"``, or None.
        K: 3x3 intrinsics in pixels, or None.

    ``.pfm`` and ``.npy`` cannot carry kind, unit or K; they are dropped there.

    Returns:
        the written path.
    """
    path = Path(path)
    writer = WRITERS.get(path.suffix.lower())
    if writer is None:
        raise DepthFileError(
            f"{path}: unknown depth file suffix {path.suffix!r}; supported: "
            f"{SUPPORTED_DEPTH_FORMATS}"
        )
    values, valid = _checked_depth(path, values, valid)
    writer(path, values, valid, _description(kind, unit, K))
    return path


def read_depth(path: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Read a depth map written by :func:`write_depth` or by another tool.

    Returns:
        (values, valid, meta): ``values`` float32 (H, W) with 0 at invalid pixels, ``valid`` bool
        (H, W), and ``meta = {"kind", "unit", "K", "format"}``. ``kind``/``unit``/``K`` are None
        when the file does not carry them (``.npy``, ``.pfm``, files from other tools; a 16-bit
        PNG without monocle's text chunk is read as raw integer codes, 0 = invalid).
        ``format`` is one of ``"png16"``, ``"pfm"``, ``"npy"``, ``"npz"``, ``"tiff"``, ``"exr"``.
    """
    path = Path(path)
    entry = READERS.get(path.suffix.lower())
    if entry is None:
        raise DepthFileError(
            f"{path}: unknown depth file suffix {path.suffix!r}; supported: "
            f"{SUPPORTED_DEPTH_FORMATS}"
        )
    if not path.is_file():
        raise DepthFileError(f"{path}: depth file not found; check the path")
    file_format, reader = entry
    values, valid, description = reader(path)
    values = np.where(valid, values, np.float32(0)).astype(np.float32)
    meta = {
        "kind": description.get("kind"),
        "unit": description.get("unit"),
        "K": description.get("K"),
        "format": file_format,
    }
    return values, valid, meta


def _checked_depth(path: Path, values: Any, valid: Any) -> tuple[np.ndarray, np.ndarray]:
    values = np.asarray(values)
    if values.ndim != 2 or values.dtype.kind not in "iuf":
        raise DepthFileError(
            f"{path}: depth values must be a real array of shape (H, W), got {values.dtype} "
            f"{values.shape}; squeeze batch/channel axes first"
        )
    values = values.astype(np.float32)
    finite = np.isfinite(values)
    if valid is None:
        return values, finite
    valid = np.asarray(valid)
    if valid.dtype != np.bool_ or valid.shape != values.shape:
        raise DepthFileError(
            f"{path}: valid must be a bool array of shape {values.shape}, got {valid.dtype} "
            f"{valid.shape}"
        )
    bad = int(np.count_nonzero(valid & ~finite))
    if bad:
        raise DepthFileError(
            f"{path}: {bad} pixels are marked valid but hold NaN or infinity; mark them invalid"
        )
    return values, valid


def _description(kind: str, unit: str | None, K: Any) -> Description:
    if kind not in DEPTH_KINDS:
        raise ValueError(f"kind must be one of {DEPTH_KINDS}, got {kind!r}")
    if unit is not None and not isinstance(unit, str):
        raise ValueError(f"unit must be a string such as 'm', or None, got {unit!r}")
    if K is not None:
        K = np.asarray(K, dtype=np.float64)
        if K.shape != (3, 3) or not np.isfinite(K).all():
            raise ValueError(f"K must be a finite 3x3 intrinsics matrix, got shape {K.shape}")
        K = K.tolist()
    return {"kind": kind, "unit": unit, "K": K}
