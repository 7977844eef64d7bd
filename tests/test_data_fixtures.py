"""Writers of tiny datasets in published on-disk formats, shared by the test_data_* files.

Imported by the other data tests (``from test_data_fixtures import ...``); the tests at the
bottom check the writers themselves against independent decoders.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from monocle.data import decode_normals
from monocle.io import read_depth, write_depth, write_image


def rgb_pattern(height: int, width: int, seed: int = 0) -> np.ndarray:
    """A deterministic uint8 (H, W, 3) image with no two rows or columns alike."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)


def encode_normals(normals: np.ndarray) -> np.ndarray:
    """Unit normals (H, W, 3) to the synth folder's 16-bit codes; all-zero input stays zero."""
    codes = np.rint((normals + 1.0) / 2.0 * 65535.0).astype(np.uint16)
    codes[~(normals != 0).any(axis=-1)] = 0
    return codes


def write_synth_folder(
    root: Path, count: int = 3, size: tuple[int, int] = (12, 16), version: int = 1
) -> list[dict]:
    """A monocle-synth folder; returns the ground truth of each sample."""
    height, width = size
    root.mkdir(parents=True, exist_ok=True)
    manifest = {
        "format": "monocle-synth",
        "version": version,
        "preset": "indoor",
        "height": height,
        "width": width,
        "seed": 7,
        "count": count,
        "classes": ["background", "wall", "object"],
    }
    (root / "monocle_synth.json").write_text(json.dumps(manifest))
    truth = []
    for index in range(count):
        stem = f"{index:06d}"
        rgb = rgb_pattern(height, width, seed=index)
        depth = np.linspace(1.0, 4.0, height * width, dtype=np.float32).reshape(height, width)
        depth = depth + index
        valid = np.ones_like(depth, dtype=bool)
        valid[0, 0] = False
        K = [[20.0 + index, 0.0, 7.5], [0.0, 21.0, 5.5], [0.0, 0.0, 1.0]]
        normals = np.zeros((height, width, 3), dtype=np.float32)
        normals[..., 2] = -1.0
        normals[1:, :, :] = np.array([0.6, 0.0, -0.8], dtype=np.float32)
        normals[0, 0] = 0.0  # invalid
        semantic = (np.arange(height * width).reshape(height, width) % 3).astype(np.uint8)
        instance = (np.arange(height * width).reshape(height, width) * 300 % 65536).astype(
            np.uint16
        )
        write_image(root / f"{stem}.rgb.png", rgb)
        write_depth(root / f"{stem}.depth.png", depth, valid, kind="metric", unit="m", K=K)
        cv2.imwrite(str(root / f"{stem}.normals.png"), encode_normals(normals)[..., ::-1])
        cv2.imwrite(str(root / f"{stem}.semantic.png"), semantic)
        cv2.imwrite(str(root / f"{stem}.instance.png"), instance)
        write_image(root / f"{stem}.bg_rgb.png", rgb[::-1].copy())
        write_depth(root / f"{stem}.bg_depth.png", depth + 1.0, kind="metric", unit="m", K=K)
        write_image(root / f"{stem}.right.png", rgb[:, ::-1].copy())
        info = {
            "K": K,
            "pose": np.eye(4).tolist(),
            "preset": "indoor",
            "seed": 7 + index,
            "category": "room",
            "baseline": 0.1,
            "max_depth": 5.5,
        }
        (root / f"{stem}.json").write_text(json.dumps(info))
        truth.append(
            {
                "stem": stem,
                "rgb": rgb,
                "depth": depth,
                "valid": valid,
                "K": np.array(K, dtype=np.float32),
                "normals": normals,
                "semantic": semantic,
                "instance": instance,
            }
        )
    return truth


def write_image_depth_folder(
    root: Path,
    count: int = 3,
    size: tuple[int, int] = (10, 14),
    depth_m: float | None = None,
    with_K: bool = True,
) -> list[dict]:
    """A bring-your-own folder (image/ + depth/ with monocle depth PNGs); returns the truth."""
    height, width = size
    truth = []
    for index in range(count):
        rgb = rgb_pattern(height, width, seed=100 + index)
        base = 1.0 + index if depth_m is None else depth_m
        depth = np.full((height, width), base, dtype=np.float32)
        depth[:, width // 2 :] *= 2.0
        K = [[30.0, 0.0, width / 2], [0.0, 30.0, height / 2], [0.0, 0.0, 1.0]] if with_K else None
        write_image(root / "image" / f"{index:04d}.png", rgb)
        write_depth(root / "depth" / f"{index:04d}.png", depth, kind="metric", unit="m", K=K)
        truth.append({"rgb": rgb, "depth": depth, "K": K})
    return truth


def test_normals_codes_round_trip_through_the_loader_decoder():
    normals = np.array([[[0.6, 0.0, -0.8], [0.0, 0.0, 0.0]]], dtype=np.float32)
    codes = encode_normals(normals)
    assert codes[0, 1].tolist() == [0, 0, 0]
    np.testing.assert_allclose(decode_normals(codes), normals, atol=1.0 / 65535)


def test_synth_writer_depth_png_carries_metres_and_K(tmp_path):
    truth = write_synth_folder(tmp_path, count=1)
    values, valid, meta = read_depth(tmp_path / "000000.depth.png")
    assert meta["unit"] == "m" and meta["K"] == truth[0]["K"].tolist()
    assert not valid[0, 0]
    np.testing.assert_allclose(values[valid], truth[0]["depth"][valid], atol=3.0 / 65534)
