"""Depth encodings of public datasets, decoded to metres.

Each reader returns ``(depth_m, valid)``: ``float32`` (H, W) metres with 0 at invalid pixels,
and a ``bool`` (H, W) mask.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from monocle.io.errors import DepthFileError
from monocle.io.pfm import read_pfm
from monocle.io.png16 import read_png16

KITTI_CODES_PER_METRE = 256.0
TUM_CODES_PER_METRE = 5000.0
MILLIMETRES_PER_METRE = 1000.0

_MIDDLEBURY_REQUIRED = ("cam0", "doffs", "baseline", "width", "height")


def read_kitti_depth(path: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray]:
    """KITTI depth (completion/prediction benchmark) PNG: uint16, depth = code / 256, 0 invalid."""
    return _scaled_png(path, KITTI_CODES_PER_METRE, "KITTI")


def read_tum_depth(path: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray]:
    """TUM RGB-D depth PNG: uint16, depth = code / 5000, 0 invalid."""
    return _scaled_png(path, TUM_CODES_PER_METRE, "TUM RGB-D")


def read_nyu_png_depth(path: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray]:
    """NYUv2 depth exported as uint16 PNG in millimetres (the common export), 0 invalid."""
    return _scaled_png(path, MILLIMETRES_PER_METRE, "NYUv2 millimetre")


def read_sunrgbd_depth(path: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray]:
    """SUN RGB-D depth PNG: uint16 with the 16 bits rotated right by 3, millimetres, 0 invalid.

    Decodes ``mm = (v >> 3) | (v << 13)`` wrapped to 16 bits, as the SUN RGB-D toolbox does.
    The toolbox's further clamp of depths over 8 m is not applied; do it in the data pipeline.
    """
    codes, _ = read_png16(path, fix=_png_fix("SUN RGB-D"))
    millimetres = (codes >> np.uint16(3)) | (codes << np.uint16(13))  # uint16 shifts wrap
    valid = millimetres != 0
    return (millimetres.astype(np.float32) / np.float32(MILLIMETRES_PER_METRE)), valid


def read_middlebury_calib(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Parse a Middlebury 2014 ``calib.txt``.

    Returns:
        dict with ``K`` (3x3 float64 ndarray of cam0), ``doffs`` (pixels), ``baseline_m``
        (metres; the file stores millimetres), ``width``, ``height`` (ints) and ``ndisp``
        (int, or None when absent).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise DepthFileError(f"{path}: Middlebury calib.txt not found; check the path") from None
    entries = {}
    for line in text.splitlines():
        key, separator, value = line.partition("=")
        if separator:
            entries[key.strip()] = value.strip()
    missing = [key for key in _MIDDLEBURY_REQUIRED if key not in entries]
    if missing:
        raise DepthFileError(
            f"{path}: calib.txt lacks {', '.join(missing)}; expected Middlebury 2014 lines such "
            "as cam0=[f 0 cx; 0 f cy; 0 0 1], doffs=..., baseline=..., width=..., height=..."
        )
    try:
        K = _parse_matrix(entries["cam0"])
        calib = {
            "K": K,
            "doffs": float(entries["doffs"]),
            "baseline_m": float(entries["baseline"]) / MILLIMETRES_PER_METRE,
            "width": int(entries["width"]),
            "height": int(entries["height"]),
            "ndisp": int(entries["ndisp"]) if "ndisp" in entries else None,
        }
    except ValueError as error:
        raise DepthFileError(f"{path}: malformed calib.txt value ({error})") from None
    return calib


def read_middlebury_depth(
    disp_pfm_path: str | os.PathLike[str], calib_path: str | os.PathLike[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Middlebury 2014 ``disp0.pfm`` plus ``calib.txt`` to metric depth of the left camera.

    ``Z = baseline_m * f / (d + doffs)`` with ``f = K[0, 0]``. Pixels with infinite disparity
    (Middlebury's "unknown") or ``d + doffs <= 0`` are invalid.
    """
    calib = read_middlebury_calib(calib_path)
    disparity, _ = read_pfm(disp_pfm_path)
    if disparity.ndim != 2:
        raise DepthFileError(f"{disp_pfm_path}: expected a grayscale 'Pf' disparity PFM")
    if disparity.shape != (calib["height"], calib["width"]):
        raise DepthFileError(
            f"{disp_pfm_path}: disparity is {disparity.shape[1]}x{disparity.shape[0]} but "
            f"{calib_path} describes {calib['width']}x{calib['height']}; use the calib.txt from "
            "the same resolution folder (F, H or Q)"
        )
    shifted = disparity.astype(np.float64) + calib["doffs"]
    valid = np.isfinite(shifted) & (shifted > 0)
    depth = np.zeros(disparity.shape, dtype=np.float64)
    depth[valid] = calib["baseline_m"] * calib["K"][0, 0] / shifted[valid]
    return depth.astype(np.float32), valid


def _scaled_png(
    path: str | os.PathLike[str], codes_per_metre: float, dataset: str
) -> tuple[np.ndarray, np.ndarray]:
    codes, _ = read_png16(path, fix=_png_fix(dataset))
    return codes.astype(np.float32) / np.float32(codes_per_metre), codes != 0


def _png_fix(dataset: str) -> str:
    return f"{dataset} depth is a 16-bit single-channel PNG; check that this is the depth file"


def _parse_matrix(text: str) -> np.ndarray:
    rows = [row.split() for row in text.strip().strip("[]").split(";")]
    matrix = np.array([[float(value) for value in row] for row in rows], dtype=np.float64)
    if matrix.shape != (3, 3):
        raise ValueError(f"cam0 must be a 3x3 matrix, got {text!r}")
    return matrix
