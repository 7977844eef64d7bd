"""Inference: load a model by name or path and predict DepthMaps."""

from monocle.infer.backends import Backend, TorchBackend
from monocle.infer.loading import checkpoint_path, load, load_model
from monocle.infer.predictor import Predictor, working_size

__all__ = [
    "Backend",
    "Predictor",
    "TorchBackend",
    "checkpoint_path",
    "load",
    "load_model",
    "working_size",
]
