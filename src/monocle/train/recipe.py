"""Training recipes: one YAML file, checked key by key, with ``key=value`` overrides.

A recipe is plain data (nested dataclasses), so it can be printed, saved beside a run and stored
in a checkpoint's config. Unknown keys are errors that name the key and where it was found:
a typo must never silently train something else.

A recipe file may start from another with ``base: other.yaml`` (a path relative to the file):
its mappings merge key by key over the base's, while lists and scalars replace the base's whole.
So a training stage that continues another states only what it changes.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


class RecipeError(ValueError):
    """A recipe that cannot be used; the message names the file, the key and the fix."""


@dataclass
class ModelRecipe:
    name: str = "sanet_r18"
    overrides: dict[str, Any] = field(default_factory=dict)
    # A monocle checkpoint to start from (fine-tuning, or continuing a shipped model).
    init_weights: str | None = None


@dataclass
class DatasetEntry:
    spec: Any = None
    name: str | None = None
    weight: float = 1.0
    start_epoch: int = 0
    split: str | None = None


@dataclass
class DataRecipe:
    train: list[DatasetEntry] = field(default_factory=list)
    val: list[DatasetEntry] = field(default_factory=list)
    batch_size: int = 8
    workers: int = 2
    samples_per_epoch: int | None = None
    # monocle.data.build_transforms recipe: a list of {type: ..., ...} or {transforms, seed}.
    augment: Any = None


@dataclass
class LossTerm:
    name: str = "berhu"
    weight: float = 1.0
    start_epoch: int = 0
    args: dict[str, Any] = field(default_factory=dict)
    # "ground_truth", or "teacher": the recipe's teacher model's depth (knowledge distillation).
    target: str = "ground_truth"


@dataclass
class EdgeAwareRecipe:
    """Seed-system edge weighting: pixels near ground-truth depth edges weigh 1 + factor."""

    factor: float = 4.0
    sigma: float = 3.0
    dilate: int = 5


@dataclass
class OptimRecipe:
    name: str = "adamw"
    lr: float = 1e-3
    weight_decay: float = 1e-4
    momentum: float = 0.9
    nesterov: bool = True


@dataclass
class ScheduleRecipe:
    name: str = "cosine"  # cosine | step | none
    warmup_steps: int = 0
    step_epochs: list[int] = field(default_factory=list)
    gamma: float = 0.1
    min_lr_ratio: float = 0.01


@dataclass
class TrainerRecipe:
    max_epochs: int = 10
    accelerator: str = "auto"
    devices: Any = 1
    num_nodes: int = 1
    strategy: str = "auto"
    precision: str = "32-true"
    gradient_clip_val: float | None = 1.0
    check_val_every_n_epoch: int = 1
    log_every_n_steps: int = 10
    checkpoint_every_n_steps: int = 200
    progress_bar: bool = True


@dataclass
class Recipe:
    name: str = "run"
    seed: int = 0
    out_dir: str = "runs"
    protocol: str = "synth"
    model: ModelRecipe = field(default_factory=ModelRecipe)
    data: DataRecipe = field(default_factory=DataRecipe)
    losses: list[LossTerm] = field(default_factory=lambda: [LossTerm()])
    # A trained model (shipped name or checkpoint) whose depth is the target of every loss term
    # with ``target: teacher``: distilling a big model into a small one.
    teacher: str | None = None
    # Also show the teacher each image mirrored and target the mean of both predictions (its
    # test-time flip augmentation): a better target for the cost of a second teacher pass.
    teacher_flip: bool = False
    edge_aware: EdgeAwareRecipe | None = None
    optim: OptimRecipe = field(default_factory=OptimRecipe)
    schedule: ScheduleRecipe = field(default_factory=ScheduleRecipe)
    trainer: TrainerRecipe = field(default_factory=TrainerRecipe)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @property
    def run_dir(self) -> Path:
        return Path(self.out_dir) / self.name


def _dataclass_of(annotation: Any) -> type | None:
    """The dataclass inside ``X``, ``X | None`` or ``list[X]`` annotations, else None."""
    if dataclasses.is_dataclass(annotation):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        inner = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _dataclass_of(inner[0]) if len(inner) == 1 else None
    return None


def _scalar_type(annotation: Any) -> type | None:
    """``int``/``float``/``bool``/``str`` inside ``X`` or ``X | None`` annotations, else None."""
    if annotation in (int, float, bool, str):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        inner = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _scalar_type(inner[0]) if len(inner) == 1 else None
    return None


def _coerce(annotation: Any, value: Any, key: str, source: str) -> Any:
    # YAML 1.1 reads "1e-3" as a string and "3" as an int where a float is meant.
    wanted = _scalar_type(annotation)
    if wanted is None or value is None or type(value) is wanted:
        return value
    if wanted is float and isinstance(value, int | str) and not isinstance(value, bool):
        try:
            return float(value)
        except ValueError:
            pass
    if wanted is str and isinstance(value, int | float):
        return str(value)
    raise RecipeError(f"{source}: '{key}' must be {wanted.__name__}, got {value!r}")


def _build(cls: type, data: Any, where: str, source: str) -> Any:
    if not isinstance(data, dict):
        raise RecipeError(f"{source}: '{where or 'recipe'}' must be a mapping, got {data!r}")
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        path = f"{where}.{unknown[0]}" if where else unknown[0]
        raise RecipeError(
            f"{source}: unknown key '{path}'; valid keys in '{where or 'recipe'}': "
            f"{', '.join(sorted(known))}"
        )
    values = {}
    for name, value in data.items():
        hint = hints[name]
        key = f"{where}.{name}" if where else name
        inner = _dataclass_of(hint)
        if typing.get_origin(hint) is list and dataclasses.is_dataclass(typing.get_args(hint)[0]):
            item_cls = typing.get_args(hint)[0]
            if not isinstance(value, list):
                raise RecipeError(f"{source}: '{key}' must be a list, got {value!r}")
            value = [_build(item_cls, v, f"{key}[{i}]", source) for i, v in enumerate(value)]
        elif inner is not None and value is not None:
            value = _build(inner, value, key, source)
        else:
            value = _coerce(hint, value, key, source)
        values[name] = value
    return cls(**values)


def _apply_override(data: dict, override: str, source: str) -> None:
    if "=" not in override:
        raise RecipeError(f"override {override!r} must look like key.sub=value")
    dotted, text = override.split("=", 1)
    keys = dotted.split(".")
    node = data
    for key in keys[:-1]:
        node = node.setdefault(key, {})
        if not isinstance(node, dict):
            raise RecipeError(f"{source}: override {override!r}: '{key}' is not a mapping")
    node[keys[-1]] = yaml.safe_load(text)


def _merged(base: dict, changes: dict) -> dict:
    merged = dict(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            value = _merged(merged[key], value)
        merged[key] = value
    return merged


def _read_recipe_file(path: Path, chain: tuple[Path, ...] = ()) -> tuple[dict, list[Path]]:
    """The file's mapping merged over its ``base`` chain, and the files of that chain (the file
    first); ``chain`` catches circular bases."""
    if not path.is_file():
        where = f" (the base of {chain[-1]})" if chain else ""
        raise RecipeError(f"{path}{where}: recipe file not found; see configs/ for examples")
    if path.resolve() in chain:
        names = " -> ".join(str(p) for p in (*chain, path.resolve()))
        raise RecipeError(f"{path}: circular 'base' chain {names}; remove one 'base' key")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as err:
        raise RecipeError(f"{path}: not valid YAML ({err})") from None
    if not isinstance(data, dict):
        raise RecipeError(f"{path}: a recipe must be a mapping of keys, got {type(data).__name__}")
    base = data.pop("base", None)
    if base is None:
        return data, [path]
    if not isinstance(base, str):
        raise RecipeError(f"{path}: 'base' must be a recipe file name, got {base!r}")
    parent, files = _read_recipe_file(path.parent / base, (*chain, path.resolve()))
    return _merged(parent, data), [path, *files]


def recipe_from_dict(data: dict, source: str = "recipe") -> Recipe:
    """A :class:`Recipe` from a mapping such as a checkpoint's ``info.recipe``, checked like a
    file; keys a recipe gained after it was written take their defaults."""
    return _build(Recipe, data, "", source)


def load_recipe(path: str | Path | None = None, overrides: list[str] | tuple = ()) -> Recipe:
    """Read a YAML recipe and its ``base`` chain (or the defaults when ``path`` is None) and
    apply overrides."""
    if path is None:
        data, source = {}, "recipe"
    else:
        data, files = _read_recipe_file(Path(path))
        # The merged mapping forgets which file gave a key, so errors name the whole chain.
        bases = f" (with its bases {', '.join(str(f) for f in files[1:])})" if files[1:] else ""
        source = f"{path}{bases}"
    for override in overrides:
        _apply_override(data, override, source)
    return recipe_from_dict(data, source)
