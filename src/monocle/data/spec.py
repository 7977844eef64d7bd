"""Dataset specs: one string or dict names a dataset, its files and its options.

Forms accepted by :func:`build_dataset`:

- a plain path, autodetected: a folder with ``monocle_synth.json`` (synthetic folder), with
  ``image/`` + ``depth/`` (bring-your-own folder), TUM sequences (``rgb.txt``), Middlebury or
  ETH3D scenes (``calib.txt`` + ``disp0.pfm`` / ``disp0GT.pfm``), NYU exports
  (``rgb_XXXXX.jpg`` + ``sync_depth_XXXXX.png``), or a ``.mat`` file (official NYUv2);
- ``"TYPE:PATH?key=value&key=value"``, e.g.
  ``"kitti:/data/kitti_raw?depth_root=/data/ann&split=val"``,
  ``"folder:~/scans?depth_scale=0.001"``, ``"synth:indoor?n=100&size=240x320&seed=7"``. Values
  are parsed as int, float, true/false, none, or comma-separated lists;
- ``{"type": TYPE, "root": PATH, **options}``.

Options are the keyword arguments of the dataset class (see :data:`DATASET_TYPES`).
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from monocle.data.base import DatasetError, DepthDataset
from monocle.data.folder import FolderDataset
from monocle.data.kitti import KittiDataset
from monocle.data.nyu import NyuFolderDataset, NyuMatDataset
from monocle.data.stereo import Eth3dDataset, MiddleburyDataset
from monocle.data.synth_folder import MANIFEST, SyntheticFolderDataset
from monocle.data.tum import TumDataset

Spec = str | os.PathLike | Mapping[str, Any]


def _synthetic(preset: str, **options: Any):
    """The on-the-fly renderer ``monocle.synth.dataset.SyntheticDataset`` (imported lazily)."""
    try:
        from monocle.synth.dataset import SyntheticDataset
    except ImportError as err:
        raise DatasetError(
            f"spec type 'synth' needs monocle.synth.dataset.SyntheticDataset, which cannot be "
            f"imported ({err}); render a folder with the synth engine and use synth_folder:DIR"
        ) from None
    if isinstance(options.get("size"), str):
        height, _, width = options["size"].partition("x")
        try:
            options["size"] = (int(height), int(width))
        except ValueError:
            raise DatasetError(
                f"synth size {options['size']!r} must be HEIGHTxWIDTH, e.g. 240x320"
            ) from None
    if "," in preset:
        preset = [name for name in preset.split(",") if name]
    try:
        return _construct("synth", SyntheticDataset, {"preset": preset, **options})
    except ValueError as err:  # the renderer's own argument checks
        raise DatasetError(f"spec type 'synth': {err}") from None


# type -> (factory, name of the argument the spec's PATH goes to)
DATASET_TYPES: dict[str, tuple[Callable[..., Any], str]] = {
    "nyu_mat": (NyuMatDataset, "path"),
    "nyu": (NyuFolderDataset, "root"),
    "kitti": (KittiDataset, "raw_root"),
    "tum": (TumDataset, "root"),
    "middlebury": (MiddleburyDataset, "root"),
    "eth3d": (Eth3dDataset, "root"),
    "folder": (FolderDataset, "root"),
    "synth_folder": (SyntheticFolderDataset, "root"),
    "synth": (_synthetic, "preset"),
}


def _parse_value(text: str) -> Any:
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("none", "null"):
        return None
    if "," in text:
        return [_parse_value(part) for part in text.split(",") if part]
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return text


def _has_files(folder: Path, *names: str) -> bool:
    return all((folder / name).exists() for name in names)


def detect_type(path: str | os.PathLike) -> str:
    """The dataset type of a plain path (see the module docstring), or a DatasetError."""
    path = Path(path).expanduser()
    if path.is_file() and path.suffix.lower() == ".mat":
        return "nyu_mat"
    if not path.is_dir():
        raise DatasetError(f"{path}: no such folder or .mat file; check the path", path)
    children = [child for child in sorted(path.iterdir()) if child.is_dir()]
    folders = [path, *children]
    if (path / MANIFEST).is_file():
        return "synth_folder"
    if (path / "image").is_dir() and (path / "depth").is_dir():
        return "folder"
    if any(_has_files(folder, "rgb.txt", "depth.txt") for folder in folders):
        return "tum"
    if any(_has_files(folder, "calib.txt", "disp0.pfm") for folder in folders):
        return "middlebury"
    if any(_has_files(folder, "calib.txt", "disp0GT.pfm") for folder in folders):
        return "eth3d"
    if any(next(folder.glob("sync_depth_*.png"), None) for folder in folders):
        return "nyu"
    raise DatasetError(
        f"{path}: cannot tell which dataset this is. Expected {MANIFEST}, image/ + depth/, "
        "rgb.txt + depth.txt, calib.txt + disp0.pfm (or disp0GT.pfm), or sync_depth_*.png; "
        f"or name the type explicitly as 'TYPE:PATH' with TYPE one of {', '.join(DATASET_TYPES)}",
        path,
    )


def parse_spec(spec: Spec) -> dict[str, Any]:
    """Normalise a spec to ``{"type": TYPE, ARG: PATH, **options}`` (see the module docstring)."""
    if isinstance(spec, Mapping):
        options = dict(spec)
        kind = options.pop("type", None)
        if kind is None:
            if "root" not in options:
                raise DatasetError(f"dataset spec {dict(spec)!r} needs 'type' or 'root'")
            kind = detect_type(options["root"])
        if kind not in DATASET_TYPES:
            raise DatasetError(
                f"dataset type {kind!r} is unknown; valid types: {', '.join(DATASET_TYPES)}"
            )
        argument = DATASET_TYPES[kind][1]
        if "root" in options and argument != "root":
            options[argument] = options.pop("root")
        return {"type": kind, **options}
    text = os.fspath(spec)
    body, _, query = text.partition("?")
    options = {key: _parse_value(value) for key, value in parse_qsl(query, keep_blank_values=True)}
    kind, separator, rest = body.partition(":")
    if separator and len(kind) > 1:  # a one-letter prefix is a Windows drive, not a type
        if kind not in DATASET_TYPES:
            raise DatasetError(
                f"dataset spec {text!r}: type {kind!r} is unknown; valid types: "
                f"{', '.join(DATASET_TYPES)}"
            )
        location = rest
    else:
        kind, location = detect_type(body), body
    argument = DATASET_TYPES[kind][1]
    if kind != "synth":
        location = str(Path(location).expanduser())
    return {"type": kind, argument: location, **options}


def spec_type(spec: Spec) -> str:
    """The dataset type a spec names (autodetecting plain paths)."""
    return parse_spec(spec)["type"]


def _construct(kind: str, factory: Callable[..., Any], options: dict[str, Any]) -> Any:
    parameters = inspect.signature(factory).parameters
    accepts_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    unknown = [key for key in options if key not in parameters]
    if unknown and not accepts_any:
        raise DatasetError(
            f"dataset type {kind!r} has no option(s) {unknown}; it accepts: "
            f"{', '.join(p for p in parameters if p != 'transform')}"
        )
    try:
        return factory(**options)
    except TypeError as err:
        raise DatasetError(f"dataset type {kind!r}: {err}") from None


def build_dataset(
    spec: Spec, *, split: str | None = None, transform: Callable | None = None
) -> DepthDataset:
    """Build a dataset from a spec string, path or dict.

    Args:
        spec: see the module docstring.
        split: overrides the spec's ``split`` option (for types that have splits).
        transform: applied to every sample (e.g. from :func:`monocle.data.build_transforms`).

    Example:
        >>> build_dataset("nyu_mat:/data/nyu.mat?crop=eigen", split="test")  # doctest: +SKIP
    """
    options = parse_spec(spec)
    kind = options.pop("type")
    factory = DATASET_TYPES[kind][0]
    if split is not None:
        options["split"] = split
    if transform is not None:
        options["transform"] = transform
    return _construct(kind, factory, options)
