"""monocle.models: one registry for every depth network.

>>> from monocle.models import create_model, list_models
>>> model = create_model("sanet_r18").eval()
>>> out = model(image)  # image (B,3,H,W) RGB in [0,1], any H, W
>>> out["depth"]        # (B,1,H,W) metres
"""

from monocle.models import architectures
from monocle.models.base import DepthModel, pad_to_multiple
from monocle.models.blocks import decode_ordinal, ordinal_log_probabilities, sid_thresholds
from monocle.models.config import OUTPUT_KINDS, PretrainedConfig
from monocle.models.encoders import create_encoder, list_encoders
from monocle.models.registry import (
    create_model,
    get_config,
    is_model,
    list_models,
    register_model,
)

__all__ = [
    "OUTPUT_KINDS",
    "DepthModel",
    "PretrainedConfig",
    "architectures",
    "create_encoder",
    "create_model",
    "decode_ordinal",
    "get_config",
    "is_model",
    "list_encoders",
    "list_models",
    "ordinal_log_probabilities",
    "pad_to_multiple",
    "register_model",
    "sid_thresholds",
]
