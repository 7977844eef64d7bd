"""Pinhole camera for the scene engine.

Conventions (shared by the whole of :mod:`monocle.synth`):

- World frame is **y-up**, right-handed, metres. The ground of every scene is the plane y = 0.
- Camera frame is **OpenCV**: x right, y down, z forward. ``pose`` is the 4x4 camera-to-world
  matrix, so a camera-frame point ``p_c`` is at ``pose[:3, :3] @ p_c + pose[:3, 3]`` in the world.
- Pixel centres sit at **integer** coordinates: pixel (row v, column u) is the point (u, v) of
  the image plane, the image spans [-0.5, W-0.5] x [-0.5, H-0.5], and the principal point of a
  centred camera is ((W-1)/2, (H-1)/2). This matches OpenCV and ``kornia.geometry.depth``, so
  ``X = depth * K^-1 [u, v, 1]^T`` back-projects pixel (v, u) exactly.
- ``fov_x_deg`` is the horizontal field of view across the full image width, fx == fy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

WORLD_UP = np.array([0.0, 1.0, 0.0])


@dataclass(frozen=True)
class Camera:
    """A pinhole camera: ``pose`` (4,4) camera-to-world (float64) and horizontal FOV in degrees."""

    pose: np.ndarray
    fov_x_deg: float

    @staticmethod
    def look_at(
        eye: np.ndarray, target: np.ndarray, fov_x_deg: float, roll_deg: float = 0.0
    ) -> Camera:
        """Camera at ``eye`` looking at ``target`` with the world y axis up, then rolled."""
        eye = np.asarray(eye, dtype=np.float64)
        forward = np.asarray(target, dtype=np.float64) - eye
        forward /= np.linalg.norm(forward)
        right = np.cross(forward, WORLD_UP)
        if np.linalg.norm(right) < 1e-9:  # looking straight up or down: any right vector works
            right = np.array([1.0, 0.0, 0.0])
        right /= np.linalg.norm(right)
        down = np.cross(forward, right)
        roll = math.radians(roll_deg)
        right, down = (
            math.cos(roll) * right + math.sin(roll) * down,
            -math.sin(roll) * right + math.cos(roll) * down,
        )
        pose = np.eye(4)
        pose[:3, 0], pose[:3, 1], pose[:3, 2], pose[:3, 3] = right, down, forward, eye
        return Camera(pose=pose, fov_x_deg=float(fov_x_deg))

    def intrinsics(self, size: tuple[int, int]) -> np.ndarray:
        """K (3,3) float32 in pixels of an image of ``size`` = (H, W)."""
        height, width = size
        focal = (width / 2.0) / math.tan(math.radians(self.fov_x_deg) / 2.0)
        return np.array(
            [[focal, 0.0, (width - 1) / 2.0], [0.0, focal, (height - 1) / 2.0], [0.0, 0.0, 1.0]],
            dtype=np.float32,
        )

    def shifted(self, offset_camera: np.ndarray) -> Camera:
        """The same camera moved by ``offset_camera`` metres along its own axes (x right...)."""
        pose = self.pose.copy()
        pose[:3, 3] += pose[:3, :3] @ np.asarray(offset_camera, dtype=np.float64)
        return Camera(pose=pose, fov_x_deg=self.fov_x_deg)


def camera_rays(
    camera: Camera, K: np.ndarray, rows: tuple[int, int], width: int, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Primary rays of image rows [rows[0], rows[1]) in row-major order, for intrinsics K.

    Returns ``origins`` (N,3) world (one eye, expanded), ``directions`` (N,3) unit world vectors
    and ``z_per_t`` (N,) — the camera-z component of each unit direction, so planar depth =
    ``t * z_per_t``. N = (rows[1] - rows[0]) * width.
    """
    v, u = torch.meshgrid(
        torch.arange(rows[0], rows[1], device=device, dtype=torch.float32),
        torch.arange(width, device=device, dtype=torch.float32),
        indexing="ij",
    )
    x = (u.reshape(-1) - float(K[0, 2])) / float(K[0, 0])
    y = (v.reshape(-1) - float(K[1, 2])) / float(K[1, 1])
    inv_norm = torch.rsqrt(x * x + y * y + 1.0)
    rotation = torch.as_tensor(camera.pose[:3, :3], dtype=torch.float32, device=device)
    directions = (
        (x * inv_norm)[:, None] * rotation[:, 0]
        + (y * inv_norm)[:, None] * rotation[:, 1]
        + inv_norm[:, None] * rotation[:, 2]
    )
    eye = torch.as_tensor(camera.pose[:3, 3], dtype=torch.float32, device=device)
    return eye.expand(directions.shape[0], 3), directions, inv_norm
