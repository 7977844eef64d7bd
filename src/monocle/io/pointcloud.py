"""PLY point clouds: binary little-endian writer; reader for binary (both byte orders) and ascii."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from monocle.io.atomic import atomic_path
from monocle.io.errors import DepthFileError

_PLY_TYPES = {
    "char": "i1", "int8": "i1", "uchar": "u1", "uint8": "u1",
    "short": "i2", "int16": "i2", "ushort": "u2", "uint16": "u2",
    "int": "i4", "int32": "i4", "uint": "u4", "uint32": "u4",
    "float": "f4", "float32": "f4", "double": "f8", "float64": "f8",
}  # fmt: skip
_BYTE_ORDERS = {"binary_little_endian": "<", "binary_big_endian": ">", "ascii": "<"}


def write_ply(
    path: str | os.PathLike[str], points: np.ndarray, colors: np.ndarray | None = None
) -> Path:
    """Write a binary little-endian PLY point cloud atomically (parent folders are created).

    Args:
        path: destination ``.ply`` file.
        points: real (N, 3) positions, stored as float32 ``x y z``.
        colors: ``uint8`` (N, 3) RGB stored as ``red green blue``, or None.

    Returns:
        the written path.
    """
    path = Path(path)
    points = np.asarray(points)
    if points.ndim != 2 or points.shape[1] != 3 or points.dtype.kind not in "iuf":
        raise ValueError(f"{path}: points must be a real (N, 3) array, got {points.shape}")
    fields = [("x", "<f4"), ("y", "<f4"), ("z", "<f4")]
    if colors is not None:
        colors = np.asarray(colors)
        if colors.dtype != np.uint8 or colors.shape != points.shape:
            raise ValueError(
                f"{path}: colors must be uint8 of shape {points.shape}, got {colors.dtype} "
                f"{colors.shape}; scale 0..1 floats with (c * 255).round().astype(np.uint8)"
            )
        fields += [("red", "u1"), ("green", "u1"), ("blue", "u1")]
    vertices = np.empty(len(points), dtype=fields)
    for axis, name in enumerate("xyz"):
        vertices[name] = points[:, axis]
    if colors is not None:
        for channel, name in enumerate(("red", "green", "blue")):
            vertices[name] = colors[:, channel]
    ply_type = {"<f4": "float", "u1": "uchar"}
    header = "".join(
        [
            "ply\n",
            "format binary_little_endian 1.0\n",
            f"element vertex {len(points)}\n",
            *(f"property {ply_type[dtype]} {name}\n" for name, dtype in fields),
            "end_header\n",
        ]
    )
    with atomic_path(path) as temporary:
        temporary.write_bytes(header.encode("ascii") + vertices.tobytes())
    return path


def read_ply(path: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray | None]:
    """Read the vertices of a PLY file (binary either byte order, or ascii).

    Returns:
        (points, colors): float32 (N, 3) and uint8 (N, 3) from uchar ``red green blue``
        properties, or None when the file has no colours. Other elements (e.g. faces) are
        ignored as long as they follow the vertices.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DepthFileError(f"{path}: PLY file not found; check the path") from None
    end = data.find(b"end_header")
    body_start = data.find(b"\n", end) + 1
    if not data.startswith(b"ply") or end < 0 or body_start == 0:
        raise DepthFileError(f"{path}: not a PLY file (no 'ply' ... 'end_header' header)")
    storage, count, properties = _parse_header(path, data[:end].decode("ascii", "replace"))
    if storage == "ascii":
        tokens = data[body_start:].split()[: count * len(properties)]
        if len(tokens) < count * len(properties):
            raise DepthFileError(f"{path}: PLY vertex data is truncated")
        table = np.asarray(tokens, dtype=np.float64).reshape(count, len(properties))
        columns = {name: table[:, i] for i, (name, _) in enumerate(properties)}
    else:
        order = _BYTE_ORDERS[storage]
        dtype = np.dtype([(name, order + code) for name, code in properties])
        if len(data) - body_start < dtype.itemsize * count:
            raise DepthFileError(f"{path}: PLY vertex data is truncated")
        vertices = np.frombuffer(data, dtype=dtype, count=count, offset=body_start)
        columns = {name: vertices[name] for name, _ in properties}
    missing = [axis for axis in "xyz" if axis not in columns]
    if missing:
        raise DepthFileError(f"{path}: PLY vertices lack {', '.join(missing)}")
    points = np.stack([columns[axis] for axis in "xyz"], axis=1).astype(np.float32)
    if not all(channel in columns for channel in ("red", "green", "blue")):
        return points, None
    colour_types = {code for name, code in properties if name in ("red", "green", "blue")}
    if colour_types != {"u1"}:
        raise DepthFileError(f"{path}: PLY colours must be uchar, got {sorted(colour_types)}")
    colors = np.stack([columns[c] for c in ("red", "green", "blue")], axis=1).astype(np.uint8)
    return points, colors


def _parse_header(path: Path, header: str) -> tuple[str, int, list[tuple[str, str]]]:
    storage = None
    vertex_count = None
    properties: list[tuple[str, str]] = []
    current = None
    for line in header.splitlines()[1:]:
        words = line.split()
        if not words or words[0] in ("comment", "obj_info"):
            continue
        if words[0] == "format" and len(words) >= 2:
            storage = words[1]
        elif words[0] == "element" and len(words) == 3 and words[2].isdigit():
            current = words[1]
            if current == "vertex":
                vertex_count = int(words[2])
            elif vertex_count is None:
                raise DepthFileError(
                    f"{path}: PLY element {current!r} precedes the vertices; only files with "
                    "vertices first are supported"
                )
        elif words[0] == "property" and current == "vertex":
            if len(words) != 3 or words[1] not in _PLY_TYPES:
                raise DepthFileError(f"{path}: unsupported PLY vertex property {line.strip()!r}")
            properties.append((words[2], _PLY_TYPES[words[1]]))
    if storage not in _BYTE_ORDERS:
        raise DepthFileError(f"{path}: unknown PLY format {storage!r}")
    if vertex_count is None:
        raise DepthFileError(f"{path}: PLY file has no vertex element")
    return storage, vertex_count, properties
