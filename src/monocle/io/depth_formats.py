"""Per-format depth codecs behind :func:`monocle.io.read_depth` and :func:`monocle.io.write_depth`.

Each writer takes ``(path, values float32 (H, W), valid bool (H, W), description)``; each reader
returns ``(values float32 (H, W), valid, description)`` where ``description`` holds whatever of
``kind``/``unit``/``K`` the file carries.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import tifffile

from monocle.io.atomic import atomic_path
from monocle.io.errors import DepthFileError
from monocle.io.pfm import read_pfm, write_pfm
from monocle.io.png16 import read_png16, write_png16

METADATA_KEY = "monocle.depth"
SUPPORTED_DEPTH_FORMATS = ".png (16-bit), .pfm, .npy, .npz, .tif/.tiff, .exr"
_PNG_MAX_CODE = 65535  # code 0 is reserved for invalid pixels, so valid pixels use 1..65535

Description = dict[str, Any]  # {"kind", "unit", "K"} plus format-specific entries


def _parse_description(path: Path, text: str | bytes, where: str) -> Description:
    try:
        description = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise DepthFileError(
            f"{path}: the {where} metadata is not valid JSON; rewrite the file with write_depth"
        ) from None
    if not isinstance(description, dict):
        raise DepthFileError(f"{path}: the {where} metadata is not a JSON object")
    return description


def _nan_filled(values: np.ndarray, valid: np.ndarray) -> np.ndarray:
    return np.where(valid, values, np.float32(np.nan)).astype(np.float32)


def _as_plane(path: Path, array: np.ndarray) -> np.ndarray:
    """Accept (H, W), (1, H, W) or (H, W, 1) real arrays from other tools; return float32 (H, W)."""
    if array.ndim == 3 and 1 in (array.shape[0], array.shape[2]):
        array = array[0] if array.shape[0] == 1 else array[:, :, 0]
    if array.ndim != 2 or array.dtype.kind not in "iuf":
        raise DepthFileError(
            f"{path}: expected a single-channel real depth array, got {array.dtype} "
            f"{array.shape}; supported: {SUPPORTED_DEPTH_FORMATS}"
        )
    return array.astype(np.float32)


# --- 16-bit PNG --------------------------------------------------------------------------------


def _write_png(path: Path, values: np.ndarray, valid: np.ndarray, description: Description) -> None:
    valid_values = values[valid].astype(np.float64)
    low = float(valid_values.min()) if valid_values.size else 0.0
    high = float(valid_values.max()) if valid_values.size else 0.0
    # A constant (or empty) map has no range to spread; any positive step represents it exactly.
    scale = (high - low) / (_PNG_MAX_CODE - 1) if high > low else 1.0
    offset = low - scale  # value = offset + scale * code, so the minimum lands on code 1
    codes = np.zeros(values.shape, dtype=np.uint16)
    codes[valid] = np.clip(np.rint((valid_values - offset) / scale), 1, _PNG_MAX_CODE)
    text = json.dumps({**description, "scale": scale, "offset": offset})
    write_png16(path, codes, {METADATA_KEY: text})


def _read_png(path: Path) -> tuple[np.ndarray, np.ndarray, Description]:
    codes, text = read_png16(
        path, fix=f"depth PNGs must be 16-bit grayscale; supported: {SUPPORTED_DEPTH_FORMATS}"
    )
    valid = codes != 0
    if METADATA_KEY not in text:
        return codes.astype(np.float32), valid, {}
    description = _parse_description(path, text[METADATA_KEY], "PNG text chunk")
    try:
        scale, offset = float(description["scale"]), float(description["offset"])
    except (KeyError, TypeError, ValueError):
        raise DepthFileError(
            f"{path}: the PNG text chunk lacks a numeric scale/offset; rewrite with write_depth"
        ) from None
    return (offset + scale * codes.astype(np.float64)).astype(np.float32), valid, description


# --- float formats -----------------------------------------------------------------------------


def _write_pfm(path: Path, values: np.ndarray, valid: np.ndarray, description: Description) -> None:
    write_pfm(path, _nan_filled(values, valid))


def _read_pfm(path: Path) -> tuple[np.ndarray, np.ndarray, Description]:
    array, _ = read_pfm(path)
    if array.ndim != 2:
        raise DepthFileError(
            f"{path}: colour PFM ('PF', 3 channels) is not a depth map; use read_pfm for it, "
            "or write depth as a grayscale 'Pf' file"
        )
    return array, np.isfinite(array), {}


def _write_npy(path: Path, values: np.ndarray, valid: np.ndarray, description: Description) -> None:
    with atomic_path(path) as temporary:
        np.save(temporary, _nan_filled(values, valid))


def _load_numpy(path: Path) -> Any:
    try:
        return np.load(path, allow_pickle=False)
    except ValueError as error:
        raise _unpicklable(path, error) from None
    except (OSError, EOFError) as error:
        raise DepthFileError(f"{path}: not a readable numpy file ({error})") from None


def _unpicklable(path: Path, error: Exception) -> DepthFileError:
    return DepthFileError(
        f"{path}: holds pickled objects or is corrupt ({error}); monocle never unpickles "
        "depth files, save plain arrays instead"
    )


def _read_npy(path: Path) -> tuple[np.ndarray, np.ndarray, Description]:
    array = _load_numpy(path)
    if not isinstance(array, np.ndarray):
        raise DepthFileError(f"{path}: is an .npz archive despite its .npy suffix; rename it")
    values = _as_plane(path, array)
    return values, np.isfinite(values), {}


def _write_npz(path: Path, values: np.ndarray, valid: np.ndarray, description: Description) -> None:
    arrays = {"values": _nan_filled(values, valid), "valid": valid}
    arrays.update(
        {key: np.asarray(value) for key, value in description.items() if value is not None}
    )
    with atomic_path(path) as temporary:
        np.savez_compressed(temporary, **arrays)


def _read_npz(path: Path) -> tuple[np.ndarray, np.ndarray, Description]:
    archive = _load_numpy(path)
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise DepthFileError(f"{path}: is a single .npy array despite its .npz suffix; rename it")
    try:
        with archive:
            return _npz_contents(path, archive)
    except DepthFileError:
        raise
    except ValueError as error:  # raised lazily, when a member holding objects is accessed
        raise _unpicklable(path, error) from None


def _npz_contents(path: Path, archive: Any) -> tuple[np.ndarray, np.ndarray, Description]:
    names = list(archive.files)
    if "values" in names:
        key = "values"
    elif len(names) == 1:
        key = names[0]  # a single-array archive from another tool
    else:
        raise DepthFileError(
            f"{path}: archive has arrays {names} but no 'values'; store depth under 'values'"
        )
    values = _as_plane(path, archive[key])
    valid = np.isfinite(values)
    if "valid" in names:
        stored_valid = archive["valid"]
        if stored_valid.shape != values.shape:
            raise DepthFileError(
                f"{path}: 'valid' has shape {stored_valid.shape}, 'values' {values.shape}"
            )
        valid &= stored_valid.astype(bool)
    description: Description = {}
    for name in ("kind", "unit"):
        if name in names:
            description[name] = str(archive[name][()])
    if "K" in names:
        description["K"] = archive["K"].astype(np.float64).tolist()
    return values, valid, description


def _write_tiff(
    path: Path, values: np.ndarray, valid: np.ndarray, description: Description
) -> None:
    with atomic_path(path) as temporary:
        tifffile.imwrite(
            temporary,
            _nan_filled(values, valid),
            description=json.dumps({METADATA_KEY: description}),
            metadata=None,  # otherwise tifffile writes its own JSON into the same tag
            compression="zlib",
        )


def _read_tiff(path: Path) -> tuple[np.ndarray, np.ndarray, Description]:
    try:
        with tifffile.TiffFile(path) as tiff:
            page = tiff.pages[0]
            array, text = page.asarray(), page.description
    except (tifffile.TiffFileError, OSError, ValueError) as error:
        raise DepthFileError(f"{path}: not a readable TIFF ({error}); re-export it") from None
    if not np.issubdtype(array.dtype, np.floating):
        raise DepthFileError(
            f"{path}: TIFF depth must be floating point, got {array.dtype}; integer depth "
            f"needs a known scale (see monocle.io.read_kitti_depth etc.). Supported: "
            f"{SUPPORTED_DEPTH_FORMATS}"
        )
    values = _as_plane(path, array)
    description: Description = {}
    if text.lstrip().startswith("{"):
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError:
            parsed = None  # another tool's description; it just carries no monocle metadata
        if isinstance(parsed, dict) and isinstance(parsed.get(METADATA_KEY), dict):
            description = parsed[METADATA_KEY]
    return values, np.isfinite(values), description


def _openexr() -> Any:
    try:
        import OpenEXR
    except ImportError:
        raise DepthFileError(
            "EXR depth files need the OpenEXR package: pip install 'monocle[exr]'"
        ) from None
    return OpenEXR


def _write_exr(path: Path, values: np.ndarray, valid: np.ndarray, description: Description) -> None:
    openexr = _openexr()
    header = {
        "compression": openexr.ZIP_COMPRESSION,
        "type": openexr.scanlineimage,
        METADATA_KEY: json.dumps(description),
    }
    with atomic_path(path) as temporary:
        openexr.File(header, {"Z": _nan_filled(values, valid)}).write(str(temporary))


def _read_exr(path: Path) -> tuple[np.ndarray, np.ndarray, Description]:
    openexr = _openexr()
    try:
        with openexr.File(str(path), separate_channels=True) as exr:
            # The header mapping is emptied when the file closes, so take what we need now.
            text = exr.header().get(METADATA_KEY)
            channels = {name: channel.pixels for name, channel in exr.channels().items()}
    except Exception as error:  # OpenEXR raises bare RuntimeError/Exception for bad files
        raise DepthFileError(f"{path}: not a readable EXR ({error}); re-export it") from None
    if "Z" in channels:
        array = channels["Z"]
    elif len(channels) == 1:
        array = next(iter(channels.values()))
    else:
        raise DepthFileError(
            f"{path}: EXR has channels {sorted(channels)} but no depth channel 'Z'; "
            "write depth to a channel named Z"
        )
    values = _as_plane(path, np.asarray(array))
    description = {} if text is None else _parse_description(path, text, "EXR header")
    return values, np.isfinite(values), description


Writer = Callable[[Path, np.ndarray, np.ndarray, Description], None]
Reader = Callable[[Path], tuple[np.ndarray, np.ndarray, Description]]
WRITERS: dict[str, Writer] = {
    ".png": _write_png,
    ".pfm": _write_pfm,
    ".npy": _write_npy,
    ".npz": _write_npz,
    ".tif": _write_tiff,
    ".tiff": _write_tiff,
    ".exr": _write_exr,
}
READERS: dict[str, tuple[str, Reader]] = {
    ".png": ("png16", _read_png),
    ".pfm": ("pfm", _read_pfm),
    ".npy": ("npy", _read_npy),
    ".npz": ("npz", _read_npz),
    ".tif": ("tiff", _read_tiff),
    ".tiff": ("tiff", _read_tiff),
    ".exr": ("exr", _read_exr),
}
