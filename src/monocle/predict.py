"""Batch prediction to files: inputs from files, folders and globs; inputs never touched."""

from __future__ import annotations

import glob
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from monocle.io import ImageError, read_image, write_image

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
OUTPUT_FORMATS = {"png16": ".png", "npy": ".npy", "npz": ".npz", "pfm": ".pfm",
                  "tiff": ".tiff", "exr": ".exr", "color": ".color.png", "ply": ".ply"}  # fmt: skip


@dataclass
class PredictReport:
    written: list[Path] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)


def expand_inputs(inputs: Sequence[str]) -> list[Path]:
    """Files as given, folders to their images (sorted), globs expanded; missing ones raise."""
    paths: list[Path] = []
    for item in inputs:
        if any(ch in item for ch in "*?["):
            matches = sorted(Path(p) for p in glob.glob(item, recursive=True))
            if not matches:
                raise FileNotFoundError(f"{item}: the pattern matches no file")
            paths.extend(p for p in matches if p.is_file())
        elif Path(item).is_dir():
            found = sorted(p for p in Path(item).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
            if not found:
                raise FileNotFoundError(f"{item}: folder holds no images ({IMAGE_SUFFIXES})")
            paths.extend(found)
        elif Path(item).is_file():
            paths.append(Path(item))
        else:
            raise FileNotFoundError(f"{item}: no such file, folder or pattern")
    return paths


def parse_formats(text: str) -> list[str]:
    formats = [f.strip() for f in text.split(",") if f.strip()]
    unknown = [f for f in formats if f not in OUTPUT_FORMATS]
    if unknown or not formats:
        choices = ", ".join(OUTPUT_FORMATS)
        raise ValueError(f"unknown output format {unknown}; choose from {choices}")
    return formats


def predict_files(
    predictor,
    inputs: Sequence[Path],
    out_dir: str | Path,
    formats: Sequence[str] = ("png16", "color"),
    progress: Callable[[Iterable], Iterable] | None = None,
) -> PredictReport:
    """Predict each input and write ``out_dir/<stem><suffix>`` per format.

    Unreadable images are skipped and reported. An output that would land on an input file is
    refused, so inputs are never overwritten.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    protected = {p.resolve() for p in inputs}
    report = PredictReport()
    for path in progress(inputs) if progress else inputs:
        targets = {fmt: out / f"{path.stem}{OUTPUT_FORMATS[fmt]}" for fmt in formats}
        clash = [t for t in targets.values() if t.resolve() in protected]
        if clash:
            report.failed.append((path, f"output {clash[0]} would overwrite an input; use --out"))
            continue
        try:
            rgb = read_image(path)
        except ImageError as err:
            report.failed.append((path, str(err)))
            continue
        depth = predictor.infer(rgb)
        for fmt, target in targets.items():
            if fmt == "color":
                write_image(target, depth.colorize())
            elif fmt == "ply":
                if depth.K is None:
                    from monocle.data import default_intrinsics

                    depth.K = default_intrinsics(*depth.shape)
                depth.save_point_cloud(target, rgb)
            else:
                depth.save(target)
            report.written.append(target)
    return report
