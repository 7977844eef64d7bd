"""Robust image decoding to uint8 RGB, and image writing.

Every source kind (path, bytes, PIL image, numpy array, torch tensor) ends up as one thing: a
contiguous ``uint8`` array of shape ``(H, W, 3)`` in RGB order, upright as the camera meant it.
"""

from __future__ import annotations

import io
import os
import struct
import sys
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from monocle.io.atomic import atomic_path
from monocle.io.errors import ImageError

DEFAULT_MAX_PIXELS = 100_000_000

_SIXTEEN_BIT_MODES = ("I;16", "I;16L", "I;16B", "I;16N")
# Floats a hair outside [0, 1] come from resampling; anything beyond half an 8-bit step is a
# different convention (e.g. 0..255 floats) and would be silently clipped to white.
_FLOAT_TOLERANCE = 0.5 / 255.0
_WRITE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}


def read_image(src: Any, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Read any common image source as RGB.

    Args:
        src: a path (str or ``os.PathLike``), encoded bytes, a ``PIL.Image.Image``, a numpy array
            of shape (H,W), (H,W,1), (H,W,3) or (H,W,4) with dtype uint8, uint16 or float in
            [0, 1], or a torch tensor, uint8 or float in [0, 1], shaped (3,H,W), else (H,W,C)
            when the last axis has 1, 3 or 4 entries, else (1,H,W) or (4,H,W).
        max_pixels: refuse images with more pixels than this. For files and bytes the check reads
            only the header, before any pixel is decoded. Pillow's own decompression-bomb limit
            (``PIL.Image.MAX_IMAGE_PIXELS``) still applies on top.

    Returns:
        contiguous ``uint8`` array of shape (H, W, 3), RGB.

    Conversions: EXIF orientation is applied; grayscale is replicated to three channels; alpha
    (RGBA, LA, PA) is dropped rather than composited, so the colour under a transparent pixel is
    kept as stored; palette and CMYK images are converted by Pillow; 16-bit values are scaled to
    8 bits with rounding (``round(v * 255 / 65535)``); floats are scaled by 255 and rounded.

    Raises:
        ImageError: the file is missing, not an image, truncated or corrupt, larger than
            ``max_pixels``, or the array/tensor has an unsupported shape, dtype or value range.
    """
    if isinstance(src, (str, os.PathLike)):
        return _read_file(Path(src), max_pixels)
    if isinstance(src, (bytes, bytearray, memoryview)):
        return _decode(io.BytesIO(bytes(src)), "<bytes>", max_pixels)
    if isinstance(src, Image.Image):
        _check_pixel_count(src.width, src.height, "<PIL image>", max_pixels)
        return _upright_rgb(src, "<PIL image>")
    # Only a program that imported torch can hand us a tensor, so torch is never imported here.
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(src, torch.Tensor):
        return _array_to_rgb(_tensor_to_array(src), "<tensor>", max_pixels)
    if isinstance(src, np.ndarray):
        return _array_to_rgb(src, "<array>", max_pixels)
    raise ImageError(
        f"read_image cannot read a {type(src).__name__}; pass a file path, encoded bytes, "
        "a PIL image, a numpy array or a torch tensor"
    )


def write_image(path: str | os.PathLike[str], rgb: np.ndarray) -> Path:
    """Write an RGB image as PNG (lossless) or JPEG (quality 95), chosen by the suffix.

    Args:
        path: destination ending in ``.png``, ``.jpg`` or ``.jpeg``; parent folders are created
            and the file appears atomically.
        rgb: ``uint8`` array of shape (H, W, 3).

    Returns:
        the written path.
    """
    path = Path(path)
    image_format = _WRITE_FORMATS.get(path.suffix.lower())
    if image_format is None:
        raise ImageError(
            f"{path}: cannot write images with suffix {path.suffix!r}; use one of "
            f"{', '.join(_WRITE_FORMATS)}"
        )
    if (
        not isinstance(rgb, np.ndarray)
        or rgb.dtype != np.uint8
        or rgb.ndim != 3
        or rgb.shape[2] != 3
    ):
        described = (
            f"{rgb.dtype} {rgb.shape}" if isinstance(rgb, np.ndarray) else type(rgb).__name__
        )
        raise ImageError(
            f"{path}: write_image needs a uint8 array of shape (H, W, 3), got {described}; "
            "convert with read_image(x) first"
        )
    options = {"quality": 95} if image_format == "JPEG" else {}
    with atomic_path(path) as temporary:
        Image.fromarray(np.ascontiguousarray(rgb), mode="RGB").save(
            temporary, format=image_format, **options
        )
    return path


def _read_file(path: Path, max_pixels: int) -> np.ndarray:
    if not path.exists():
        raise ImageError(f"{path}: image not found; check the path and the working directory")
    if path.is_dir():
        raise ImageError(f"{path}: is a folder, not an image file")
    with path.open("rb") as handle:
        return _decode(handle, str(path), max_pixels)


def _decode(handle: Any, name: str, max_pixels: int) -> np.ndarray:
    try:
        image = Image.open(handle)
    except Image.DecompressionBombError as error:
        raise ImageError(
            f"{name}: image is too large to decode safely ({error}); downscale it, or raise "
            "PIL.Image.MAX_IMAGE_PIXELS if you trust the file"
        ) from None
    except UnidentifiedImageError:
        raise ImageError(
            f"{name}: not a recognised image file; convert it to PNG or JPEG"
        ) from None
    except (OSError, SyntaxError, ValueError, struct.error) as error:
        raise ImageError(f"{name}: cannot open image ({error}); re-export it") from None
    with image:
        _check_pixel_count(image.width, image.height, name, max_pixels)
        return _upright_rgb(image, name)


def _upright_rgb(image: Image.Image, name: str) -> np.ndarray:
    try:
        image.load()
        upright = ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError, struct.error, EOFError) as error:
        raise ImageError(f"{name}: file is truncated or corrupt ({error}); re-export it") from None
    return _pil_to_rgb(upright, name)


def _check_pixel_count(width: int, height: int, name: str, max_pixels: int) -> None:
    if width * height > max_pixels:
        raise ImageError(
            f"{name}: image is {width}x{height} = {width * height:,} pixels, over the limit of "
            f"{max_pixels:,}; downscale it or pass a larger max_pixels"
        )


def _pil_to_rgb(image: Image.Image, name: str) -> np.ndarray:
    # Pillow's own conversion clips 16-bit and float modes to 0..255, so those go through numpy.
    if image.mode in _SIXTEEN_BIT_MODES or image.mode == "F":
        return _array_to_rgb(np.asarray(image), name, max_pixels=None)
    if image.mode == "I":
        values = np.asarray(image)
        if values.size and (values.min() < 0 or values.max() > np.iinfo(np.uint16).max):
            raise ImageError(
                f"{name}: 32-bit integer image with values outside 0..65535 has no standard "
                "brightness scale; convert it to 8 or 16 bits"
            )
        return _array_to_rgb(values.astype(np.uint16), name, max_pixels=None)
    return np.ascontiguousarray(np.asarray(image.convert("RGB")))


def _tensor_to_array(tensor: Any) -> np.ndarray:
    tensor = tensor.detach().cpu()
    if tensor.is_floating_point():
        tensor = tensor.float()  # numpy has no bfloat16
    values = tensor.numpy()
    if values.ndim == 3 and (
        values.shape[0] == 3 or (values.shape[0] in (1, 4) and values.shape[2] not in (1, 3, 4))
    ):
        values = values.transpose(1, 2, 0)
    return values


def _array_to_rgb(values: np.ndarray, name: str, max_pixels: int | None) -> np.ndarray:
    if values.ndim == 2:
        values = values[:, :, None]
    if values.ndim != 3 or values.shape[2] not in (1, 3, 4):
        hint = "; for a batch pass one image, e.g. x[0]" if values.ndim == 4 else ""
        raise ImageError(
            f"{name}: expected shape (H,W), (H,W,1), (H,W,3) or (H,W,4) (tensors may be "
            f"(C,H,W)), got {tuple(values.shape)}{hint}"
        )
    if max_pixels is not None:
        _check_pixel_count(values.shape[1], values.shape[0], name, max_pixels)
    rgb = _to_uint8(values[:, :, :3], name)
    if rgb.shape[2] == 1:
        rgb = np.repeat(rgb, 3, axis=2)
    return np.ascontiguousarray(rgb)


def _to_uint8(values: np.ndarray, name: str) -> np.ndarray:
    if values.dtype == np.uint8:
        return values
    if values.dtype == np.bool_:
        return values.astype(np.uint8) * np.uint8(255)
    if values.dtype == np.uint16:
        # Exact integer rounding of v * 255 / 65535 (= v / 257), not truncation to the high byte.
        return ((values.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
    if np.issubdtype(values.dtype, np.floating):
        values = values.astype(np.float32)
        if not np.isfinite(values).all():
            raise ImageError(f"{name}: float image contains NaN or infinity; fix the values")
        if values.size and (
            values.min() < -_FLOAT_TOLERANCE or values.max() > 1.0 + _FLOAT_TOLERANCE
        ):
            raise ImageError(
                f"{name}: float image values span [{values.min():g}, {values.max():g}] but must "
                "lie in [0, 1]; divide 0..255 data by 255 or pass it as uint8"
            )
        return np.rint(np.clip(values, 0.0, 1.0) * 255.0).astype(np.uint8)
    raise ImageError(
        f"{name}: unsupported dtype {values.dtype}; use uint8, uint16 or float in [0, 1] "
        "(e.g. x.astype(np.uint8))"
    )
