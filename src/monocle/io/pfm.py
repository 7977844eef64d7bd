"""Portable Float Map (PFM) reading and writing.

PFM is a tiny text header (``PF`` colour or ``Pf`` grayscale, ``width height``, ``scale``)
followed by raw float32 rows stored bottom-to-top; a negative scale means little-endian data.
Written by hand because no installed library reads it reliably in both byte orders.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

from monocle.io.atomic import atomic_path
from monocle.io.errors import DepthFileError

# The header ends with exactly one whitespace byte after the scale; the float data follows.
_HEADER = re.compile(rb"(PF|Pf)\s+(\d+)\s+(\d+)\s+([-+0-9.eE]+)\s")


def read_pfm(path: str | os.PathLike[str]) -> tuple[np.ndarray, float]:
    """Read a PFM file.

    Args:
        path: ``.pfm`` file, little- or big-endian, ``Pf`` (grayscale) or ``PF`` (colour).

    Returns:
        (array, scale): ``float32`` array of shape (H, W) for ``Pf`` or (H, W, 3) for ``PF``,
        top row first; ``scale`` is the absolute header scale (its sign only encodes byte order).
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DepthFileError(f"{path}: PFM file not found; check the path") from None
    except OSError as error:
        raise DepthFileError(f"{path}: cannot read PFM file ({error})") from None
    header = _HEADER.match(data)
    if header is None:
        raise DepthFileError(
            f"{path}: not a PFM file (expected a 'Pf' or 'PF' header followed by width, height "
            "and scale); re-export it as PFM"
        )
    magic, width, height, scale_text = header.groups()
    try:
        scale = float(scale_text)
    except ValueError:
        raise DepthFileError(f"{path}: PFM scale {scale_text!r} is not a number") from None
    if scale == 0.0:
        raise DepthFileError(f"{path}: PFM scale is 0, which encodes no byte order; re-export it")
    channels = 3 if magic == b"PF" else 1
    shape = (int(height), int(width), channels)
    count = shape[0] * shape[1] * channels
    start = header.end()
    if len(data) - start < 4 * count:
        raise DepthFileError(
            f"{path}: PFM data is truncated ({len(data) - start} bytes for {width}x{height}x"
            f"{channels} floats, need {4 * count}); re-export it"
        )
    dtype = np.dtype("<f4" if scale < 0 else ">f4")
    values = np.frombuffer(data, dtype=dtype, count=count, offset=start).reshape(shape)
    values = np.flipud(values).astype(np.float32)  # bottom-to-top rows; also native byte order
    return (values[:, :, 0] if channels == 1 else values), abs(scale)


def write_pfm(path: str | os.PathLike[str], array: np.ndarray) -> Path:
    """Write a little-endian PFM file atomically (parent folders are created).

    Args:
        path: destination file.
        array: real array of shape (H, W) (written as ``Pf``) or (H, W, 3) (written as ``PF``);
            stored as float32.

    Returns:
        the written path.
    """
    path = Path(path)
    array = np.asarray(array)
    shape_ok = array.ndim == 2 or (array.ndim == 3 and array.shape[2] == 3)
    if not shape_ok or array.dtype.kind not in "iuf":
        raise DepthFileError(
            f"{path}: PFM holds real (H, W) or (H, W, 3) arrays, got {array.dtype} {array.shape}"
        )
    magic = b"PF" if array.ndim == 3 else b"Pf"
    height, width = array.shape[:2]
    header = magic + b"\n" + f"{width} {height}\n-1.0\n".encode("ascii")
    rows = np.ascontiguousarray(np.flipud(array), dtype="<f4")
    with atomic_path(path) as temporary:
        temporary.write_bytes(header + rows.tobytes())
    return path
