"""Checkpoints: safetensors weights plus a JSON config, never a pickle.

A checkpoint named ``NAME`` is two files side by side: ``NAME.safetensors`` (the state dict) and
``NAME.json`` (which registered model to build with which overrides, its pretrained config, and
free-form training facts and metrics). Both are written atomically, so a crash never leaves a
half-written checkpoint that looks whole.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from monocle.io.atomic import atomic_path

FORMAT = "monocle-checkpoint"
_PICKLE_SUFFIXES = (".pt", ".pth", ".ckpt", ".bin", ".pkl", ".pickle")


class CheckpointError(ValueError):
    """A checkpoint that cannot be used as asked; the message names the file and the fix."""


def checkpoint_paths(path: str | Path) -> tuple[Path, Path]:
    """(weights, config) paths for a checkpoint given by either file or by the common stem."""
    path = Path(path)
    stem = path.with_suffix("") if path.suffix in (".safetensors", ".json") else path
    return stem.with_name(stem.name + ".safetensors"), stem.with_name(stem.name + ".json")


def save_checkpoint(
    path: str | Path,
    model: torch.nn.Module,
    *,
    model_name: str,
    overrides: dict[str, Any] | None = None,
    info: dict[str, Any] | None = None,
) -> Path:
    """Write ``model``'s weights and config; returns the weights path.

    ``model_name`` and ``overrides`` rebuild the architecture with ``create_model``; ``info``
    holds JSON-safe facts (training data, recipe, metrics) for model cards.
    """
    weights_path, config_path = checkpoint_paths(path)
    state = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    cfg = getattr(model, "pretrained_cfg", None)
    config = {
        "format": FORMAT,
        "version": 1,
        "model": model_name,
        "overrides": overrides or {},
        "pretrained_cfg": cfg.to_dict() if cfg is not None else None,
        "info": info or {},
    }
    # Weights first, config last: a config on disk means its weights are complete.
    with atomic_path(weights_path) as tmp:
        save_file(state, str(tmp), metadata={"format": FORMAT})
    with atomic_path(config_path) as tmp:
        tmp.write_text(json.dumps(config, indent=2) + "\n")
    return weights_path


def read_checkpoint_config(path: str | Path) -> dict[str, Any]:
    """The JSON half of a checkpoint, checked for being one."""
    path = Path(path)
    if path.suffix in _PICKLE_SUFFIXES:
        raise CheckpointError(
            f"{path}: looks like a pickled PyTorch file; monocle never unpickles (it can run "
            "arbitrary code). Convert the state dict to safetensors with a JSON config, see "
            "monocle.checkpoint.save_checkpoint"
        )
    _, config_path = checkpoint_paths(path)
    if not config_path.is_file():
        raise CheckpointError(
            f"{path}: no checkpoint config {config_path.name} beside it; a monocle checkpoint is "
            "NAME.safetensors + NAME.json"
        )
    try:
        config = json.loads(config_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise CheckpointError(f"{config_path}: not valid JSON ({err})") from None
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise CheckpointError(f"{config_path}: not a monocle checkpoint config")
    return config


def load_checkpoint(
    path: str | Path, map_location: str | torch.device = "cpu", **overrides
) -> torch.nn.Module:
    """Build the registered architecture named in the config and load the weights strictly.

    ``overrides`` update the stored model overrides (e.g. a fine-tuning recipe's
    ``canonical_focal``); ones that change tensor shapes are refused like a foreign checkpoint,
    except an architecture's ``identity_options`` (e.g. fastdepth's ``global_context``): turned
    on for weights saved without them, they grow the model by blocks that start as the
    identity. Grown blocks start from the same random draw on every load, so a grown start
    equals the first weights of every run trained from it (and averages with them).
    """
    from monocle.models import create_model

    config = read_checkpoint_config(path)
    weights_path, _ = checkpoint_paths(path)
    if not weights_path.is_file():
        raise CheckpointError(f"{weights_path}: weights file missing beside its config")
    try:
        state = load_file(str(weights_path), device=str(map_location))
    except (SafetensorError, OSError, ValueError) as err:
        raise CheckpointError(
            f"{weights_path}: unreadable or truncated safetensors file ({err}); "
            "re-download or re-export it"
        ) from None
    stored = config.get("overrides", {})
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = create_model(config["model"], **{**stored, **overrides})
    grown = tuple(
        prefix
        for option, prefixes in model.identity_options.items()
        if overrides.get(option) and not stored.get(option)
        for prefix in prefixes
    )
    expected = model.state_dict()
    missing = sorted(key for key in set(expected) - set(state) if not key.startswith(grown))
    unexpected = sorted(set(state) - set(expected))
    reshaped = [k for k in expected if k in state and state[k].shape != expected[k].shape]
    if missing or unexpected or reshaped:
        example = (missing or unexpected or reshaped)[:3]
        raise CheckpointError(
            f"{weights_path}: weights do not fit architecture {config['model']!r} "
            f"({len(missing)} missing, {len(unexpected)} unexpected, {len(reshaped)} reshaped "
            f"tensors, e.g. {example}); the checkpoint was saved from another architecture or "
            "its config was edited"
        )
    model.load_state_dict(state, strict=not grown)
    return model.to(map_location).eval()


def average_checkpoints(paths: Sequence[str | Path], out: str | Path) -> Path:
    """Write the uniform average of the weights of ``paths`` to ``out``; returns its weights path.

    A "model soup" (Wortsman et al., 2022; timm's ``avg_checkpoints.py``): checkpoints of one
    training lineage, e.g. runs continued from the same weights with other seeds or schedules,
    often score better averaged than any one of them. All must be the same architecture with
    the same overrides, except identity options (:func:`load_checkpoint`): a checkpoint without
    one that another has is grown first, so a grown run averages with the weights it started
    from. Integer buffers (BatchNorm's step counter) come from the first; list a checkpoint
    twice to weigh it double. The config's ``info`` keeps each source's path and info.
    """
    if len(paths) < 2:
        raise ValueError(f"averaging needs at least two checkpoints, got {len(paths)}")
    target = checkpoint_paths(out)[0].resolve()
    if any(checkpoint_paths(path)[0].resolve() == target for path in paths):
        raise ValueError(f"output {out} is one of the checkpoints to average; write elsewhere")
    configs = [read_checkpoint_config(path) for path in paths]
    model = load_checkpoint(paths[0])
    grown = {
        option: True
        for config in configs
        for option in model.identity_options
        if config.get("overrides", {}).get(option)
    }
    first = configs[0]
    overrides = {**first.get("overrides", {}), **grown}
    for path, config in zip(paths[1:], configs[1:], strict=True):
        if config["model"] != first["model"]:
            differ = f"is a {config['model']!r} checkpoint, {paths[0]} a {first['model']!r} one"
        elif {**config.get("overrides", {}), **grown} != overrides:
            differ = f"has overrides {config.get('overrides')}, {paths[0]} {first.get('overrides')}"
        else:
            continue
        raise CheckpointError(
            f"{path} {differ}; only checkpoints of one architecture can be averaged"
        )
    # A running float64 sum: one model in memory at a time, and no rounding drift with many.
    if grown:
        model = load_checkpoint(paths[0], **grown)
    state = model.state_dict()
    total = {key: value.double() for key, value in state.items() if value.is_floating_point()}
    for path in paths[1:]:
        other = load_checkpoint(path, **grown).state_dict()
        for key in total:
            total[key] += other[key]
    model.load_state_dict(
        {
            key: (total[key] / len(paths)).to(value.dtype) if key in total else value
            for key, value in state.items()
        }
    )
    sources = [
        {"path": str(path), "info": config.get("info", {})}
        for path, config in zip(paths, configs, strict=True)
    ]
    return save_checkpoint(
        out,
        model,
        model_name=first["model"],
        overrides=overrides,
        info={"averaged_from": sources},
    )
