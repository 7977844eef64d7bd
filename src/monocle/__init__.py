"""monocle: monocular depth estimation, from one image to depth, 3D photos and bokeh."""

from monocle.depthmap import KINDS, DepthMap
from monocle.io import ImageError, read_image, write_image

__version__ = "0.1.0"

# Resolved on first use so that `import monocle` (and the CLI's --help) does not import torch.
_LAZY = {
    "load": "monocle.infer",
    "Predictor": "monocle.infer",
    "create_model": "monocle.models",
    "list_models": "monocle.models",
}

__all__ = [
    "KINDS",
    "DepthMap",
    "ImageError",
    "Predictor",
    "__version__",
    "create_model",
    "list_models",
    "load",
    "read_image",
    "write_image",
]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'monocle' has no attribute {name!r}")
