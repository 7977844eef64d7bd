"""What this installation of monocle offers, as plain data (the CLI prints it)."""

from __future__ import annotations

import importlib

import torch

import monocle
from monocle.io import COLORMAPS, SUPPORTED_DEPTH_FORMATS


def _optional(module: str, attribute: str) -> str:
    # Parts of monocle arrive one by one; info reports whatever this installation has.
    try:
        value = getattr(importlib.import_module(module), attribute)
    except (ImportError, AttributeError):
        return "(not available)"
    names = value() if callable(value) else value
    return ", ".join(names) if names else "(none)"


def describe() -> dict[str, str]:
    devices = ["cpu"]
    if torch.cuda.is_available():
        devices.append(f"cuda ({torch.cuda.get_device_name(0)})")
    return {
        "monocle": monocle.__version__,
        "torch": torch.__version__,
        "devices": ", ".join(devices),
        "models": _optional("monocle.models", "list_models"),
        "presets": _optional("monocle.synth", "PRESETS"),
        "formats": ", ".join(SUPPORTED_DEPTH_FORMATS),
        "colormaps": ", ".join(COLORMAPS),
    }
