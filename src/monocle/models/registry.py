"""Model registry: ``@register_model`` factories looked up by name (timm style)."""

from __future__ import annotations

import difflib
import fnmatch
from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import nn

from monocle.models.config import PretrainedConfig

ModelFactory = Callable[..., nn.Module]

_MODELS: dict[str, ModelFactory] = {}


def unknown_name_error(kind: str, name: str, valid: Iterable[str]) -> ValueError:
    """A ValueError naming the unknown ``name``, its closest matches and every valid name."""
    valid = sorted(valid)
    close = difflib.get_close_matches(name, valid, n=3)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    return ValueError(f"unknown {kind} {name!r}.{hint} Valid {kind}s: {', '.join(valid)}")


def register_model(factory: ModelFactory) -> ModelFactory:
    """Register ``factory`` under its function name; use as a decorator."""
    name = factory.__name__
    if name in _MODELS:
        raise ValueError(f"model {name!r} is already registered")
    _MODELS[name] = factory
    return factory


def list_models(pattern: str = "*") -> list[str]:
    """Sorted registered model names matching the fnmatch ``pattern``."""
    return sorted(name for name in _MODELS if fnmatch.fnmatch(name, pattern))


def is_model(name: str) -> bool:
    """True when ``name`` is a registered model."""
    return name in _MODELS


def create_model(name: str, **overrides: Any) -> nn.Module:
    """Build the registered model ``name``.

    Overrides set to None are ignored, so CLI-style optional arguments can be passed through.
    Config fields (``encoder``, ``max_depth``, ``output_kind``, ...) update the model's
    ``pretrained_cfg``; other keywords go to the architecture (e.g. ``decoder_channels``).
    """
    if name not in _MODELS:
        raise unknown_name_error("model", name, _MODELS)
    kwargs = {key: value for key, value in overrides.items() if value is not None}
    return _MODELS[name](**kwargs)


def get_config(name: str, **overrides: Any) -> PretrainedConfig:
    """The :class:`PretrainedConfig` of model ``name`` without allocating its weights."""
    # Building on the meta device keeps the factory the single source of truth for the config.
    with torch.device("meta"):
        model = create_model(name, **overrides)
    return model.pretrained_cfg
