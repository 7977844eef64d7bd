"""FastDepth (Wofk et al., ICRA 2019): light encoder, NNConv5 decoder, additive skips.

The original uses MobileNet-v1; monocle uses MobileNetV2 (torchvision has ImageNet weights
for it, and it is faster at equal accuracy). MobileNetV2's skips (16/24/32 channels) are
narrower than the decoder, so each skip passes a 1x1 conv before the addition. NetAdapt
pruning is not applied.

``global_context=True`` adds SANet's Global Context Block on the encoder's last features: the
whole image's context, from which a metric depth map takes its scale. Its output convolution starts
at zero, so a plain FastDepth's weights grown into it compute the same depth
(:func:`monocle.checkpoint.load_checkpoint`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import ClassVar

from torch import Tensor, nn

from monocle.models.base import DepthModel, build_model, create_pyramid_encoder
from monocle.models.blocks import GlobalContextBlock, NNConv5
from monocle.models.config import PretrainedConfig
from monocle.models.heads import PredictionHeads
from monocle.models.registry import register_model


class FastDepth(DepthModel):
    """Encoder stride 32 -> 5 x NNConv5 (each 2x up) -> pointwise depth at full resolution.

    Skips are added after decoder stages 2, 3, 4 (strides 8, 4, 2), as in ``MobileNetSkipAdd``.

    Args:
        decoder_channels: output widths of the 5 NNConv5 stages.
        encoder_weights: optional local ImageNet checkpoint for the encoder.
        global_context: add a Global Context Block (ratio 1/16, GCNet's) before the decoder.
    """

    #: Options that add blocks starting as the identity; see ``DepthModel.identity_options``.
    identity_options: ClassVar[dict[str, tuple[str, ...]]] = {"global_context": ("context.",)}

    def __init__(
        self,
        cfg: PretrainedConfig,
        decoder_channels: Sequence[int] = (512, 256, 128, 64, 32),
        encoder_weights: str | os.PathLike | None = None,
        global_context: bool = False,
    ) -> None:
        super().__init__(cfg)
        self.encoder = create_pyramid_encoder(cfg, encoder_weights)
        enc = self.encoder.channels
        dec = tuple(decoder_channels)
        if len(dec) != 5:
            raise ValueError(f"decoder_channels needs 5 widths, got {dec}")
        self.context = GlobalContextBlock(enc[4], ratio=1 / 16) if global_context else nn.Identity()
        widths = (enc[4], *dec)
        self.decoder = nn.ModuleList(NNConv5(widths[i], widths[i + 1]) for i in range(5))
        # Decoder stage s (1-based) ends at stride 32 / 2**s; stages 2..4 meet encoder level 4-s.
        self.skips = nn.ModuleList(
            nn.Identity() if enc[4 - s] == dec[s - 1] else nn.Conv2d(enc[4 - s], dec[s - 1], 1)
            for s in (2, 3, 4)
        )
        self.heads = PredictionHeads(dec[4], cfg, kernel_size=1)

    def predict(self, x: Tensor) -> dict[str, Tensor]:
        features = self.encoder(x)
        p = self.context(features[4])
        for stage, layer in enumerate(self.decoder, start=1):
            p = layer(p)
            if 2 <= stage <= 4:
                p = p + self.skips[stage - 2](features[4 - stage])
        return self.heads(p)


@register_model
def fastdepth(**overrides) -> FastDepth:
    """FastDepth with a MobileNetV2 encoder (the paper used MobileNet-v1)."""
    cfg = PretrainedConfig(
        architecture="fastdepth", encoder="mobilenet_v2", input_size=(224, 224), channels_last=True
    )
    return build_model(FastDepth, cfg, overrides)
