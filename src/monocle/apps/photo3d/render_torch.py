"""A pure-torch triangle rasteriser with an exact z-buffer: test oracle and EGL fallback.

Pixel centres sit at integer coordinates (OpenCV). A pixel belongs to a triangle when its
centre is inside or on an edge (a small tolerance closes cracks along shared edges); among all
triangles covering a pixel the nearest wins exactly: depth and triangle index pack into one
int64 key and ``scatter_reduce("amin")`` picks it. Depth and texture coordinates are
interpolated perspective-correctly, colours sampled bilinearly from the mesh's texture.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from monocle.apps.photo3d.mesh import Mesh

PAIR_BUDGET = 1 << 22  # (triangle, pixel) candidates per chunk: bounds memory
INSIDE_TOLERANCE = 1e-4
SNAP = 1e-3
NEAR_PLANE = 1e-4


@dataclass
class Frame:
    """One rendered view: ``rgb`` uint8 (H,W,3), ``depth`` float32 (H,W) planar camera z (0
    where uncovered), ``covered`` bool (H,W)."""

    rgb: np.ndarray
    depth: np.ndarray
    covered: np.ndarray


def to_camera(vertices: np.ndarray, pose: np.ndarray) -> np.ndarray:
    """(N, 3) source-frame points in the frame of a camera whose pose (novel-to-source) is
    ``pose`` (4, 4)."""
    pose = np.asarray(pose, dtype=np.float64)
    return ((vertices.astype(np.float64) - pose[:3, 3]) @ pose[:3, :3]).astype(np.float32)


def bilinear(texture: torch.Tensor, uv: torch.Tensor) -> torch.Tensor:
    """Sample ``texture`` (Ht, Wt, C) at texel coordinates ``uv`` (M, 2), centres at integers."""
    height, width = texture.shape[:2]
    u = uv[:, 0].clamp(0, width - 1)
    v = uv[:, 1].clamp(0, height - 1)
    u0, v0 = u.floor().long(), v.floor().long()
    u1, v1 = (u0 + 1).clamp(max=width - 1), (v0 + 1).clamp(max=height - 1)
    fu, fv = (u - u0)[:, None], (v - v0)[:, None]
    top = texture[v0, u0] * (1 - fu) + texture[v0, u1] * fu
    bottom = texture[v1, u0] * (1 - fu) + texture[v1, u1] * fu
    return top * (1 - fv) + bottom * fv


class TorchRenderer:
    """Renders one :class:`Mesh` from any camera; ``render(pose, K)`` -> :class:`Frame`."""

    name = "torch"

    def __init__(self, mesh: Mesh, size: tuple[int, int]):
        self.mesh = mesh
        self.size = (int(size[0]), int(size[1]))
        self.faces = torch.as_tensor(mesh.faces, dtype=torch.long)
        self.texel = torch.as_tensor(mesh.homogeneous_uv())
        self.texture = torch.as_tensor(mesh.texture, dtype=torch.float32)

    def close(self) -> None:
        """Nothing to release; here for symmetry with the OpenGL renderer."""

    def render(self, pose: np.ndarray, K: np.ndarray) -> Frame:
        """The mesh seen by a camera at ``pose`` (4,4 novel-to-source) with intrinsics ``K``."""
        height, width = self.size
        points = torch.as_tensor(to_camera(self.mesh.vertices, pose))
        K = np.asarray(K, dtype=np.float64)
        z = points[:, 2]
        safe_z = z.clamp(min=NEAR_PLANE)
        screen = torch.stack(
            [
                points[:, 0] / safe_z * float(K[0, 0]) + float(K[0, 2]),
                points[:, 1] / safe_z * float(K[1, 1]) + float(K[1, 2]),
            ],
            dim=1,
        ).double()
        faces = self.faces[(z[self.faces] > NEAR_PLANE).all(dim=1)]
        best = torch.full((height * width,), torch.iinfo(torch.int64).max, dtype=torch.int64)
        winners = []
        tri = screen[faces]  # (F, 3, 2)
        # Vertices land on pixel centres only up to rounding: widen the box by a hair.
        lo = (tri.amin(dim=1) - SNAP).ceil().clamp(min=0)
        hi = (tri.amax(dim=1) + SNAP).floor()
        hi[:, 0] = hi[:, 0].clamp(max=width - 1)
        hi[:, 1] = hi[:, 1].clamp(max=height - 1)
        span = (hi - lo + 1).clamp(min=0).long()
        counts = span[:, 0] * span[:, 1]
        keep = counts > 0
        faces, tri, lo, span, counts = faces[keep], tri[keep], lo[keep], span[keep], counts[keep]
        face_ids = torch.nonzero(keep).squeeze(1)
        ends = torch.cumsum(counts, 0)
        start = 0
        while start < len(faces):
            base = int(ends[start - 1]) if start else 0
            stop = int(torch.searchsorted(ends, base + PAIR_BUDGET, right=True))
            stop = max(stop, start + 1)
            winners.append(
                self._chunk(faces, tri, lo, span, counts, face_ids, start, stop, z, best)
            )
            start = stop
        return self._shade(winners, best)

    def _chunk(self, faces, tri, lo, span, counts, face_ids, start, stop, z, best):
        """Candidate (pixel, key, barycentrics, face) of faces[start:stop]; updates ``best``."""
        width = self.size[1]
        sel = slice(start, stop)
        owner = torch.repeat_interleave(torch.arange(start, stop), counts[sel])
        first = torch.cumsum(counts[sel], 0) - counts[sel]
        local = torch.arange(len(owner)) - torch.repeat_interleave(first, counts[sel])
        px = lo[owner, 0] + (local % span[owner, 0]).double()
        py = lo[owner, 1] + (local // span[owner, 0]).double()
        a, b, c = tri[owner, 0], tri[owner, 1], tri[owner, 2]

        def edge(p, q):
            return (q[:, 0] - p[:, 0]) * (py - p[:, 1]) - (q[:, 1] - p[:, 1]) * (px - p[:, 0])

        area = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])
        bary = torch.stack([edge(b, c), edge(c, a), edge(a, b)], dim=1) / area[:, None]
        hit = (area.abs() > 1e-12) & (bary >= -INSIDE_TOLERANCE).all(dim=1)
        bary, owner, px, py = bary[hit], owner[hit], px[hit], py[hit]
        vertex_z = z[faces[owner]].double()
        inv_z = (bary / vertex_z).sum(dim=1)
        depth = (1.0 / inv_z).float()
        pixel = py.long() * width + px.long()
        # Positive float32 bits order like the floats: depth first, then the face id.
        key = (depth.view(torch.int32).long() << 32) | face_ids[owner]
        best.scatter_reduce_(0, pixel, key, reduce="amin")
        return pixel, key, depth, bary / vertex_z / inv_z[:, None], faces[owner]

    def _shade(self, winners, best) -> Frame:
        height, width = self.size
        rgb = torch.zeros(height * width, 3)
        depth = torch.zeros(height * width)
        covered = best != torch.iinfo(torch.int64).max
        for pixel, key, pixel_depth, weights, face in winners:
            won = key == best[pixel]
            pixel, weights, face = pixel[won], weights[won].float(), face[won]
            texel = (weights[:, :, None] * self.texel[face]).sum(dim=1)
            uv = texel[:, :2] / texel[:, 2:3]
            rgb[pixel] = bilinear(self.texture, uv)
            depth[pixel] = pixel_depth[won]
        rgb = rgb.round().clamp(0, 255).to(torch.uint8).reshape(height, width, 3).numpy()
        return Frame(
            rgb, depth.reshape(height, width).numpy(), covered.reshape(height, width).numpy()
        )
