"""monocle.apps.photo3d — a moving 3D photo from one picture and its depth, headless.

>>> from monocle.apps.photo3d import make_photo3d, write_photo3d
>>> photo = make_photo3d(image, depth_map, path="circle")  # doctest: +SKIP
>>> write_photo3d(photo, "out/")  # MP4, GIF, GLB, HTML viewer  # doctest: +SKIP

Depth discontinuities cut the pixel grid into a visible layer and a background layer (a
layered depth image); the background hidden behind foreground edges gets its depth from a
Poisson solve and its colour from OpenCV or a small learned network; the layers become one
textured mesh with no triangle across a cut, rendered along a camera path by OpenGL over EGL
(or a pure-torch rasteriser). See docs/photo3d.md.
"""

from __future__ import annotations

from monocle.apps.photo3d.depth_input import default_intrinsics, planar_depth
from monocle.apps.photo3d.edges import DEPTH_THRESHOLD, Cuts, find_cuts, sharpen_disparity
from monocle.apps.photo3d.fill import fill_background_disparity, inpaint_classical
from monocle.apps.photo3d.layers import LayeredDepth, build_layers, synthesis_region
from monocle.apps.photo3d.mesh import Mesh, build_mesh, export_mesh
from monocle.apps.photo3d.paths import PATHS, CameraPath, border_margin, camera_path, edge_gaps
from monocle.apps.photo3d.pipeline import (
    INPAINTERS,
    RENDERERS,
    Photo3D,
    make_photo3d,
    open_renderer,
    render_path,
    write_photo3d,
)
from monocle.apps.photo3d.render_torch import Frame, TorchRenderer
from monocle.apps.photo3d.video import depth_fog, write_gif, write_mp4

__all__ = [
    "DEPTH_THRESHOLD",
    "INPAINTERS",
    "PATHS",
    "RENDERERS",
    "CameraPath",
    "Cuts",
    "Frame",
    "LayeredDepth",
    "Mesh",
    "Photo3D",
    "TorchRenderer",
    "border_margin",
    "build_layers",
    "build_mesh",
    "camera_path",
    "default_intrinsics",
    "depth_fog",
    "edge_gaps",
    "export_mesh",
    "fill_background_disparity",
    "find_cuts",
    "inpaint_classical",
    "make_photo3d",
    "open_renderer",
    "planar_depth",
    "render_path",
    "sharpen_disparity",
    "synthesis_region",
    "write_gif",
    "write_mp4",
    "write_photo3d",
]
