"""`monocle.load`: one entry point for registered names, checkpoints and ONNX/ORT files."""

from __future__ import annotations

from pathlib import Path

import torch

from monocle.checkpoint import load_checkpoint
from monocle.infer.backends import resolve_device
from monocle.infer.predictor import Predictor

CHECKPOINT_SUFFIXES = (".safetensors", ".json", ".pt", ".pth", ".ckpt")
ONNX_SUFFIXES = (".onnx", ".ort")
# Models monocle trains and ships inside the package: name -> the first recipe of its stages.
SHIPPED_MODELS = {"default": "configs/default.yaml", "fast": "configs/fast.yaml"}
WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "weights"


def shipped_weights(name: str) -> Path:
    """Path of a shipped model's weights; a clear error when this installation lacks them."""
    path = WEIGHTS_DIR / f"{name}.safetensors"
    if not path.is_file():
        raise ValueError(
            f"shipped model {name!r} is not in this installation ({path} is missing); "
            f"train it in the stages docs/models.md lists, from `monocle train --config "
            f"{SHIPPED_MODELS[name]}` on, and pass the checkpoint path"
        )
    return path


def checkpoint_path(name_or_path: str | Path) -> Path:
    """The checkpoint file behind a shipped model name (``"default"``, ``"fast"``), a checkpoint
    path (``NAME.safetensors`` / ``NAME.json``) or a registered architecture whose pretrained
    config names a weights file; a clear error for anything else."""
    path = Path(name_or_path)
    if path.suffix in CHECKPOINT_SUFFIXES or path.exists():
        return path
    from monocle.models import get_config, list_models

    name = str(name_or_path)
    if name in SHIPPED_MODELS:
        return shipped_weights(name)
    if name not in list_models():
        raise ValueError(
            f"{name!r} is neither a checkpoint file nor a known model; shipped models: "
            f"{', '.join(SHIPPED_MODELS)}; architectures: {', '.join(list_models())}"
        )
    weights = get_config(name).weights
    if not weights:
        raise ValueError(
            f"model {name!r} has no trained weights in this installation; train it with "
            "`monocle train` or pass a checkpoint path"
        )
    return checkpoint_path(weights)


def load_model(
    name_or_path: str | Path, *, map_location: str | torch.device = "cpu"
) -> torch.nn.Module:
    """The trained ``nn.Module`` behind ``name_or_path`` (see :func:`checkpoint_path`)."""
    return load_checkpoint(checkpoint_path(name_or_path), map_location=map_location)


def load(
    name_or_path: str | Path,
    *,
    device: str | torch.device | None = "auto",
    precision: str = "fp32",
    flip: bool = False,
) -> Predictor:
    """A :class:`Predictor` for a checkpoint, a registered model name with weights, or an
    exported ``.onnx`` / ``.ort`` file (run by onnxruntime; its precision is the one it was
    exported with, so ``precision`` must stay ``"fp32"`` there). ``flip``: average with the
    mirrored image's prediction (see :class:`Predictor`)."""
    path = Path(name_or_path)
    if path.suffix.lower() in ONNX_SUFFIXES:
        from monocle.export.runtime import OnnxBackend, providers_for

        if precision != "fp32":
            raise ValueError(
                f"{path.name}: an ONNX model's precision is fixed when it is exported; drop "
                f"precision={precision!r} or export again with `monocle export --precision`"
            )
        return Predictor(OnnxBackend(path, providers=providers_for(device)), flip=flip)
    model = load_model(path, map_location=resolve_device(device))
    return Predictor(model, device=device, precision=precision, flip=flip)
