"""MiDaS SSI and gradient matching, SANet scale-invariant gradient: golden values, invariances."""

from __future__ import annotations

import pytest
import torch

from monocle.losses import (
    GradientMatchingLoss,
    ScaleInvariantGradientLoss,
    SSILoss,
    gradient_matching_loss,
    scale_and_shift,
    scale_invariant_gradient_loss,
    ssi_loss,
)


def _row(values: list[float]) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float64).view(1, 1, 1, -1)


def _random_maps(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    pred = torch.rand(2, 1, 9, 11, generator=generator, dtype=torch.float64) + 0.5
    target = torch.rand(2, 1, 9, 11, generator=generator, dtype=torch.float64) + 0.5
    mask = torch.rand(2, 1, 9, 11, generator=generator) > 0.2
    return pred, target, mask


def test_scale_and_shift_golden() -> None:
    # p = 0,1,2,3 and t = 0,1,2,4: means 1.5, 1.75; cov = (2.625+0.375+0.125+3.375)/4 = 1.625;
    # var = 5/4 = 1.25 -> s = 1.3, b = 1.75 - 1.3 * 1.5 = -0.2.
    pred, target = _row([0, 1, 2, 3]), _row([0, 1, 2, 4])
    scale, shift = scale_and_shift(pred, target, torch.ones_like(pred))
    assert scale.shape == shift.shape == (1, 1, 1, 1)
    assert (scale.item(), shift.item()) == pytest.approx((1.3, -0.2))


def test_scale_and_shift_degenerate_cases() -> None:
    pred = torch.cat([_row([2, 2, 2, 2]), _row([1, 2, 3, 4])])
    target = torch.cat([_row([1, 2, 3, 6]), _row([5, 5, 5, 5])])
    weights = torch.ones_like(pred)
    weights[1] = 0
    scale, shift = scale_and_shift(pred, target, weights)
    # A constant prediction: s = 0 and b = mean target = 3; no valid pixel: s = b = 0.
    assert scale.flatten().tolist() == pytest.approx([0.0, 0.0])
    assert shift.flatten().tolist() == pytest.approx([3.0, 0.0])


def test_ssi_golden_plain_and_trimmed() -> None:
    # Aligned prediction -0.2, 1.1, 2.4, 3.7 against 0, 1, 2, 4: |r| = 0.2, 0.1, 0.4, 0.3.
    pred, target = _row([0, 1, 2, 3]), _row([0, 1, 2, 4])
    mask = torch.ones_like(pred, dtype=torch.bool)
    assert ssi_loss(pred, target, mask).item() == pytest.approx(1.0 / 4)
    # trim 0.25 keeps floor(0.75 * 4) = 3 smallest: (0.1 + 0.2 + 0.3) / 3.
    assert ssi_loss(pred, target, mask, trim=0.25).item() == pytest.approx(0.2)
    assert SSILoss(trim=0.25)(pred, target, mask).item() == pytest.approx(0.2)


def test_ssi_trimming_ignores_invalid_pixels() -> None:
    # The 5th pixel is invalid and would be the worst residual; valid ones as above.
    pred, target = _row([0, 1, 2, 3, 100]), _row([0, 1, 2, 4, 0])
    mask = torch.tensor([True, True, True, True, False]).view(1, 1, 1, 5)
    assert ssi_loss(pred, target, mask, trim=0.25).item() == pytest.approx(0.2)


@pytest.mark.parametrize(("scale", "shift"), [(3.0, -7.0), (0.01, 2.0), (-2.5, 0.5)])
def test_ssi_is_scale_and_shift_invariant(scale: float, shift: float) -> None:
    pred, target, mask = _random_maps()
    base = ssi_loss(pred, target, mask).item()
    assert base > 0.05
    assert ssi_loss(scale * pred + shift, target, mask).item() == pytest.approx(base, rel=1e-9)
    assert gradient_matching_loss(scale * pred + shift, target, mask).item() == pytest.approx(
        gradient_matching_loss(pred, target, mask).item(), rel=1e-9
    )


def test_ssi_is_zero_for_an_affine_copy_of_the_target() -> None:
    _, target, mask = _random_maps()
    assert ssi_loss(0.5 * target + 3.0, target, mask).item() == pytest.approx(0.0, abs=1e-12)


def test_gradient_matching_golden_without_alignment() -> None:
    # R = pred - target = 0, 1, 4. Scale 0: (|1-0| + |4-1|) / 3 pixels = 4/3.
    # Scale 1 (stride 2): 0, 4 -> 4 / 2 pixels = 2. Scales 2, 3: one pixel, no pair -> 0.
    pred, target = _row([0, 1, 4]), _row([0, 0, 0])
    mask = torch.ones_like(pred, dtype=torch.bool)
    assert gradient_matching_loss(pred, target, mask, align=False).item() == pytest.approx(10 / 3)
    assert GradientMatchingLoss(scales=1, align=False)(pred, target, mask).item() == pytest.approx(
        4 / 3
    )


def test_gradient_matching_skips_pairs_with_an_invalid_pixel() -> None:
    pred, target = _row([0, 1, 4]), _row([0, 0, 0])
    mask = torch.tensor([True, True, False]).view(1, 1, 1, 3)
    # Pixel 2 invalid. Scale 0: only the pair (0,1) counts, |1 - 0| / 2 valid pixels = 0.5;
    # scale 1 sees pixels 0 and 2, an invalid pair: 0 / 1.
    assert gradient_matching_loss(pred, target, mask, align=False).item() == pytest.approx(0.5)


def test_scale_invariant_gradient_golden() -> None:
    # g_1 of pred 1, 3, 1: (3-1)/(3+1) = 0.5, (1-3)/(1+3) = -0.5; target's are 0 -> L_1 = 0.5.
    # g_2: (1-1)/(1+1) = 0 -> L_2 = 0. Spacing 4 has no pair in a 1x3 map and is skipped.
    pred, target = _row([1, 3, 1]), _row([1, 1, 1])
    mask = torch.ones_like(pred, dtype=torch.bool)
    loss = scale_invariant_gradient_loss(pred, target, mask, spacings=(1, 2, 4))
    assert loss.item() == pytest.approx(0.25)
    module = ScaleInvariantGradientLoss(spacings=(1,))
    assert module(pred, target, mask).item() == pytest.approx(0.5)


def test_scale_invariant_gradient_uses_both_directions() -> None:
    # 2x2: pred rows (1, 3), (1, 1); target all 1. Spacing 1 pairs: x: 0.5, 0; y: 0, -0.5 -> 1/4.
    pred = torch.tensor([[1.0, 3.0], [1.0, 1.0]], dtype=torch.float64).view(1, 1, 2, 2)
    mask = torch.ones_like(pred, dtype=torch.bool)
    loss = scale_invariant_gradient_loss(pred, torch.ones_like(pred), mask, spacings=(1,))
    assert loss.item() == pytest.approx(0.25)


def test_scale_invariant_gradient_ignores_global_scale() -> None:
    pred, target, mask = _random_maps(1)
    base = scale_invariant_gradient_loss(pred, target, mask).item()
    assert base > 0.01
    scaled = scale_invariant_gradient_loss(4.5 * pred, target, mask).item()
    assert scaled == pytest.approx(base, rel=1e-6)
    assert scale_invariant_gradient_loss(pred, 0.2 * target, mask).item() == pytest.approx(
        base, rel=1e-6
    )


def test_scale_invariant_gradient_rejects_bad_spacings() -> None:
    pred, target, mask = _random_maps()
    with pytest.raises(ValueError, match="spacings"):
        scale_invariant_gradient_loss(pred, target, mask, spacings=(0, 2))
