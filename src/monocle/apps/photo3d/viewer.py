"""A single self-contained HTML file that shows a 3D photo in any browser, phones included.

The mesh, its texture atlas and the camera go into the page as base64; the page's own WebGL
code (viewer.html beside this module: no network, no external script) moves the camera with
the mouse, a finger, or the phone's gyroscope. ``#x=0.3,y=-1`` in the URL pins the pointer
position (x, y in [-1, 1]), which is what the browser test uses to compare two views.
"""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import numpy as np

from monocle.apps.photo3d.paths import AMPLITUDES

TEMPLATE = Path(__file__).resolve().parent / "viewer.html"
MAX_TEXTURE_SIDE = 4096  # what every WebGL implementation accepts
JPEG_QUALITY = 92


def _b64(array: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(array).tobytes()).decode("ascii")


def _jpeg(texture: np.ndarray) -> str:
    from PIL import Image

    image = Image.fromarray(texture)
    scale = min(1.0, MAX_TEXTURE_SIDE / max(image.size))
    if scale < 1.0:
        image = image.resize((round(image.width * scale), round(image.height * scale)))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=JPEG_QUALITY)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def viewer_data(photo, amplitude: float = 1.0) -> dict:
    """The JSON the page embeds: mesh arrays, texture, K, size, clip range, camera reach.

    The pointer at the edge of the picture moves the camera by the circle path's sideways
    amplitude (methods.md §2), times ``amplitude``.
    """
    mesh = photo.mesh
    tex_h, tex_w = mesh.texture.shape[:2]
    near = photo.layers.z_scale / 3.0
    reach = [a * 3.0 * near * amplitude for a in AMPLITUDES["circle"][:2]]
    z_min, z_max = mesh.depth_range
    return {
        "positions": _b64(mesh.vertices.astype("<f4")),
        "texel": _b64(mesh.homogeneous_uv().astype("<f4")),
        "atlas_size": [tex_w, tex_h],
        "faces": _b64(mesh.faces.astype("<u4")),
        "texture": _jpeg(mesh.texture),
        "K": np.asarray(photo.K, dtype=float).tolist(),
        "size": list(photo.size),
        "clip": [0.5 * max(z_min - max(reach), 1e-4 * z_max), 2.0 * (z_max + max(reach))],
        "amplitude": reach,
    }


def write_viewer(photo, path: str | Path, amplitude: float = 1.0) -> Path:
    """Write the viewer page for ``photo`` (a :class:`.pipeline.Photo3D`) to ``path``."""
    path = Path(path)
    if path.suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"{path}: the viewer is an HTML page; use a .html file name")
    page = TEMPLATE.read_text(encoding="utf-8")
    data = json.dumps(viewer_data(photo, amplitude), separators=(",", ":"))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page.replace("/*PHOTO3D_DATA*/null", data, 1), encoding="utf-8")
    return path
