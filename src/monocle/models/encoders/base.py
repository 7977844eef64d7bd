"""Encoder base: known feature channels/reductions and strict ImageNet checkpoint loading."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import ClassVar

import torch
from torch import Tensor, nn


class ImageNetEncoder(nn.Module):
    """An ImageNet backbone with the parameter names of its torchvision/timm original.

    Subclasses set ``channels`` and ``reductions`` (one entry per returned feature map),
    ``classifier_keys`` (the classifier parameters present in an ImageNet checkpoint but
    absent here) and ``imagenet_url`` (where a user can get such a checkpoint).
    """

    name: str
    channels: tuple[int, ...]
    reductions: tuple[int, ...]
    classifier_keys: ClassVar[tuple[str, ...]] = ()
    imagenet_url: str = ""

    def forward(self, x: Tensor, stage_adapters: Sequence[nn.Module] | None = None) -> list[Tensor]:
        """Args: x (B,3,H,W) normalised. ``stage_adapters``: one module per returned stage,
        applied to that stage's output before the next stage consumes it (SANet's inline
        Global Context Blocks). Returns: feature maps (B,channels[i],H/reductions[i],...)."""
        raise NotImplementedError

    def load_imagenet_state_dict(self, state_dict: Mapping[str, Tensor]) -> None:
        """Load an ImageNet checkpoint with strict key matching.

        Only the classifier keys named in ``classifier_keys`` are dropped; any other missing or
        unexpected key is an error, so a checkpoint of the wrong model cannot half-load.
        """
        state_dict = {k: v for k, v in state_dict.items() if k not in self.classifier_keys}
        result = self.load_state_dict(self.adapt_state_dict(state_dict), strict=False)
        if result.missing_keys or result.unexpected_keys:
            raise ValueError(
                f"checkpoint does not match encoder {self.name!r} "
                f"(expected the ImageNet weights from {self.imagenet_url or 'its original'}): "
                f"missing keys {result.missing_keys[:8]}, unexpected keys "
                f"{result.unexpected_keys[:8]}"
            )

    def adapt_state_dict(self, state_dict: dict[str, Tensor]) -> dict[str, Tensor]:
        """Hook for shape adaptations that keep names (e.g. ViT position embeddings)."""
        return state_dict


def load_pretrained(encoder: ImageNetEncoder, pretrained: bool | str | os.PathLike) -> None:
    """Load ImageNet weights from a local file; monocle never downloads.

    ``pretrained=False`` keeps the random init; ``True`` raises (no bundled weights); a path
    (``.safetensors`` or a ``torch.save`` file, read with ``weights_only=True``) is loaded with
    :meth:`ImageNetEncoder.load_imagenet_state_dict`.
    """
    if pretrained is False:
        return
    if pretrained is True:
        raise RuntimeError(
            f"monocle does not download ImageNet weights for encoder {encoder.name!r}. "
            f"Download {encoder.imagenet_url or 'the original checkpoint'} yourself and pass its "
            "path, e.g. pretrained='/path/to/checkpoint.pth' (or encoder_weights=... to "
            "create_model)."
        )
    path = Path(pretrained)
    if not path.is_file():
        raise FileNotFoundError(f"ImageNet weights for encoder {encoder.name!r} not found: {path}")
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        state_dict = load_file(path)
    else:
        state_dict = torch.load(path, map_location="cpu", weights_only=True)
    encoder.load_imagenet_state_dict(state_dict)
