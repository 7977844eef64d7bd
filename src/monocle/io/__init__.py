"""Reading and writing images, depth files, dataset depth encodings, colour maps and point clouds.

The bottom layer of monocle: numpy arrays in and out, no dependency on the rest of the package.
"""

from __future__ import annotations

from monocle.io.colormaps import COLORMAPS, colorize, colormap_lut
from monocle.io.conventions import (
    read_kitti_depth,
    read_middlebury_calib,
    read_middlebury_depth,
    read_nyu_png_depth,
    read_sunrgbd_depth,
    read_tum_depth,
)
from monocle.io.depth_files import (
    DEPTH_KINDS,
    SUPPORTED_DEPTH_FORMATS,
    read_depth,
    write_depth,
)
from monocle.io.errors import DepthFileError, ImageError
from monocle.io.images import DEFAULT_MAX_PIXELS, read_image, write_image
from monocle.io.nyu_mat import NyuMat
from monocle.io.pfm import read_pfm, write_pfm
from monocle.io.pointcloud import read_ply, write_ply

__all__ = [
    "COLORMAPS",
    "DEFAULT_MAX_PIXELS",
    "DEPTH_KINDS",
    "SUPPORTED_DEPTH_FORMATS",
    "DepthFileError",
    "ImageError",
    "NyuMat",
    "colorize",
    "colormap_lut",
    "read_depth",
    "read_image",
    "read_kitti_depth",
    "read_middlebury_calib",
    "read_middlebury_depth",
    "read_nyu_png_depth",
    "read_pfm",
    "read_ply",
    "read_sunrgbd_depth",
    "read_tum_depth",
    "write_depth",
    "write_image",
    "write_pfm",
    "write_ply",
]
