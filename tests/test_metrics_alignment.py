"""Alignment: exact recovery, invariances the protocols promise, the depth cap, degenerate fits."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from monocle.metrics import (
    ALIGN_MODES,
    DEPTH_METRIC_NAMES,
    align_depth,
    depth_metrics,
    solve_scale_shift,
)


def _scene(seed: int, shape: tuple[int, int] = (12, 16)) -> tuple[torch.Tensor, torch.Tensor]:
    rng = np.random.default_rng(seed)
    gt = torch.as_tensor(rng.uniform(1.0, 8.0, size=shape))
    noisy = gt * torch.as_tensor(rng.uniform(0.8, 1.25, size=shape))
    return gt, noisy


def _assert_same_metrics(a: dict[str, float], b: dict[str, float]) -> None:
    assert a["n_valid"] == b["n_valid"]
    for name in DEPTH_METRIC_NAMES:
        assert a[name] == pytest.approx(b[name], rel=1e-9, abs=1e-12), name


def test_solve_scale_shift_recovers_known_parameters_exactly() -> None:
    p = torch.linspace(-3.0, 5.0, 40, dtype=torch.float64).reshape(5, 8)
    t = 2.5 * p - 0.75
    s, b = solve_scale_shift(p, t)
    assert s == pytest.approx(2.5, abs=1e-13)
    assert b == pytest.approx(-0.75, abs=1e-13)


def test_solve_scale_shift_matches_normal_equations_and_ignores_masked_targets() -> None:
    rng = np.random.default_rng(0)
    p = rng.normal(size=(9, 11))
    t = 0.3 * p + 2.0 + rng.normal(scale=0.1, size=p.shape)
    valid = rng.random(p.shape) > 0.4
    t_with_garbage = np.where(valid, t, np.inf)
    pv, tv = p[valid], t[valid]
    # [Σp², Σp; Σp, Σ1][s; b] = [Σpt; Σt], solved directly
    normal = np.array([[np.sum(pv * pv), np.sum(pv)], [np.sum(pv), pv.size]])
    expected = np.linalg.solve(normal, np.array([np.sum(pv * tv), np.sum(tv)]))
    s, b = solve_scale_shift(p, t_with_garbage, valid)
    assert (s, b) == pytest.approx(tuple(expected), rel=1e-10)


def test_solve_scale_shift_rejects_degenerate_systems() -> None:
    with pytest.raises(ValueError, match="constant"):
        solve_scale_shift(torch.full((3, 3), 0.7), torch.rand(3, 3))
    with pytest.raises(ValueError, match="at least 2"):
        solve_scale_shift(torch.rand(3, 3), torch.rand(3, 3), torch.zeros(3, 3, dtype=torch.bool))
    one_pixel = torch.zeros(3, 3, dtype=torch.bool)
    one_pixel[1, 1] = True
    with pytest.raises(ValueError, match="on 1 valid pixel"):
        solve_scale_shift(torch.rand(3, 3), torch.rand(3, 3), one_pixel)


def test_median_alignment_golden_even_count() -> None:
    gt = torch.tensor([[1.0, 2.0], [3.0, 10.0]])
    pred = torch.tensor([[1.0, 1.0], [2.0, 4.0]])
    # numpy-style medians: gt (2 + 3) / 2 = 2.5, pred (1 + 2) / 2 = 1.5 -> scale 5/3
    aligned = align_depth(pred, gt, None, "median")
    assert torch.allclose(aligned, pred * (5.0 / 3.0), atol=1e-15)


def test_median_alignment_makes_metrics_invariant_to_global_scale() -> None:
    gt, pred = _scene(1)
    reference = depth_metrics(align_depth(pred, gt, None, "median"), gt)
    for scale in (0.02, 7.5, 300.0):
        scaled = depth_metrics(align_depth(pred * scale, gt, None, "median"), gt)
        _assert_same_metrics(scaled, reference)
    # without alignment the scale matters, so the check above has teeth
    assert depth_metrics(pred * 7.5, gt)["abs_rel"] > 2 * reference["abs_rel"]


def test_scale_shift_disparity_alignment_is_invariant_to_affine_disparity() -> None:
    gt, pred = _scene(2)
    valid = torch.rand(gt.shape, generator=torch.Generator().manual_seed(0)) > 0.2
    disparity = 1.0 / pred
    reference = depth_metrics(
        align_depth(disparity, gt, valid, "scale_shift_disparity", pred_is_disparity=True),
        gt,
        valid,
    )
    for a, b in ((3.0, 0.0), (0.05, 4.0), (120.0, -0.1)):
        aligned = align_depth(
            a * disparity + b, gt, valid, "scale_shift_disparity", pred_is_disparity=True
        )
        _assert_same_metrics(depth_metrics(aligned, gt, valid), reference)


def test_scale_shift_disparity_recovers_exact_depth_from_affine_disparity() -> None:
    gt, _ = _scene(3)
    affine = 0.4 / gt + 1.5
    aligned = align_depth(affine, gt, None, "scale_shift_disparity", pred_is_disparity=True)
    assert torch.allclose(aligned, gt, rtol=1e-12)
    # a depth prediction goes through 1/pred: depth = 1/(2/gt) fits with s = 2, b = 0
    from_depth = align_depth(gt / 2.0, gt, None, "scale_shift_disparity")
    assert torch.allclose(from_depth, gt, rtol=1e-12)


def test_depth_cap_clamps_far_and_negative_disparities() -> None:
    gt = torch.tensor([[1.0, 2.0, 4.0, 5.0]], dtype=torch.float64)
    disparity = 1.0 / gt
    # pixels outside the fit get disparities a cap must catch: tiny positive and negative
    pred = torch.cat([disparity, torch.tensor([[0.001, -0.5]], dtype=torch.float64)], dim=1)
    gt_full = torch.cat([gt, torch.zeros(1, 2)], dim=1)  # zero gt = not used by the fit
    capped = align_depth(
        pred, gt_full, None, "scale_shift_disparity", pred_is_disparity=True, depth_cap=10.0
    )
    # fit is exact (s = 1, b = 0); 1/0.001 = 1000 m and the negative disparity both become 10 m
    assert torch.allclose(
        capped, torch.tensor([[1.0, 2.0, 4.0, 5.0, 10.0, 10.0]], dtype=torch.float64), rtol=1e-12
    )
    uncapped = align_depth(pred, gt_full, None, "scale_shift_disparity", pred_is_disparity=True)
    assert uncapped[0, 4] == pytest.approx(1000.0) and uncapped[0, 5] < 0
    # depth-space modes cap depth directly
    assert align_depth(gt * 20, gt, None, "none", depth_cap=10.0).max() == 10.0


def test_scale_and_scale_shift_in_depth_golden() -> None:
    gt = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    # scale: s = Σ pred·gt / Σ pred² with pred = gt/2 -> (Σ gt²/2) / (Σ gt²/4) = 2
    assert torch.allclose(align_depth(gt / 2, gt, None, "scale"), gt, atol=1e-15)
    # scale_shift: gt = 3 · pred - 1 exactly for pred = (gt + 1) / 3
    assert torch.allclose(align_depth((gt + 1) / 3, gt, None, "scale_shift"), gt, atol=1e-14)


def test_disparity_prediction_in_depth_modes_is_converted_first() -> None:
    gt, pred = _scene(4)
    for mode in ("none", "median", "scale", "scale_shift"):
        from_disparity = align_depth(1.0 / pred, gt, None, mode, pred_is_disparity=True)
        assert torch.allclose(from_disparity, align_depth(pred, gt, None, mode), rtol=1e-12), mode
    with pytest.raises(ValueError, match="1 non-positive predicted disparities"):
        align_depth(
            torch.tensor([[1.0, 0.0]]), torch.ones(1, 2), None, "median", pred_is_disparity=True
        )


def test_alignment_keeps_shape_and_float_dtype() -> None:
    gt = torch.rand(1, 5, 6) + 1.0
    pred = (gt * 2).float()
    for mode in ALIGN_MODES:
        aligned = align_depth(pred, gt, None, mode)
        assert aligned.shape == (1, 5, 6) and aligned.dtype == torch.float32, mode
    assert align_depth(pred.numpy(), gt.numpy(), None, "median").dtype == torch.float32


def test_alignment_errors_are_clear() -> None:
    gt = torch.rand(4, 4) + 1.0
    with pytest.raises(ValueError, match=r"unknown alignment mode 'affine'.*scale_shift_disparity"):
        align_depth(gt, gt, None, "affine")
    with pytest.raises(ValueError, match="constant"):
        align_depth(torch.ones(4, 4), gt, None, "scale_shift_disparity")
    with pytest.raises(ValueError, match="no valid ground-truth pixels"):
        align_depth(gt, torch.zeros(4, 4), None, "median")
    with pytest.raises(ValueError, match="depth_cap must be positive"):
        align_depth(gt, gt, None, "none", depth_cap=0.0)
    nan_pred = gt.clone()
    nan_pred[0, 0] = math.nan
    with pytest.raises(ValueError, match="1 NaN/inf"):
        align_depth(nan_pred, gt, None, "scale_shift")
