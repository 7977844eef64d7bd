"""Applications built on a depth map: depth-of-field rendering (:mod:`monocle.apps.bokeh`) and
3D photos (:mod:`monocle.apps.photo3d`)."""
