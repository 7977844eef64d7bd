"""`monocle.load`: one entry point for registered names and checkpoint files."""

from __future__ import annotations

from pathlib import Path

import torch

from monocle.checkpoint import load_checkpoint
from monocle.infer.predictor import Predictor, resolve_device


def load(
    name_or_path: str | Path,
    *,
    device: str | torch.device | None = "auto",
    precision: str = "fp32",
) -> Predictor:
    """A :class:`Predictor` for a checkpoint path (``NAME.safetensors`` / ``NAME.json``) or a
    registered model name whose pretrained config names a weights file."""
    path = Path(name_or_path)
    if path.suffix in (".safetensors", ".json", ".pt", ".pth", ".ckpt") or path.exists():
        model = load_checkpoint(path, map_location=resolve_device(device))
        return Predictor(model, device=device, precision=precision)
    from monocle.models import get_config, list_models

    name = str(name_or_path)
    if name not in list_models():
        raise ValueError(
            f"{name!r} is neither a checkpoint file nor a known model; known models: "
            f"{', '.join(list_models())}"
        )
    weights = get_config(name).weights
    if not weights:
        raise ValueError(
            f"model {name!r} has no trained weights in this installation; train it with "
            "`monocle train` or pass a checkpoint path"
        )
    return load(weights, device=device, precision=precision)
