"""BerHu and SILog: golden values worked out by hand, gradients, invariances."""

from __future__ import annotations

import math

import pytest
import torch

from monocle.losses import BerHuLoss, SILogLoss, berhu_loss, silog_loss


def _map(values: list[float]) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float64).view(1, 1, 2, 2)


PRED = _map([1.0, 2.0, 3.0, 5.0])
TARGET = _map([1.0, 1.0, 1.0, 1.0])  # residuals d = 0, 1, 2, 4
ALL = torch.ones(1, 1, 2, 2, dtype=torch.bool)


def test_berhu_default_ratio_golden() -> None:
    # c = 0.2 * 4 = 0.8; |0| = 0; d > c gives (d^2 + 0.64) / 1.6:
    # 1 -> 1.64/1.6 = 1.025, 2 -> 4.64/1.6 = 2.9, 4 -> 16.64/1.6 = 10.4; mean 14.325/4.
    assert berhu_loss(PRED, TARGET, ALL).item() == pytest.approx(14.325 / 4)


def test_berhu_l1_branch_and_gradient_golden() -> None:
    # c = 0.5 * 4 = 2: 0 -> 0, 1 -> 1, 2 -> 2 (|d| <= c is L1), 4 -> (16 + 4) / 4 = 5; mean 8/4.
    pred = PRED.clone().requires_grad_(True)
    loss = berhu_loss(pred, TARGET, ALL, c_ratio=0.5)
    assert loss.item() == pytest.approx(2.0)
    loss.backward()
    # dL/dd = sign(d) in the L1 branch, d / c = 4 / 2 in the quadratic one, all over n = 4;
    # c is detached, so the largest residual gets no extra term.
    assert pred.grad.flatten().tolist() == pytest.approx([0.0, 0.25, 0.25, 0.5])


def test_berhu_threshold_and_normaliser_use_only_masked_pixels() -> None:
    # Weights 1, 2, 1, 0: the largest residual (4) is masked, so c = 0.5 * 2 = 1;
    # 0 -> 0, 1 -> 1, 2 -> (4 + 1) / 2 = 2.5; (0*1 + 1*2 + 2.5*1) / (1 + 2 + 1) = 4.5 / 4.
    weights = _map([1.0, 2.0, 1.0, 0.0])
    assert berhu_loss(PRED, TARGET, weights, c_ratio=0.5).item() == pytest.approx(1.125)
    assert BerHuLoss(c_ratio=0.5)(PRED, TARGET, weights).item() == pytest.approx(1.125)


def test_berhu_log_space_golden_and_scale_equivariance() -> None:
    # Log residuals 0, 1, 2, 4 (pred = e^d * target): the same golden value as in metres.
    target = _map([2.0, 3.0, 0.5, 10.0])
    pred = target * _map([math.exp(d) for d in (0.0, 1.0, 2.0, 4.0)])
    assert berhu_loss(pred, target, ALL, log=True).item() == pytest.approx(14.325 / 4)
    # A global scale error s gives d = log s everywhere, so rooms and streets weigh the same:
    # c = 0.2 d and every pixel is quadratic, (d^2 + 0.04 d^2) / (0.4 d) = 2.6 d.
    near, far = _map([1.0, 2.0, 3.0, 4.0]), _map([20.0, 40.0, 60.0, 80.0])
    for target in (near, far):
        assert BerHuLoss(log=True)(1.1 * target, target, ALL).item() == pytest.approx(
            2.6 * math.log(1.1)
        )


def test_berhu_log_space_ignores_invalid_zero_depths() -> None:
    target = _map([0.0, 1.0, 2.0, 4.0])
    pred = _map([0.0, 1.0, 2.0, 4.0]).requires_grad_(True)
    valid = target > 0
    loss = berhu_loss(pred, target, valid, log=True)
    loss.backward()
    assert loss.item() == 0.0
    assert torch.isfinite(pred.grad).all()


def test_berhu_rejects_non_positive_ratio() -> None:
    with pytest.raises(ValueError, match="c_ratio"):
        berhu_loss(PRED, TARGET, ALL, c_ratio=0.0)


def _exp_map(exponents: list[float]) -> torch.Tensor:
    return _map([math.exp(e) for e in exponents])


def test_silog_golden_per_image_then_batch_mean() -> None:
    # Image 0: d = 0, 1, 2, 3 -> mean d^2 = 14/4 = 3.5, mean d = 1.5:
    #   lam 0.5: 3.5 - 0.5 * 2.25 = 2.375; lam 1: 3.5 - 2.25 = 1.25 (the variance).
    # Image 1: d = 1, 1, 1, 1 -> lam 0.5: 1 - 0.5 = 0.5; lam 1: 0.
    # Image 2: no valid pixel -> left out of the batch mean.
    pred = torch.cat([_exp_map([0, 1, 2, 3]), _exp_map([1, 1, 1, 1]), _exp_map([5, 5, 5, 5])])
    target = torch.ones_like(pred)
    mask = torch.ones_like(pred, dtype=torch.bool)
    mask[2] = False
    assert silog_loss(pred, target, mask).item() == pytest.approx((2.375 + 0.5) / 2)
    assert silog_loss(pred, target, mask, lam=1.0).item() == pytest.approx(1.25 / 2)
    assert SILogLoss(lam=1.0)(pred, target, mask).item() == pytest.approx(1.25 / 2)


def test_silog_with_lambda_one_ignores_global_scale_and_lambda_half_does_not() -> None:
    generator = torch.Generator().manual_seed(0)
    pred = torch.rand(2, 1, 5, 6, generator=generator, dtype=torch.float64) + 0.5
    target = torch.rand(2, 1, 5, 6, generator=generator, dtype=torch.float64) + 0.5
    mask = torch.rand(2, 1, 5, 6, generator=generator) > 0.3
    base = silog_loss(pred, target, mask, lam=1.0)
    assert silog_loss(3.7 * pred, target, mask, lam=1.0).item() == pytest.approx(base.item())
    half = silog_loss(pred, target, mask, lam=0.5).item()
    assert silog_loss(3.7 * pred, target, mask, lam=0.5).item() != pytest.approx(half)


def test_silog_clamps_zero_predictions_instead_of_nan() -> None:
    pred = _map([0.0, 1.0, 1.0, 1.0]).requires_grad_(True)
    loss = silog_loss(pred, torch.ones_like(TARGET), ALL, eps=1e-3)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(pred.grad).all()


def test_silog_rejects_lambda_out_of_range() -> None:
    with pytest.raises(ValueError, match="lam"):
        silog_loss(PRED, TARGET, ALL, lam=1.5)
