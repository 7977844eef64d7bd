"""Building blocks shared by monocle architectures."""

from monocle.models.blocks.conv import conv_bn_relu, conv_relu
from monocle.models.blocks.dorn import (
    OrdinalDepthHead,
    decode_ordinal,
    ordinal_log_probabilities,
    sid_thresholds,
)
from monocle.models.blocks.dpt_blocks import (
    FeatureFusionBlock,
    Reassemble,
    ResidualConvUnit,
    tokens_to_map,
)
from monocle.models.blocks.gcb import GlobalContextBlock
from monocle.models.blocks.nnconv import NNConv5
from monocle.models.blocks.sab import SpatialAttentionBlock
from monocle.models.blocks.upproj import UpProjection, unpool2x

__all__ = [
    "FeatureFusionBlock",
    "GlobalContextBlock",
    "NNConv5",
    "OrdinalDepthHead",
    "Reassemble",
    "ResidualConvUnit",
    "SpatialAttentionBlock",
    "UpProjection",
    "conv_bn_relu",
    "conv_relu",
    "decode_ordinal",
    "ordinal_log_probabilities",
    "sid_thresholds",
    "tokens_to_map",
    "unpool2x",
]
