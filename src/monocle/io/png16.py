"""16-bit grayscale PNG with text metadata: the shared container for depth-as-integer files."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np
from PIL import Image, PngImagePlugin, UnidentifiedImageError

from monocle.io.atomic import atomic_path
from monocle.io.errors import DepthFileError


def write_png16(path: str | os.PathLike[str], codes: np.ndarray, text: dict[str, str]) -> Path:
    """Write ``codes`` (uint16, (H, W)) as a 16-bit grayscale PNG with ``text`` as tEXt chunks."""
    path = Path(path)
    info = PngImagePlugin.PngInfo()
    for key, value in text.items():
        info.add_text(key, value)
    image = Image.fromarray(np.ascontiguousarray(codes, dtype=np.uint16))
    with atomic_path(path) as temporary:
        image.save(temporary, format="PNG", pnginfo=info)
    return path


def read_png16(path: str | os.PathLike[str], *, fix: str) -> tuple[np.ndarray, dict[str, str]]:
    """Read a 16-bit grayscale PNG.

    Args:
        path: the PNG file.
        fix: sentence appended to every error, telling the user what to do instead.

    Returns:
        (codes, text): ``uint16`` array of shape (H, W) and the PNG text chunks.

    Raises:
        DepthFileError: missing, unreadable, corrupt, or not 16-bit single-channel.
    """
    path = Path(path)
    if not path.is_file():
        raise DepthFileError(f"{path}: depth file not found; check the path")
    try:
        with Image.open(path) as image:
            image.load()
            mode, text = image.mode, dict(getattr(image, "text", {}))
            codes = np.asarray(image)
    except UnidentifiedImageError:
        raise DepthFileError(f"{path}: not a readable image; {fix}") from None
    except (OSError, SyntaxError, ValueError, struct.error, EOFError) as error:
        raise DepthFileError(f"{path}: PNG is truncated or corrupt ({error}); {fix}") from None
    if mode == "I" and codes.size and codes.min() >= 0 and codes.max() <= 65535:
        codes = codes.astype(np.uint16)  # older Pillow opens 16-bit PNGs as 32-bit "I"
    if codes.dtype != np.uint16 or codes.ndim != 2:
        raise DepthFileError(
            f"{path}: expected a 16-bit single-channel PNG, got mode {mode} "
            f"({codes.dtype}, shape {codes.shape}); 8-bit or colour images cannot hold depth. "
            f"{fix}"
        )
    return codes, text
