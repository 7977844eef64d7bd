"""Properties every loss shares: zero at the ground truth, all-invalid masks, gradcheck, errors."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from torch import Tensor

from monocle import losses
from monocle.losses import LOSSES

THRESHOLDS = torch.tensor([0.5, 1.0, 2.0, 4.0], dtype=torch.float64)
K = torch.tensor([[20.0, 0.0, 3.0], [0.0, 20.0, 2.5], [0.0, 0.0, 1.0]], dtype=torch.float64)

LossFn = Callable[[Tensor, Tensor, Tensor], Tensor]

DEPTH_LOSSES: dict[str, LossFn] = {
    "berhu": losses.berhu_loss,
    "silog": losses.silog_loss,
    "silog_lambda_1": lambda p, t, m: losses.silog_loss(p, t, m, lam=1.0),
    "scale_invariant_gradient": losses.scale_invariant_gradient_loss,
    "gradient_matching": losses.gradient_matching_loss,
    "ssi": losses.ssi_loss,
    "ssi_trimmed": lambda p, t, m: losses.ssi_loss(p, t, m, trim=0.2),
    "normal_camera": lambda p, t, m: losses.normal_loss(p, t, m, K=K),
    "normal_image": lambda p, t, m: losses.normal_loss(p, t, m, space="image"),
    "gfrl": lambda p, t, m: losses.gfrl_loss(
        p, t, m, grid=(3, 3), generator=torch.Generator().manual_seed(0)
    ),
}
# GFRL's and the ordinal loss's minimum is not "pred == target"; their files test the minimum.
ZERO_AT_TARGET = [name for name in DEPTH_LOSSES if name != "gfrl"]
# BerHu's threshold c is detached (FCRN), so finite differences see it move: checked by hand.
GRADCHECKED = [name for name in DEPTH_LOSSES if name != "berhu"]


def _maps(seed: int = 0, shape: tuple[int, ...] = (2, 1, 6, 7)) -> tuple[Tensor, Tensor, Tensor]:
    generator = torch.Generator().manual_seed(seed)
    pred = torch.rand(shape, generator=generator, dtype=torch.float64) + 0.5
    target = torch.rand(shape, generator=generator, dtype=torch.float64) + 0.5
    mask = torch.rand(shape, generator=generator) > 0.15
    return pred, target, mask


def _ordinal(logits: Tensor, target: Tensor, mask: Tensor) -> Tensor:
    return losses.ordinal_loss(logits, target, mask, thresholds=THRESHOLDS)


def _ordinal_logits(shape: tuple[int, ...] = (2, 6, 6, 7)) -> Tensor:
    return torch.randn(shape, generator=torch.Generator().manual_seed(0)).double()


@pytest.mark.parametrize("name", ZERO_AT_TARGET)
def test_zero_when_prediction_equals_ground_truth(name: str) -> None:
    _, target, mask = _maps()
    pred = target.clone()
    pred[~mask] = 7.0  # what the prediction does at invalid pixels must not matter
    assert DEPTH_LOSSES[name](pred, target, mask).item() == pytest.approx(0.0, abs=1e-10)
    noisy = target * (1 + 0.3 * torch.rand(target.shape, dtype=torch.float64))
    assert DEPTH_LOSSES[name](noisy, target, mask).item() > 1e-4


@pytest.mark.parametrize("name", list(DEPTH_LOSSES))
def test_all_invalid_mask_gives_zero_and_finite_gradients(name: str) -> None:
    pred, target, _ = _maps()
    target = torch.zeros_like(target)  # invalid ground truth is 0 by the data contract
    pred = torch.zeros_like(pred).requires_grad_(True)
    for mask in (torch.zeros_like(pred, dtype=torch.bool), torch.zeros_like(pred)):
        loss = DEPTH_LOSSES[name](pred, target, mask)
        (grad,) = torch.autograd.grad(loss, pred)
        assert loss.item() == 0.0 and torch.isfinite(grad).all() and (grad == 0).all()


@pytest.mark.parametrize("name", list(DEPTH_LOSSES))
def test_zero_ground_truth_at_invalid_pixels_keeps_gradients_finite(name: str) -> None:
    pred, target, mask = _maps()
    target = torch.where(mask, target, 0.0)
    pred = torch.where(mask, pred, 0.0).requires_grad_(True)
    loss = DEPTH_LOSSES[name](pred, target, mask)
    (grad,) = torch.autograd.grad(loss, pred)
    assert torch.isfinite(loss) and torch.isfinite(grad).all()
    assert (grad[~mask] == 0).all()


def test_ordinal_all_invalid_and_gradcheck() -> None:
    logits = _ordinal_logits().requires_grad_(True)
    target = torch.zeros(2, 1, 6, 7, dtype=torch.float64)
    loss = _ordinal(logits, target, torch.zeros_like(target, dtype=torch.bool))
    (grad,) = torch.autograd.grad(loss, logits)
    assert loss.item() == 0.0 and (grad == 0).all()
    # Small maps keep the finite differences (one forward per element) fast.
    _, target, mask = _maps(shape=(1, 1, 3, 4))
    small = _ordinal_logits((1, 6, 3, 4)).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda x: _ordinal(x, target, mask), (small,))


@pytest.mark.parametrize("name", GRADCHECKED)
def test_gradcheck_double(name: str) -> None:
    pred, target, mask = _maps(3, shape=(2, 1, 4, 5))
    pred.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda p: DEPTH_LOSSES[name](p, target, mask), (pred,))


def test_float_weights_scale_pixels_like_repetition() -> None:
    # A weight of 2 on a pixel equals counting it twice: compare 1x3 weighted to 1x4 repeated.
    pred = torch.tensor([1.0, 2.0, 4.0], dtype=torch.float64).view(1, 1, 1, 3)
    target = torch.tensor([1.5, 1.0, 3.0], dtype=torch.float64).view(1, 1, 1, 3)
    weights = torch.tensor([1.0, 2.0, 1.0], dtype=torch.float64).view(1, 1, 1, 3)
    repeated = [0, 1, 1, 2]
    for loss in (losses.berhu_loss, losses.silog_loss, losses.ssi_loss):
        weighted = loss(pred, target, weights)
        plain = loss(pred[..., repeated], target[..., repeated], torch.ones(1, 1, 1, 4) > 0)
        assert weighted.item() == pytest.approx(plain.item())


def test_registry_names_module_twins_that_match_the_functions() -> None:
    assert set(LOSSES) == {
        "berhu",
        "silog",
        "scale_invariant_gradient",
        "gradient_matching",
        "ssi",
        "normal",
        "gfrl",
        "ordinal",
    }
    assert all(issubclass(cls, torch.nn.Module) for cls in LOSSES.values())
    pred, target, mask = _maps()
    for name in ("berhu", "silog", "scale_invariant_gradient", "gradient_matching", "ssi"):
        module_value = LOSSES[name]()(pred, target, mask)
        assert module_value.item() == pytest.approx(DEPTH_LOSSES[name](pred, target, mask).item())


@pytest.mark.parametrize("name", list(DEPTH_LOSSES))
def test_bad_shapes_are_clear_errors(name: str) -> None:
    pred, target, mask = _maps()
    with pytest.raises(ValueError, match=r"pred has shape \(2,6,7\); expected \(B,1,H,W\)"):
        DEPTH_LOSSES[name](pred[:, 0], target, mask)
    with pytest.raises(ValueError, match="mask has shape"):
        DEPTH_LOSSES[name](pred, target, mask[..., :5])
    with pytest.raises(ValueError, match="but target has"):
        DEPTH_LOSSES[name](pred, target[..., :5], mask)
    with pytest.raises(ValueError, match="bool or float"):
        DEPTH_LOSSES[name](pred, target, mask.long())
