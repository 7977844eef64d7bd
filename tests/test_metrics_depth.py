"""Per-image depth metrics: hand-worked golden values, a slow reference, invariances, bad input."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

from monocle.metrics import (
    DEPTH_METRIC_NAMES,
    Protocol,
    abs_rel,
    check_prediction,
    delta,
    depth_metrics,
    log10,
    rmse,
    rmse_log,
    si_rmse,
    silog_kitti,
    sq_rel,
    valid_mask,
)

LN2 = math.log(2.0)

# gt = [1, 2, 4, 8], pred = [2, 2, 2, 8] as a 2x2 image.
GT = torch.tensor([[1.0, 2.0], [4.0, 8.0]])
PRED = torch.tensor([[2.0, 2.0], [2.0, 8.0]])


def test_golden_values_2x2() -> None:
    # |gt - pred| / gt = 1/1, 0, 2/4, 0 -> mean 1.5 / 4
    assert abs_rel(PRED, GT) == pytest.approx(0.375, abs=1e-15)
    # (gt - pred)^2 / gt = 1/1, 0, 4/4, 0 -> mean 2 / 4
    assert sq_rel(PRED, GT) == pytest.approx(0.5, abs=1e-15)
    # sqrt((1 + 0 + 4 + 0) / 4)
    assert rmse(PRED, GT) == pytest.approx(math.sqrt(1.25), abs=1e-15)
    # log gt - log pred = -ln2, 0, ln2, 0 -> sqrt(2 ln2^2 / 4) = ln2 / sqrt2
    assert rmse_log(PRED, GT) == pytest.approx(LN2 / math.sqrt(2), abs=1e-15)
    # |log10 gt - log10 pred| = log10 2, 0, log10 2, 0 -> mean log10(2) / 2
    assert log10(PRED, GT) == pytest.approx(math.log10(2) / 2, abs=1e-15)
    # e = ln pred - ln gt = ln2, 0, -ln2, 0: mean 0, mean e^2 = ln2^2 / 2
    assert si_rmse(PRED, GT) == pytest.approx(LN2 / math.sqrt(2), abs=1e-15)
    assert silog_kitti(PRED, GT) == pytest.approx(100 * LN2 / math.sqrt(2), abs=1e-12)


def test_golden_scale_invariant_errors_with_nonzero_mean_1x4() -> None:
    gt = torch.tensor([[1.0, 2.0, 4.0, 8.0]])
    pred = torch.tensor([[2.0, 2.0, 2.0, 16.0]])
    # e = ln2, 0, -ln2, ln2: mean(e) = ln2/4, mean(e^2) = 3 ln2^2 / 4
    # mean(e^2) - mean(e)^2 = (12 - 1) ln2^2 / 16 -> si_rmse = ln2 sqrt(11) / 4
    expected = LN2 * math.sqrt(11) / 4
    assert si_rmse(pred, gt) == pytest.approx(expected, abs=1e-15)
    assert silog_kitti(pred, gt) == pytest.approx(100 * expected, abs=1e-12)


def test_golden_delta_thresholds_1x4() -> None:
    gt = torch.ones(1, 4)
    pred = torch.tensor([[1.2, 1.5, 1.9, 3.0]])
    # ratios 1.2, 1.5, 1.9, 3.0 against 1.25, 1.5625, 1.953125 (strict <)
    assert delta(pred, gt, k=1) == 0.25
    assert delta(pred, gt, k=2) == 0.5
    assert delta(pred, gt, k=3) == 0.75
    # max(gt/pred, pred/gt) is symmetric: swapping roles gives the same fractions
    assert delta(gt, pred, k=2) == 0.5
    # a ratio of exactly 1.25 fails delta1 (strict): 1.25 / 1 -> 0 of 1
    assert delta(torch.tensor([[1.25]]), torch.tensor([[1.0]]), k=1) == 0.0


def test_depth_metrics_matches_individual_functions_and_keys() -> None:
    metrics = depth_metrics(PRED, GT)
    assert tuple(metrics) == (*DEPTH_METRIC_NAMES, "n_valid")
    assert metrics["n_valid"] == 4
    assert metrics["abs_rel"] == abs_rel(PRED, GT)
    assert metrics["delta2"] == delta(PRED, GT, k=2)
    assert metrics["silog_kitti"] == silog_kitti(PRED, GT)


def _reference_metrics(pred: np.ndarray, gt: np.ndarray, valid: np.ndarray) -> dict[str, float]:
    """Plain per-pixel loops, written straight from the textbook definitions."""
    sums = dict.fromkeys(("abs_rel", "sq_rel", "se", "sle", "l10", "e", "e2"), 0.0)
    hits = [0, 0, 0]
    n = 0
    for i in range(gt.shape[0]):
        for j in range(gt.shape[1]):
            y, yhat = float(gt[i, j]), float(pred[i, j])
            if not (valid[i, j] and math.isfinite(y) and y > 0):
                continue
            n += 1
            sums["abs_rel"] += abs(y - yhat) / y
            sums["sq_rel"] += (y - yhat) ** 2 / y
            sums["se"] += (y - yhat) ** 2
            sums["sle"] += (math.log(y) - math.log(yhat)) ** 2
            sums["l10"] += abs(math.log10(y) - math.log10(yhat))
            e = math.log(yhat) - math.log(y)
            sums["e"] += e
            sums["e2"] += e * e
            for k in range(3):
                hits[k] += max(y / yhat, yhat / y) < 1.25 ** (k + 1)
    si = math.sqrt(sums["e2"] / n - (sums["e"] / n) ** 2)
    return {
        "abs_rel": sums["abs_rel"] / n,
        "sq_rel": sums["sq_rel"] / n,
        "rmse": math.sqrt(sums["se"] / n),
        "rmse_log": math.sqrt(sums["sle"] / n),
        "log10": sums["l10"] / n,
        "delta1": hits[0] / n,
        "delta2": hits[1] / n,
        "delta3": hits[2] / n,
        "silog_kitti": 100 * si,
        "si_rmse": si,
        "n_valid": n,
    }


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_depth_metrics_agree_with_slow_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    gt = rng.uniform(0.5, 20.0, size=(13, 17))
    pred = gt * rng.uniform(0.6, 1.6, size=gt.shape)
    valid = rng.random(gt.shape) > 0.3
    gt[rng.random(gt.shape) > 0.9] = 0.0  # missing ground truth, excluded by valid_mask
    expected = _reference_metrics(pred, gt, valid)
    actual = depth_metrics(pred, gt, valid)
    assert actual["n_valid"] == expected["n_valid"]
    for name in DEPTH_METRIC_NAMES:
        assert actual[name] == pytest.approx(expected[name], rel=1e-10, abs=1e-12), name


def test_scale_invariant_errors_ignore_global_scale() -> None:
    rng = np.random.default_rng(3)
    gt = rng.uniform(1.0, 10.0, size=(8, 9))
    pred = gt * rng.uniform(0.8, 1.3, size=gt.shape)
    for scale in (0.01, 3.7, 250.0):
        assert si_rmse(pred * scale, gt) == pytest.approx(si_rmse(pred, gt), rel=1e-9)
        assert silog_kitti(pred * scale, gt) == pytest.approx(silog_kitti(pred, gt), rel=1e-9)
    # ...while the plain errors do change, so the test above can fail
    assert rmse_log(pred * 3.7, gt) != pytest.approx(rmse_log(pred, gt), rel=1e-3)


def test_numpy_float32_and_channel_inputs_give_the_same_numbers() -> None:
    reference = depth_metrics(PRED, GT)
    assert depth_metrics(PRED.numpy(), GT.numpy()) == reference
    assert depth_metrics(PRED[None], GT) == reference
    assert depth_metrics(PRED.double(), GT[None].numpy()) == reference


def test_nan_and_inf_in_gt_are_invalid_pixels() -> None:
    rng = np.random.default_rng(4)
    gt = torch.as_tensor(rng.uniform(1.0, 5.0, size=(6, 7)))
    pred = gt * torch.as_tensor(rng.uniform(0.7, 1.4, size=(6, 7)))
    corrupted = gt.clone()
    corrupted[0, 0] = math.nan
    corrupted[2, 3] = math.inf
    corrupted[4, 1] = -math.inf
    excluded = torch.ones_like(gt, dtype=torch.bool)
    excluded[0, 0] = excluded[2, 3] = excluded[4, 1] = False
    assert depth_metrics(pred, corrupted) == depth_metrics(pred, gt, excluded)
    assert depth_metrics(pred, corrupted)["n_valid"] == 42 - 3


def test_nan_in_prediction_inside_mask_raises_with_count() -> None:
    pred = PRED.clone()
    pred[0, 0] = math.nan
    pred[1, 1] = math.inf
    with pytest.raises(ValueError, match="prediction has 2 NaN/inf pixels inside the valid mask"):
        depth_metrics(pred, GT)
    # outside the mask a NaN prediction is simply not scored
    valid = torch.tensor([[False, True], [True, False]])
    assert depth_metrics(pred, GT, valid)["n_valid"] == 2


def test_non_positive_prediction_raises_with_count() -> None:
    pred = torch.tensor([[0.0, -1.0], [2.0, 8.0]])
    with pytest.raises(ValueError, match=r"2 non-positive predicted depths.*align or clamp first"):
        depth_metrics(pred, GT)
    with pytest.raises(ValueError, match="1 non-positive"):
        rmse(pred, GT, torch.tensor([[True, False], [True, True]]))


def test_shape_mismatch_names_both_shapes() -> None:
    with pytest.raises(ValueError, match=r"pred has shape \(2, 3\) but gt has shape \(2, 2\)"):
        depth_metrics(torch.ones(2, 3), GT)
    with pytest.raises(ValueError, match=r"valid has shape \(3, 3\)"):
        check_prediction(PRED, GT, torch.ones(3, 3, dtype=torch.bool))
    with pytest.raises(ValueError, match=r"one image at a time"):
        depth_metrics(torch.ones(2, 1, 2, 2), torch.ones(2, 1, 2, 2))


def test_empty_mask_gives_flagged_nan_row_without_warnings() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        metrics = depth_metrics(PRED, GT, torch.zeros(2, 2, dtype=torch.bool))
        all_missing = depth_metrics(PRED, torch.zeros(2, 2))
        single = abs_rel(PRED, torch.zeros(2, 2))
    assert metrics["n_valid"] == 0 and all_missing["n_valid"] == 0
    assert all(math.isnan(metrics[name]) for name in DEPTH_METRIC_NAMES)
    assert all(math.isnan(all_missing[name]) for name in DEPTH_METRIC_NAMES)
    assert math.isnan(single)


def test_valid_mask_combines_finite_positive_mask_and_strict_range() -> None:
    gt = torch.tensor([[0.0, -1.0, math.nan, math.inf, 1e-3, 0.5, 10.0, 9.99]])
    user = torch.tensor([[1, 1, 1, 1, 1, 1, 1, 0]], dtype=torch.uint8)
    assert valid_mask(gt).tolist() == [[False, False, False, False, True, True, True, True]]
    ranged = valid_mask(gt, min_depth=1e-3, max_depth=10.0)
    assert ranged.tolist() == [[False, False, False, False, False, True, False, True]]
    assert valid_mask(gt, user).tolist() == [[False] * 4 + [True, True, True, False]]


def test_protocol_masks_and_clamps_prediction() -> None:
    protocol = Protocol.custom(min_depth=1.0, max_depth=10.0)
    gt = torch.tensor([[0.5, 5.0], [8.0, 12.0]])
    pred = torch.tensor([[0.5, 20.0], [0.25, 12.0]])
    metrics = depth_metrics(pred, gt, protocol=protocol)
    # scored pixels: gt 5 and 8 (0.5 and 12 are out of range); pred clamped to 10 and 1
    # abs_rel = (|5 - 10| / 5 + |8 - 1| / 8) / 2 = (1 + 0.875) / 2
    assert metrics["n_valid"] == 2
    assert metrics["abs_rel"] == pytest.approx(0.9375, abs=1e-15)


def test_prediction_may_be_anything_where_ground_truth_is_missing() -> None:
    gt = GT.clone()
    gt[0, 0] = 0.0
    pred = PRED.clone()
    pred[0, 0] = math.nan
    # remaining pixels: gt 2, 4, 8 vs pred 2, 2, 8 -> abs_rel = (0 + 0.5 + 0) / 3
    assert depth_metrics(pred, gt)["abs_rel"] == pytest.approx(0.5 / 3, abs=1e-15)
    pred[0, 0] = -3.0
    assert depth_metrics(pred, gt)["n_valid"] == 3


def test_valid_mask_accepts_a_channel_dim_on_either_side() -> None:
    valid = torch.tensor([[True, False], [True, True]])
    assert valid_mask(GT[None], valid).shape == (1, 2, 2)
    assert valid_mask(GT, valid[None]).tolist() == valid.tolist()
    assert depth_metrics(PRED, GT[None], valid)["n_valid"] == 3
