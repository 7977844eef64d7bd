"""Inference: load a model by name or path and predict DepthMaps."""

from monocle.infer.loading import load
from monocle.infer.predictor import Predictor, working_size

__all__ = ["Predictor", "load", "working_size"]
