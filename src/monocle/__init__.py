"""monocle: monocular depth estimation, from one image to depth, 3D photos and bokeh."""

from monocle.depthmap import KINDS, DepthMap
from monocle.io import ImageError, read_image

__version__ = "0.1.0"

__all__ = ["KINDS", "DepthMap", "ImageError", "__version__", "read_image"]
