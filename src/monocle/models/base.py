"""The contract every monocle depth model follows, and the factory helper that builds one."""

from __future__ import annotations

import inspect
import os
from dataclasses import fields, replace
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from monocle.models.config import PretrainedConfig
from monocle.models.encoders import ImageNetEncoder, create_encoder


def check_image(image: Tensor) -> None:
    """Raise a clear error unless ``image`` is a float (B,3,H,W) RGB batch."""
    if image.ndim != 4 or image.shape[1] != 3:
        raise ValueError(
            f"expected (B,3,H,W) RGB in [0,1], got shape {tuple(image.shape)}; "
            "add a batch dimension with image[None] or convert grey/RGBA images to RGB"
        )
    if not image.is_floating_point():
        raise TypeError(
            f"expected a float image in [0,1], got dtype {image.dtype}; use image.float() / 255"
        )


def pad_to_multiple(image: Tensor, multiple: int, mode: str = "replicate") -> Tensor:
    """Pad the bottom and right of ``image`` so H and W are multiples of ``multiple``.

    Args:
        image: (B,C,H,W).
        multiple: positive int.
        mode: ``"replicate"`` or ``"reflect"`` (as in :func:`torch.nn.functional.pad`).

    Returns:
        (B,C,H',W') with H' = ceil(H/multiple)*multiple; the original sits at [..., :H, :W].
    """
    height, width = image.shape[-2:]
    pad_bottom = (multiple - height % multiple) % multiple
    pad_right = (multiple - width % multiple) % multiple
    return F.pad(image, (0, pad_right, 0, pad_bottom), mode=mode)


class DepthModel(nn.Module):
    """Base class: validates, normalises and pads the input, then crops every output back.

    Subclasses implement ``predict(x)`` on a normalised, padded (B,3,H',W') batch and return a
    dict of (B,C,H',W') maps; ``forward`` returns the same dict cropped to (B,C,H,W).
    """

    #: Architecture options that add blocks starting as the identity, each mapped to the
    #: state-dict prefixes of its blocks. Weights saved without such an option load into a model
    #: built with it (the model is "grown") and compute the same outputs until trained further.
    identity_options: ClassVar[dict[str, tuple[str, ...]]] = {}

    def __init__(self, cfg: PretrainedConfig) -> None:
        super().__init__()
        self.pretrained_cfg = cfg
        # Not persistent: the config (stored with every checkpoint) is the source of truth.
        self.register_buffer("mean", torch.tensor(cfg.mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(cfg.std).view(1, 3, 1, 1), persistent=False)

    def predict(self, x: Tensor) -> dict[str, Tensor]:
        raise NotImplementedError

    def forward(self, image: Tensor) -> dict[str, Tensor]:
        """Args: image (B,3,H,W) float RGB in [0,1]. Returns: dict of (B,C,H,W) outputs."""
        check_image(image)
        height, width = image.shape[-2:]
        x = pad_to_multiple((image - self.mean) / self.std, self.pretrained_cfg.size_multiple)
        outputs = self.predict(x)
        return {name: value[..., :height, :width] for name, value in outputs.items()}


def build_model(
    architecture: type[DepthModel], cfg: PretrainedConfig, overrides: dict[str, Any]
) -> DepthModel:
    """Apply ``overrides`` (config fields or architecture options) and build the model."""
    config_fields = {field.name for field in fields(PretrainedConfig)} - {"architecture"}
    options = inspect.signature(architecture.__init__).parameters
    valid_options = sorted(set(options) - {"self", "cfg"})
    unknown = sorted(set(overrides) - config_fields - set(valid_options))
    if unknown:
        raise ValueError(
            f"{cfg.architecture} got unknown option(s) {unknown}; architecture options: "
            f"{valid_options}; config fields: {sorted(config_fields)}"
        )
    cfg = replace(cfg, **{key: value for key, value in overrides.items() if key in config_fields})
    kwargs = {key: value for key, value in overrides.items() if key not in config_fields}
    model = architecture(cfg, **kwargs)
    return model.to(memory_format=torch.channels_last) if cfg.channels_last else model


def create_pyramid_encoder(
    cfg: PretrainedConfig, encoder_weights: str | os.PathLike | None, **options: Any
) -> ImageNetEncoder:
    """Build ``cfg.encoder`` and check it yields the 5-level CNN pyramid (strides 2..32)."""
    encoder = create_encoder(cfg.encoder, pretrained=encoder_weights or False, **options)
    if len(encoder.reductions) != 5 or encoder.reductions[0] != 2:
        raise ValueError(
            f"{cfg.architecture} needs a CNN encoder with 5 feature levels (resnet*, "
            f"mobilenet_v2), got {cfg.encoder!r}"
        )
    return encoder
