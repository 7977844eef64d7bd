"""Normal loss: analytic plane normals, golden cosines, neighbourhood validity."""

from __future__ import annotations

import math

import pytest
import torch

from monocle.losses import NormalLoss, image_space_normals, normal_loss, normals_from_depth

SIZE = 9
FOCAL = 100.0
K = torch.tensor(
    [[FOCAL, 0.0, 4.0], [0.0, FOCAL, 4.0], [0.0, 0.0, 1.0]], dtype=torch.float64
)  # cx = cy = 4, the centre of a 9x9 map
THETA = math.radians(30.0)


def _plane_depth(normal: tuple[float, float, float], offset: float = 2.0) -> torch.Tensor:
    """z of the plane n . X = offset seen through K: z = offset / (n . K^-1 [u, v, 1])."""
    v, u = torch.meshgrid(
        torch.arange(SIZE, dtype=torch.float64),
        torch.arange(SIZE, dtype=torch.float64),
        indexing="ij",
    )
    rays = torch.stack([(u - 4.0) / FOCAL, (v - 4.0) / FOCAL, torch.ones_like(u)])
    n = torch.tensor(normal, dtype=torch.float64).view(3, 1, 1)
    return (offset / (n * rays).sum(0)).view(1, 1, SIZE, SIZE)


@pytest.mark.parametrize(
    "normal",
    [
        (0.0, 0.0, 1.0),
        (-math.sin(THETA), 0.0, math.cos(THETA)),
        (0.0, -math.sin(THETA), math.cos(THETA)),
    ],
)
def test_normals_from_depth_recover_the_plane_normal(normal: tuple[float, float, float]) -> None:
    # Sobel tangents are combinations of differences of points on the plane, so they lie in it
    # and their cross product is the plane normal exactly, border pixels included.
    normals = normals_from_depth(_plane_depth(normal), K)
    expected = torch.tensor(normal, dtype=torch.float64).view(1, 3, 1, 1).expand_as(normals)
    assert torch.allclose(normals, expected, atol=1e-9)


def test_camera_normal_loss_golden_is_one_minus_cos_theta() -> None:
    pred = _plane_depth((-math.sin(THETA), 0.0, math.cos(THETA)))
    target = torch.full_like(pred, 2.0)
    mask = torch.ones_like(pred, dtype=torch.bool)
    expected = 1.0 - math.cos(THETA)  # 0.1339746
    assert normal_loss(pred, target, mask, K=K).item() == pytest.approx(expected)
    assert NormalLoss()(pred, target, mask, K[None]).item() == pytest.approx(expected)


def test_image_space_normals_and_loss_golden() -> None:
    # d = 0.5 u + 1: normalised Sobel gives 0.5 along x and 0 along y, so
    # n = (-0.5, 0, 1) / sqrt(1.25) inside the one-pixel border.
    u = torch.arange(SIZE, dtype=torch.float64).expand(SIZE, SIZE)
    pred = (0.5 * u + 1.0).view(1, 1, SIZE, SIZE)
    normals = image_space_normals(pred)
    interior = normals[0, :, 1:-1, 1:-1]
    assert torch.allclose(interior[0], torch.full_like(interior[0], -0.5 / math.sqrt(1.25)))
    assert torch.allclose(interior[2], torch.full_like(interior[2], 1.0 / math.sqrt(1.25)))
    target = torch.full_like(pred, 2.0)
    mask = torch.ones_like(pred, dtype=torch.bool)
    loss = normal_loss(pred, target, mask, space="image")
    assert loss.item() == pytest.approx(1.0 - 1.0 / math.sqrt(1.25))  # 0.1055728
    # Depth growing along the columns tilts both kinds of normals towards -x.
    assert normals_from_depth(pred, K)[0, 0, 4, 4] < 0


def test_pixels_next_to_an_invalid_one_do_not_count() -> None:
    target = torch.full((1, 1, SIZE, SIZE), 2.0, dtype=torch.float64)
    pred = target.clone()
    pred[0, 0, 4, 4] = 100.0
    mask = torch.ones_like(pred, dtype=torch.bool)
    assert normal_loss(pred, target, mask, K=K).item() > 0.01
    mask[0, 0, 4, 4] = False
    assert normal_loss(pred, target, mask, K=K).item() == pytest.approx(0.0, abs=1e-12)


def test_camera_space_needs_intrinsics_and_a_known_space() -> None:
    depth = torch.ones(1, 1, SIZE, SIZE)
    mask = torch.ones_like(depth, dtype=torch.bool)
    with pytest.raises(ValueError, match="space='image'"):
        normal_loss(depth, depth, mask)
    with pytest.raises(ValueError, match="space must be"):
        normal_loss(depth, depth, mask, space="world")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="K has shape"):
        normal_loss(depth, depth, mask, K=torch.eye(4))
