"""Frames out: MP4 (H.264 through imageio-ffmpeg), GIF (Pillow), and depth fog."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

GIF_MAX_SIDE = 480


def depth_fog(
    rgb: np.ndarray,
    depth: np.ndarray,
    near: float,
    far: float,
    density: float,
    colour: tuple[int, int, int] = (200, 208, 218),
) -> np.ndarray:
    """uint8 (H,W,3): ``rgb`` faded towards ``colour`` with depth (H,W) between near and far.

    Fraction of fog = 1 - exp(-density * t), t = (depth - near) / (far - near) clipped to
    [0, 1]; uncovered pixels (depth 0) are left alone.
    """
    if density <= 0:
        return rgb
    t = np.clip((depth - near) / max(far - near, 1e-9), 0.0, 1.0)
    amount = np.where(depth > 0, 1.0 - np.exp(-density * t), 0.0)[..., None]
    fogged = rgb * (1.0 - amount) + np.asarray(colour, dtype=np.float64) * amount
    return np.clip(np.rint(fogged), 0, 255).astype(np.uint8)


def _even(frame: np.ndarray) -> np.ndarray:
    """H.264 in yuv420p needs even sides: repeat the last row/column where they are odd."""
    height, width = frame.shape[:2]
    return np.pad(frame, ((0, height % 2), (0, width % 2), (0, 0)), mode="edge")


def write_mp4(frames: Sequence[np.ndarray], path: str | Path, fps: float) -> Path:
    """Write uint8 (H,W,3) ``frames`` as an H.264 MP4 that phones and browsers play."""
    import imageio_ffmpeg

    path = Path(path)
    if not len(frames):
        raise ValueError(f"{path}: no frames to write")
    path.parent.mkdir(parents=True, exist_ok=True)
    first = _even(frames[0])
    writer = imageio_ffmpeg.write_frames(
        str(path),
        (first.shape[1], first.shape[0]),
        fps=float(fps),
        codec="libx264",
        pix_fmt_out="yuv420p",
        quality=8,
        macro_block_size=1,
        ffmpeg_log_level="error",
    )
    writer.send(None)
    for frame in frames:
        writer.send(np.ascontiguousarray(_even(frame)))
    writer.close()
    return path


def write_gif(
    frames: Sequence[np.ndarray], path: str | Path, fps: float, max_side: int = GIF_MAX_SIDE
) -> Path:
    """Write ``frames`` as a looping GIF, scaled so the longer side is at most ``max_side``."""
    from PIL import Image

    path = Path(path)
    if not len(frames):
        raise ValueError(f"{path}: no frames to write")
    path.parent.mkdir(parents=True, exist_ok=True)
    height, width = frames[0].shape[:2]
    scale = min(1.0, max_side / max(height, width))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    images = [Image.fromarray(frame).resize(size, Image.BILINEAR) for frame in frames]
    images[0].save(
        path,
        save_all=True,
        append_images=images[1:],
        duration=max(20, round(1000 / fps)),
        loop=0,
        optimize=False,
    )
    return path
