"""Depth losses: pure functions over ``(B,1,H,W)`` tensors with explicit masks, plus Module twins.

Every loss takes ``(pred, target, mask)`` where ``mask`` is bool validity or float weights (e.g.
validity times :func:`edge_weights`), and returns a finite scalar with finite gradients even
when no pixel is valid. ``LOSSES`` maps recipe names to the Module classes.
"""

from __future__ import annotations

from torch import nn

from monocle.losses.berhu import BerHuLoss, berhu_loss
from monocle.losses.edges import edge_weights
from monocle.losses.gfrl import GFRLoss, GFRLPairs, gfrl_loss, gfrl_pairs, sample_block_pixels
from monocle.losses.gradient import (
    GradientMatchingLoss,
    ScaleInvariantGradientLoss,
    gradient_matching_loss,
    scale_invariant_gradient_loss,
    scale_invariant_gradients,
)
from monocle.losses.normal import NormalLoss, image_space_normals, normal_loss, normals_from_depth
from monocle.losses.ordinal import OrdinalLoss, ordinal_labels, ordinal_loss
from monocle.losses.silog import SILogLoss, silog_loss
from monocle.losses.ssi import SSILoss, scale_and_shift, ssi_loss

LOSSES: dict[str, type[nn.Module]] = {
    "berhu": BerHuLoss,
    "silog": SILogLoss,
    "scale_invariant_gradient": ScaleInvariantGradientLoss,
    "gradient_matching": GradientMatchingLoss,
    "ssi": SSILoss,
    "normal": NormalLoss,
    "gfrl": GFRLoss,
    "ordinal": OrdinalLoss,
}

__all__ = [
    "LOSSES",
    "BerHuLoss",
    "GFRLPairs",
    "GFRLoss",
    "GradientMatchingLoss",
    "NormalLoss",
    "OrdinalLoss",
    "SILogLoss",
    "SSILoss",
    "ScaleInvariantGradientLoss",
    "berhu_loss",
    "edge_weights",
    "gfrl_loss",
    "gfrl_pairs",
    "gradient_matching_loss",
    "image_space_normals",
    "normal_loss",
    "normals_from_depth",
    "ordinal_labels",
    "ordinal_loss",
    "sample_block_pixels",
    "scale_and_shift",
    "scale_invariant_gradient_loss",
    "scale_invariant_gradients",
    "silog_loss",
    "ssi_loss",
]
