"""Write rendered samples as a dataset folder in monocle's synthetic format (version 1).

``DIR/monocle_synth.json`` describes the set; sample ``i`` (stem ``f"{i:06d}"``) is
``.rgb.png``, ``.depth.png`` (16-bit with scale metadata, via :func:`monocle.io.write_depth`),
``.normals.png`` (16-bit RGB, code = round((n+1)/2*65535), invalid = 0,0,0), ``.semantic.png``
(uint8), ``.instance.png`` (uint16), optional ``.bg_rgb.png`` + ``.bg_depth.png``, optional
``.right.png`` + ``.right_depth.png`` (stereo), optional video frames ``.fTT.rgb.png``,
``.fTT.depth.png``, ``.fTT.motion.png`` — and last, atomically, ``.json`` with K, pose and
metadata. A sample whose JSON exists is complete, so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from monocle.io import write_depth, write_image
from monocle.io.atomic import atomic_path
from monocle.synth.presets import check_preset, render_sample
from monocle.synth.render import check_size
from monocle.synth.scene import CLASSES

FORMAT, VERSION = "monocle-synth", 1
MANIFEST = "monocle_synth.json"


def stem(index: int) -> str:
    return f"{index:06d}"


def _write_png(path: Path, array: np.ndarray) -> None:
    if array.ndim == 3:
        array = array[..., ::-1]  # OpenCV writes BGR
    with atomic_path(path) as temporary:
        if not cv2.imwrite(str(temporary), np.ascontiguousarray(array)):
            raise OSError(f"{path}: could not write PNG; check free space and permissions")


def _write_json(path: Path, payload: dict) -> None:
    with atomic_path(path) as temporary:
        temporary.write_text(json.dumps(payload, indent=1))


def encode_normals(normals: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """(H,W,3) unit normals -> uint16 codes round((n+1)/2*65535), 0 where not ``valid``."""
    codes = np.round((np.clip(normals, -1.0, 1.0) + 1.0) / 2.0 * 65535.0).astype(np.uint16)
    codes[~valid] = 0
    return codes


def _write_view(base: Path, rgb_part: str, depth_part: str, rgb, depth, valid, K) -> None:
    """One view of a sample: ``<base>.<rgb_part>.png`` and its metric depth PNG."""
    write_image(f"{base}.{rgb_part}.png", rgb)
    write_depth(f"{base}.{depth_part}.png", depth, valid, kind="metric", unit="m", K=K)


def write_sample(directory: str | os.PathLike, index: int, sample: dict) -> Path:
    """Write one :func:`~monocle.synth.render_sample` result as sample ``index`` of a folder.

    Returns the path of the sample's JSON, which is written last.
    """
    directory = Path(directory)
    base = directory / stem(index)
    K = sample["K"]
    _write_view(base, "rgb", "depth", sample["rgb"], sample["depth"], sample["valid"], K)
    _write_png(Path(f"{base}.normals.png"), encode_normals(sample["normals"], sample["valid"]))
    _write_png(Path(f"{base}.semantic.png"), sample["semantic"].astype(np.uint8))
    _write_png(Path(f"{base}.instance.png"), sample["instance"].astype(np.uint16))
    if "background_rgb" in sample:
        _write_view(base, "bg_rgb", "bg_depth", sample["background_rgb"],
                    sample["background_depth"], sample["background_valid"], K)  # fmt: skip
    if "right_rgb" in sample:
        _write_view(base, "right", "right_depth", sample["right_rgb"],
                    sample["right_depth"], sample["right_valid"], K)  # fmt: skip
    meta = sample["meta"]
    record = {
        "K": np.asarray(K, dtype=float).tolist(),
        "pose": np.asarray(sample["pose"], dtype=float).tolist(),
        "preset": meta["preset"],
        "seed": meta["seed"],
        "category": meta.get("category"),
        "baseline": float(sample["baseline"]) if "baseline" in sample else None,
        "max_depth": meta["max_depth"],
    }
    if "frames" in sample:
        for t, (rgb, depth, valid, motion) in enumerate(
            zip(
                sample["frames"],
                sample["frame_depths"],
                sample["frame_valid"],
                sample["motion_masks"],
                strict=True,
            )
        ):
            write_image(f"{base}.f{t:02d}.rgb.png", rgb)
            write_depth(f"{base}.f{t:02d}.depth.png", depth, valid, kind="metric", unit="m", K=K)
            _write_png(Path(f"{base}.f{t:02d}.motion.png"), motion.astype(np.uint8) * 255)
        record.update(
            frames=len(sample["frames"]),
            fps=float(sample["fps"]),
            poses=np.asarray(sample["poses"], dtype=float).tolist(),
        )
    json_path = Path(f"{base}.json")
    _write_json(json_path, record)
    return json_path


def _manifest(preset, size, seed, count) -> dict:
    return {
        "format": FORMAT,
        "version": VERSION,
        "preset": preset,
        "height": size[0],
        "width": size[1],
        "seed": seed,
        "count": count,
        "classes": dict(CLASSES),
    }


def prepare_folder(directory: str | os.PathLike, preset: str, n: int, size, seed: int) -> Path:
    """Check arguments and the folder, write the manifest; returns the folder path."""
    check_preset(preset)
    size = check_size(size)
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise NotADirectoryError(f"{directory}: output exists and is a file; choose a folder path")
    manifest_path = directory / MANIFEST
    manifest = _manifest(preset, list(size), int(seed), int(n))
    if manifest_path.is_file():
        old = json.loads(manifest_path.read_text())
        keys = ("format", "preset", "height", "width", "seed")
        if any(old.get(k) != manifest[k] for k in keys):
            raise ValueError(
                f"{directory} already holds a different synthetic set "
                f"({ {k: old.get(k) for k in keys} }); use another output folder or the same "
                "preset, size and seed to resume"
            )
        manifest["count"] = max(int(old.get("count", 0)), int(n))
    directory.mkdir(parents=True, exist_ok=True)
    _write_json(manifest_path, manifest)
    return directory


def _render_and_write(job: tuple) -> int:
    directory, preset, index, seed, size = job
    write_sample(directory, index, render_sample(preset, seed + index, size))
    return index


def _init_worker() -> None:
    import torch

    # Each worker process is ours; one intra-op thread per process avoids oversubscription.
    torch.set_num_threads(1)


def write_dataset(
    directory: str | os.PathLike,
    preset: str,
    n: int,
    size: tuple[int, int] = (240, 320),
    seed: int = 0,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Render samples 0..n-1 of ``preset`` (sample i uses seed ``seed + i``) into ``directory``.

    Samples whose JSON already exists are skipped, so re-running an interrupted call finishes
    the set without redoing finished samples. ``progress(done, total)`` is called after each
    sample. Returns ``{"written": [indices], "skipped": count, "directory": Path}``.
    """
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    directory = prepare_folder(directory, preset, n, size, seed)
    todo = [i for i in range(n) if not (directory / f"{stem(i)}.json").is_file()]
    skipped = n - len(todo)
    jobs = [(directory, preset, i, int(seed), tuple(size)) for i in todo]
    written: list[int] = []
    if progress is not None:
        progress(skipped, n)
    if workers == 1 or len(jobs) <= 1:
        results = map(_render_and_write, jobs)
        pool = None
    else:
        pool = multiprocessing.get_context("spawn").Pool(min(workers, len(jobs)), _init_worker)
        results = pool.imap_unordered(_render_and_write, jobs)
    try:
        for index in results:
            written.append(index)
            if progress is not None:
                progress(skipped + len(written), n)
    finally:
        if pool is not None:
            pool.terminate()
    return {"written": sorted(written), "skipped": skipped, "directory": directory}
