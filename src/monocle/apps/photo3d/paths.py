"""Virtual camera paths with the defaults of 3d-photo-inpainting (methods.md §2).

3d-photo-inpainting states its translations in the units of its normalised depth, whose nearest
point is at 1/3. Here they are scaled by ``3 * near_depth``, so the same path moves the camera
the same fraction of the distance to the nearest surface for metric and relative depth.

A path is a sequence of novel cameras given as ``poses`` (N, 4, 4), each the novel
camera-to-source-camera transform (OpenCV frames), and ``intrinsics`` (N, 3, 3).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PATHS = ("circle", "swing", "zoom", "dolly")
DEFAULT_FRAMES = 240
DEFAULT_FPS = 40.0
# methods.md §2 table: amplitudes (x, y, z) in 3d-photo-inpainting's depth units.
AMPLITUDES = {
    "circle": (0.015, 0.015, 0.05),
    "swing": (0.015, 0.0, 0.05),
    "zoom": (0.0, 0.0, 0.05),
    "dolly": (0.0, 0.0, 0.05),
}


@dataclass(frozen=True)
class CameraPath:
    """Novel cameras: ``poses`` (N,4,4) novel-to-source, ``intrinsics`` (N,3,3), at ``fps``."""

    name: str
    poses: np.ndarray
    intrinsics: np.ndarray
    fps: float

    def __len__(self) -> int:
        return len(self.poses)


def translation_pose(offset: np.ndarray) -> np.ndarray:
    """(4, 4) pose of a camera moved by ``offset`` (3,) along the source camera's own axes."""
    pose = np.eye(4)
    pose[:3, 3] = offset
    return pose


def camera_path(
    name: str,
    K: np.ndarray,
    *,
    near_depth: float,
    focus_depth: float | None = None,
    frames: int = DEFAULT_FRAMES,
    fps: float = DEFAULT_FPS,
    amplitude: float = 1.0,
) -> CameraPath:
    """The camera path ``name`` (one of :data:`PATHS`) around a photo with intrinsics ``K``.

    - circle: x = a_x cos(pi t), y = a_y sin(pi t), z = a_z cos(pi t / 2), t in [-2, 2)
      (methods.md §2); swing is the same with y = 0.
    - zoom: the camera moves forward by a_z and back, z = a_z sin^2(pi s), s in [0, 1).
    - dolly: the camera moves *back* by a_z and returns while the focal length grows so the
      plane at ``focus_depth`` keeps its size on screen: f' = f (d_c + t_back) / d_c
      (methods.md §2's dolly zoom, fov' = 2 atan(plane_w / |d_c - t_z|)).

    Amplitudes a are methods.md §2's, times ``3 * near_depth`` and ``amplitude``.
    """
    if name not in PATHS:
        raise ValueError(f"unknown camera path {name!r}; choose one of {', '.join(PATHS)}")
    if frames < 1:
        raise ValueError(f"a camera path needs at least 1 frame, got frames={frames}")
    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}")
    if near_depth <= 0:
        raise ValueError(f"near_depth must be positive, got {near_depth}")
    ax, ay, az = (a * 3.0 * near_depth * amplitude for a in AMPLITUDES[name])
    K = np.asarray(K, dtype=np.float64)
    intrinsics = np.repeat(K[None], frames, axis=0)
    if name in ("circle", "swing"):
        t = np.linspace(-2.0, 2.0, frames, endpoint=False)
        offsets = np.stack(
            [ax * np.cos(np.pi * t), ay * np.sin(np.pi * t), az * np.cos(np.pi * t / 2)], axis=1
        )
    else:
        s = np.linspace(0.0, 1.0, frames, endpoint=False)
        forward = az * np.sin(np.pi * s) ** 2
        if name == "zoom":
            offsets = np.stack([0 * s, 0 * s, forward], axis=1)
        else:
            focus = float(focus_depth) if focus_depth is not None else near_depth
            offsets = np.stack([0 * s, 0 * s, -forward], axis=1)
            scale = (focus + forward) / focus
            intrinsics[:, 0, 0] *= scale
            intrinsics[:, 1, 1] *= scale
    poses = np.stack([translation_pose(o) for o in offsets])
    return CameraPath(name, poses.astype(np.float32), intrinsics.astype(np.float32), float(fps))


REACH_FRAMES = 48  # frames sampled when measuring a path's reach (it moves smoothly)
REACH_POINTS = 20000


def _project(points: np.ndarray, K: np.ndarray) -> np.ndarray:
    return (points[..., :2] / points[..., 2:3]) * K[[0, 1], [0, 1]] + K[[0, 1], [2, 2]]


def _moved(path: CameraPath, K: np.ndarray, pixels: np.ndarray, depth: np.ndarray):
    """(frames, n, 2) where source ``pixels`` (n, 2) (column, row) at ``depth`` (n,) appear in
    up to REACH_FRAMES frames of ``path``."""
    K = np.asarray(K, dtype=np.float64)
    rays = np.concatenate(
        [(pixels - K[:2, 2]) / K[[0, 1], [0, 1]], np.ones((len(pixels), 1))], axis=1
    )
    points = rays * np.asarray(depth, dtype=np.float64)[:, None]
    picks = np.unique(np.linspace(0, len(path) - 1, min(len(path), REACH_FRAMES)).astype(int))
    out = []
    for index in picks:
        pose = path.poses[index].astype(np.float64)
        camera = (points - pose[:3, 3]) @ pose[:3, :3]
        out.append(_project(camera, path.intrinsics[index].astype(np.float64)))
    return np.stack(out)


def _subsample(count: int) -> np.ndarray:
    return np.linspace(0, count - 1, min(count, REACH_POINTS)).astype(int) if count else []


def edge_gaps(
    path: CameraPath, K: np.ndarray, pixels: np.ndarray, near: np.ndarray, far: np.ndarray
) -> np.ndarray:
    """(n,) int: the widest gap in pixels ``path`` opens behind each of n depth edges, plus 2.

    ``pixels`` (n, 2) (column, row) are the near sides of the edges, ``near`` and ``far``
    (n,) the depths either side; the gap is how far apart the two depths move on screen.
    """
    if len(pixels) == 0:
        return np.zeros(0, dtype=np.int64)
    gaps = np.zeros(len(pixels))
    for start in range(0, len(pixels), REACH_POINTS):
        part = slice(start, start + REACH_POINTS)
        a = _moved(path, K, pixels[part], near[part])
        b = _moved(path, K, pixels[part], far[part])
        gaps[part] = np.abs(a - b).max(axis=(0, 2))
    return np.ceil(gaps).astype(np.int64) + 2


SHIFT_STEP = 16  # grid spacing in pixels at which :func:`disparity_shift` is evaluated


def disparity_shift(
    path: CameraPath, K: np.ndarray, shape: tuple[int, int], z_scale: float, disparities
) -> np.ndarray:
    """float32 (H, W): how many pixels, at most along ``path``, a point of the grid moves on
    screen per unit error of its normalised disparity (depth = ``z_scale`` / disparity).

    ``disparities`` are the nearest and farthest disparities in the scene; the shift per unit
    disparity depends on depth only through the forward motion, monotonically, so one of the
    two bounds it. It is evaluated every SHIFT_STEP pixels; in each frame it is the length of a
    (nearly) affine function of the pixel, a convex function, so the largest value at the four
    corners of a grid cell bounds the whole cell.
    """
    height, width = shape
    rows = np.unique(np.r_[np.arange(0, height, SHIFT_STEP), height - 1])
    cols = np.unique(np.r_[np.arange(0, width, SHIFT_STEP), width - 1])
    grid_r, grid_c = np.meshgrid(rows, cols, indexing="ij")
    pixels = np.stack([grid_c.ravel(), grid_r.ravel()], axis=1).astype(np.float64)
    shift = np.zeros(len(pixels))
    for disparity in disparities:
        step = 1e-3 * disparity
        a = _moved(path, K, pixels, np.full(len(pixels), z_scale / disparity))
        b = _moved(path, K, pixels, np.full(len(pixels), z_scale / (disparity + step)))
        shift = np.maximum(shift, np.linalg.norm(a - b, axis=2).max(axis=0) / step)
    shift = shift.reshape(grid_r.shape)
    if min(shift.shape) > 1:
        shift = np.maximum.reduce([shift[:-1, :-1], shift[1:, :-1], shift[:-1, 1:], shift[1:, 1:]])
    cell_r = np.minimum(np.arange(height) // SHIFT_STEP, shift.shape[0] - 1)
    cell_c = np.minimum(np.arange(width) // SHIFT_STEP, shift.shape[1] - 1)
    return shift[cell_r[:, None], cell_c[None]].astype(np.float32)


def border_margin(path: CameraPath, K: np.ndarray, depth: np.ndarray) -> int:
    """Padding in pixels: how far inside the frame the photo's border moves along ``path``,
    each border pixel at its own depth (``depth`` (H, W))."""
    height, width = depth.shape
    rows, cols = np.mgrid[0:height, 0:width]
    border = np.zeros(depth.shape, dtype=bool)
    border[[0, -1], :] = True
    border[:, [0, -1]] = True
    pixels = np.stack([cols[border], rows[border]], axis=1).astype(np.float64)
    pick = _subsample(len(pixels))
    moved = _moved(path, K, pixels[pick], depth[border][pick])
    start = pixels[pick]
    inward = np.zeros(moved.shape[:2])
    for axis, last in ((0, width - 1), (1, height - 1)):
        low, high = start[:, axis] == 0, start[:, axis] == last
        inward = np.maximum(inward, np.where(low, moved[..., axis], 0.0))
        inward = np.maximum(inward, np.where(high, last - moved[..., axis], 0.0))
    return int(np.ceil(max(float(inward.max()), 0.0))) + 2
