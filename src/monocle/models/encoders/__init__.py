"""Encoders with torchvision/timm parameter names, looked up by name."""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable
from typing import Any

from monocle.models.encoders.base import ImageNetEncoder, load_pretrained
from monocle.models.encoders.mobilenetv2 import MobileNetV2Encoder
from monocle.models.encoders.resnet import RESNET_SPECS, ResNetEncoder
from monocle.models.encoders.vit import VisionTransformerEncoder
from monocle.models.registry import unknown_name_error


def _resnet(name: str) -> Callable[..., ImageNetEncoder]:
    def factory(output_stride: int = 32) -> ImageNetEncoder:
        return ResNetEncoder(name, output_stride=output_stride)

    return factory


_ENCODERS: dict[str, Callable[..., ImageNetEncoder]] = {
    **{name: _resnet(name) for name in RESNET_SPECS},
    "mobilenet_v2": MobileNetV2Encoder,
    "vit_small_patch16": VisionTransformerEncoder,
}


def list_encoders() -> list[str]:
    """Sorted names accepted by :func:`create_encoder` (and the ``encoder=`` override)."""
    return sorted(_ENCODERS)


def create_encoder(
    name: str, pretrained: bool | str | os.PathLike = False, **options: Any
) -> ImageNetEncoder:
    """Build encoder ``name``; ``pretrained`` is False, or a local ImageNet checkpoint path.

    ``options`` are encoder-specific (``output_stride`` for ResNets, ``img_size`` for ViT).
    """
    if name not in _ENCODERS:
        raise unknown_name_error("encoder", name, _ENCODERS)
    factory = _ENCODERS[name]
    accepted = set(inspect.signature(factory).parameters)
    unknown = sorted(set(options) - accepted)
    if unknown:
        raise ValueError(
            f"encoder {name!r} does not accept option(s) {unknown}; it accepts {sorted(accepted)}"
        )
    encoder = factory(**options)
    load_pretrained(encoder, pretrained)
    return encoder


__all__ = [
    "ImageNetEncoder",
    "MobileNetV2Encoder",
    "ResNetEncoder",
    "VisionTransformerEncoder",
    "create_encoder",
    "list_encoders",
]
