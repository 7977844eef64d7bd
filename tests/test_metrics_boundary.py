"""Boundary metrics: Depth Pro F1 against a per-pixel reference, SI-F1, edges, SEE and DBE."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from monocle.metrics import (
    SI_F1_THRESHOLDS,
    boundary_f1,
    dbe,
    depth_edges,
    si_boundary_f1,
    soft_edge_error,
)

# (row, col) offsets of the left, top, right, bottom neighbours
DIRECTIONS = ((0, -1), (-1, 0), (0, 1), (1, 0))


def _reference_boundary_f1(
    pred: np.ndarray, gt: np.ndarray, t: float, valid: np.ndarray | None = None
) -> float:
    """Pixel loops: an occluding contour at x towards n if (1/depth[n]) / (1/depth[x]) > t."""
    height, width = gt.shape
    if valid is None:
        valid = np.ones(gt.shape, dtype=bool)
    recall = precision = 0.0
    for di, dj in DIRECTIONS:
        n_pred = n_gt = n_hit = 0
        for i in range(height):
            for j in range(width):
                ni, nj = i + di, j + dj
                if not (0 <= ni < height and 0 <= nj < width and valid[i, j] and valid[ni, nj]):
                    continue
                in_pred = (1 / pred[ni, nj]) / (1 / pred[i, j]) > t
                in_gt = (1 / gt[ni, nj]) / (1 / gt[i, j]) > t
                n_pred += in_pred
                n_gt += in_gt
                n_hit += in_pred and in_gt
        recall += n_hit / max(n_gt, 1) / 4
        precision += n_hit / max(n_pred, 1) / 4
    return 0.0 if recall + precision == 0 else 2 * precision * recall / (precision + recall)


def _layered_scene(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    gt = rng.choice([1.0, 1.4, 3.0], size=(12, 15)) * rng.uniform(0.97, 1.03, size=(12, 15))
    pred = gt * rng.uniform(0.9, 1.1, size=gt.shape)
    return pred, gt


def _square(inside: float, outside: float, size: int = 16) -> torch.Tensor:
    depth = torch.full((size, size), outside, dtype=torch.float64)
    depth[4:12, 5:11] = inside
    return depth


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("threshold", [1.05, 1.1, 1.25])
def test_boundary_f1_agrees_with_pixel_loop_reference(seed: int, threshold: float) -> None:
    pred, gt = _layered_scene(seed)
    valid = np.random.default_rng(seed + 10).random(gt.shape) > 0.15
    expected = _reference_boundary_f1(pred, gt, threshold)
    assert 0 < expected < 1  # a non-trivial case
    assert boundary_f1(pred, gt, threshold) == pytest.approx(expected, abs=1e-12)
    expected_masked = _reference_boundary_f1(pred, gt, threshold, valid)
    assert boundary_f1(pred, gt, threshold, valid) == pytest.approx(expected_masked, abs=1e-12)


def test_boundary_f1_golden_1x4() -> None:
    gt = torch.tensor([[1.0, 1.0, 2.0, 2.0]])
    pred = torch.tensor([[1.0, 1.0, 2.0, 4.0]])
    # inverse gt [1, 1, .5, .5]: one "left neighbour nearer" contour (pixel 2, ratio 2)
    # inverse pred [1, 1, .5, .25]: two such contours (pixels 2 and 3), one of them a hit
    # R = (1/1 + 0 + 0 + 0) / 4 = 0.25, P = (1/2 + 0 + 0 + 0) / 4 = 0.125
    # F1 = 2 * 0.25 * 0.125 / 0.375 = 1/6
    assert boundary_f1(pred, gt, 1.1) == pytest.approx(1 / 6, abs=1e-15)


def test_step_edges_perfect_and_flat_predictions() -> None:
    square = _square(inside=2.0, outside=5.0)
    # a near square has contours in all 4 directions, so a perfect prediction scores 1
    assert boundary_f1(square, square, 1.1) == 1.0
    assert si_boundary_f1(square, square) == pytest.approx(1.0, abs=1e-15)
    flat = torch.full_like(square, 3.0)
    assert boundary_f1(flat, square, 1.1) == 0.0
    assert si_boundary_f1(flat, square) == 0.0
    # Depth Pro averages over the 4 directions: a straight step (one direction) scores 1/4
    step = torch.full((8, 8), 5.0, dtype=torch.float64)
    step[:, :4] = 2.0
    assert boundary_f1(step, step, 1.1) == pytest.approx(0.25, abs=1e-15)


def test_si_boundary_f1_golden_partial_thresholds() -> None:
    gt = _square(inside=2.0, outside=4.0)  # inverse-depth ratio 2: a contour at every t_i
    pred = _square(inside=2.0, outside=2.3)  # ratio 1.15: above t_0..t_4, below t_5..t_9
    # t_i = 1.05 + 0.2 i / 9; F1(t_i) = 1 for i < 5 else 0
    # SI-F1 = Σ_{i<5} t_i / Σ t_i = (5 * 1.05 + 0.2 * 10 / 9) / (10 * 1.15)
    expected = (5 * 1.05 + 0.2 * 10 / 9) / 11.5
    assert si_boundary_f1(pred, gt) == pytest.approx(expected, abs=1e-12)
    assert torch.allclose(
        SI_F1_THRESHOLDS[[0, -1]], torch.tensor([1.05, 1.25], dtype=torch.float64)
    )


def test_si_boundary_f1_is_scale_invariant() -> None:
    pred, gt = _layered_scene(5)
    reference = si_boundary_f1(pred, gt)
    assert 0 < reference < 1
    for scale in (0.01, 3.7, 1000.0):
        assert si_boundary_f1(pred * scale, gt) == pytest.approx(reference, abs=1e-12)
        assert si_boundary_f1(pred, gt * scale) == pytest.approx(reference, abs=1e-12)


def test_invalid_pixels_add_no_contours_and_empty_mask_is_nan() -> None:
    square = _square(inside=2.0, outside=5.0)
    holed = square.clone()
    holed[0:2, 0:2] = 0.0  # missing ground truth in the background
    assert boundary_f1(square, holed, 1.1) == 1.0
    assert math.isnan(si_boundary_f1(square, torch.zeros_like(square)))
    negative = square.clone()
    negative[0, 0] = -1.0
    with pytest.raises(ValueError, match="1 non-positive predicted depths"):
        boundary_f1(negative, square, 1.1)


def test_depth_edges_marks_the_nearer_pixel() -> None:
    assert depth_edges(torch.tensor([[1.0, 1.0, 2.0, 2.0]])).tolist() == [
        [False, True, False, False]
    ]
    assert depth_edges(torch.tensor([[2.0, 2.0, 1.0, 1.0]])).tolist() == [
        [False, False, True, False]
    ]
    # ratio is strict: 1.25 is no edge, 1.26 is
    assert not depth_edges(torch.tensor([[1.0, 1.25]])).any()
    assert depth_edges(torch.tensor([[1.0, 1.26]])).tolist() == [[True, False]]
    center = torch.full((3, 3), 2.0)
    center[1, 1] = 1.0
    assert depth_edges(center).nonzero().tolist() == [[1, 1]]
    # a missing neighbour (0) is no occlusion, and the channel dim is kept
    assert not depth_edges(torch.tensor([[[1.0, 0.0, 1.0]]])).any()
    assert depth_edges(torch.ones(1, 3, 4)).shape == (1, 3, 4)


def test_soft_edge_error_golden_1x5() -> None:
    gt = torch.tensor([[1.0, 1.0, 3.0, 3.0, 1.0]])
    edges = depth_edges(gt)
    assert edges.tolist() == [[False, True, False, False, True]]
    # edge at 1: pred neighbours (0..2) = 1.5, 2, 2 vs gt 1 -> 0.5
    # edge at 4 (image border): neighbours (3..4) = 2, 0.8 vs gt 1 -> 0.2; mean 0.35
    pred = torch.tensor([[1.5, 2.0, 2.0, 2.0, 0.8]], dtype=torch.float64)
    assert soft_edge_error(pred, gt, edges) == pytest.approx(0.35, abs=1e-15)
    # an edge predicted one pixel off costs nothing
    shifted = torch.tensor([[1.0, 3.0, 3.0, 3.0, 1.0]])
    assert soft_edge_error(shifted, gt, edges) == 0.0
    assert math.isnan(soft_edge_error(pred, gt, torch.zeros_like(edges)))


def test_soft_edge_error_agrees_with_pixel_loop_reference() -> None:
    pred, gt = _layered_scene(7)
    edges = depth_edges(gt).numpy()
    total, count = 0.0, 0
    for i in range(gt.shape[0]):
        for j in range(gt.shape[1]):
            if edges[i, j]:
                total += min(
                    abs(pred[ni, nj] - gt[i, j])
                    for ni in range(max(i - 1, 0), min(i + 2, gt.shape[0]))
                    for nj in range(max(j - 1, 0), min(j + 2, gt.shape[1]))
                )
                count += 1
    assert count > 5
    assert soft_edge_error(pred, gt, edges) == pytest.approx(total / count, abs=1e-12)


def _step(column: int, height: int = 30, width: int = 50) -> np.ndarray:
    depth = np.full((height, width), 2.0)
    depth[:, column:] = 5.0
    return depth


def test_dbe_of_a_shifted_edge_equals_the_shift() -> None:
    gt_edges = np.zeros((30, 50), dtype=bool)
    gt_edges[:, 19] = True  # Canny marks column c - 1 for a step at column c
    for shift in range(6):
        acc, comp = dbe(_step(20 + shift), gt_edges)
        assert acc == pytest.approx(shift, abs=1e-12)
        assert comp == pytest.approx(shift, abs=1e-12)
    # the same step with a different depth scale gives the same edges
    assert dbe(_step(23) * 7.0, gt_edges) == pytest.approx((3.0, 3.0))


def test_dbe_golden_two_predicted_edges() -> None:
    pred = np.full((30, 50), 2.0)
    pred[:, 20:] = 3.5
    pred[:, 32:] = 5.0  # Canny edges at columns 19 and 31
    gt_edges = np.zeros(pred.shape, dtype=bool)
    gt_edges[:, 17] = True
    # D_gt on E_p: 2 (col 19) and 14 (col 31, beyond θ = 10) -> acc = 2
    # comp = (30·2 + 30·min(14, 10) + 30·2) / (60 + 30) = 14/3
    acc, comp = dbe(pred, gt_edges)
    assert acc == pytest.approx(2.0, abs=1e-12)
    assert comp == pytest.approx(14 / 3, abs=1e-12)


def test_dbe_without_edges_and_beyond_theta() -> None:
    gt_edges = np.zeros((30, 50), dtype=bool)
    gt_edges[:, 19] = True
    assert dbe(np.full((30, 50), 3.0), gt_edges) == (10.0, 10.0)  # no predicted edge
    assert dbe(_step(35), gt_edges) == (10.0, 10.0)  # shifted by 15 > θ
    assert dbe(_step(24), gt_edges, theta=3.0) == (3.0, 3.0)  # shifted by 5 > θ = 3
    acc, comp = dbe(_step(20), np.zeros((30, 50), dtype=bool))
    assert math.isnan(acc) and math.isnan(comp)  # no GT edge: skipped, as the official script


def test_dbe_ignores_invalid_prediction_holes() -> None:
    gt_edges = np.zeros((30, 50), dtype=bool)
    gt_edges[:, 19] = True
    holed = _step(22)
    holed[10:14, 30:36] = 0.0  # missing prediction: no edges around the hole
    assert dbe(holed, gt_edges) == pytest.approx((2.0, 2.0))
    masked = _step(22)
    masked[10:14, 30:36] = 100.0
    valid = np.ones(masked.shape, dtype=bool)
    valid[10:14, 30:36] = False
    assert dbe(masked, gt_edges, valid) == pytest.approx((2.0, 2.0))
