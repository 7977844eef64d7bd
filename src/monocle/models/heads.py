"""Output heads: a raw prediction map becomes named, bounded outputs of the configured kind.

Metric depth uses ``min_depth + (max_depth - min_depth) * sigmoid(raw)``: the config already
declares the sensor range, so the output can never leave it, starts mid-range at
initialisation, and has a non-zero gradient everywhere (a final ReLU, as in the SANet and
FastDepth code, can die and output 0 m). Log depth is unbounded around the geometric centre of
the range so log-space losses never saturate; disparity uses softplus (positive, never dead).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from monocle.models.config import PretrainedConfig


class DepthOutput(nn.Module):
    """Turn a raw (B,1,H,W) map into ``{"depth"}``, ``{"log_depth","depth"}`` or
    ``{"disparity"}`` according to ``kind``."""

    def __init__(self, kind: str, min_depth: float, max_depth: float) -> None:
        super().__init__()
        self.kind = kind
        self.min_depth = min_depth
        self.max_depth = max_depth
        self.log_centre = 0.5 * (math.log(min_depth) + math.log(max_depth))

    def forward(self, raw: Tensor) -> dict[str, Tensor]:
        if self.kind == "metric":
            return {"depth": self.min_depth + (self.max_depth - self.min_depth) * raw.sigmoid()}
        if self.kind == "log_depth":
            log_depth = raw + self.log_centre
            return {"log_depth": log_depth, "depth": log_depth.exp()}
        return {"disparity": F.softplus(raw)}


class PredictionHeads(nn.Module):
    """Depth (always), unit surface normals and person-segmentation logits (optional).

    Each head is one ``kernel_size`` convolution over the same features. With ``size``, raw
    maps are resized bilinearly before the activation, so outputs stay in range and normals
    stay unit length.
    """

    def __init__(
        self,
        in_channels: int,
        cfg: PretrainedConfig,
        *,
        normals: bool = False,
        segmentation: bool = False,
        kernel_size: int = 3,
    ) -> None:
        super().__init__()

        def conv(out_channels: int) -> nn.Conv2d:
            return nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2)

        self.depth = conv(1)
        self.depth_output = DepthOutput(cfg.output_kind, cfg.min_depth, cfg.max_depth)
        self.normals = conv(3) if normals else None
        self.segmentation = conv(1) if segmentation else None

    def forward(
        self, features: Tensor, size: tuple[int, int] | torch.Size | None = None
    ) -> dict[str, Tensor]:
        """Args: features (B,C,h,w); size: optional (H,W). Returns dict of (B,·,H,W) maps."""

        def raw(conv: nn.Conv2d) -> Tensor:
            out = conv(features)
            if size is None:
                return out
            return F.interpolate(out, size=size, mode="bilinear", align_corners=False)

        outputs = self.depth_output(raw(self.depth))
        if self.normals is not None:
            outputs["normals"] = F.normalize(raw(self.normals), dim=1, eps=1e-6)
        if self.segmentation is not None:
            outputs["segmentation"] = raw(self.segmentation)
        return outputs
