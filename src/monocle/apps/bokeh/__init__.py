"""monocle.apps.bokeh — depth-of-field rendering that respects occlusion.

>>> from monocle.apps.bokeh import render
>>> out = render("photo.jpg", depth_map, focus=(320, 200), fnumber=1.8)  # doctest: +SKIP

See docs/bokeh.md for the lens models, the renderer and the command line.
"""

from __future__ import annotations

from monocle.apps.bokeh.aperture import APERTURES, aperture_kernel, parse_aperture
from monocle.apps.bokeh.baseline import gaussian_depth_slices
from monocle.apps.bokeh.layers import render_linear
from monocle.apps.bokeh.lens import (
    blur_radius_map,
    disparity_radius,
    focus_disparity,
    thin_lens_radius,
)
from monocle.apps.bokeh.render import recover_highlights, render

__all__ = [
    "APERTURES",
    "aperture_kernel",
    "blur_radius_map",
    "disparity_radius",
    "focus_disparity",
    "gaussian_depth_slices",
    "parse_aperture",
    "recover_highlights",
    "render",
    "render_linear",
    "thin_lens_radius",
]
