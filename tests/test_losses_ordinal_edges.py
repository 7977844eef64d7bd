"""DORN ordinal loss (labels, golden value, channel layout) and edge-aware weights."""

from __future__ import annotations

import math

import pytest
import torch

from monocle.losses import OrdinalLoss, edge_weights, ordinal_labels, ordinal_loss
from monocle.models.blocks.dorn import decode_ordinal, sid_thresholds

THRESHOLDS = torch.tensor([1.0, 2.0, 4.0, 8.0])  # K = 3 bins: [1,2), [2,4), [4,8)


def test_ordinal_labels_bin_edges_and_out_of_range_depths() -> None:
    depth = torch.tensor([0.5, 1.0, 1.99, 2.0, 3.9, 4.0, 7.9, 8.0, 20.0]).view(1, 1, 1, -1)
    assert ordinal_labels(depth, THRESHOLDS).flatten().tolist() == [0, 0, 0, 1, 1, 2, 2, 2, 2]


def test_ordinal_loss_golden() -> None:
    # Two bins, edges 1, 2, 4; depth 3 -> l = 1. Channels (0,1) give P^0 = sigmoid(x1 - x0) =
    # sigmoid(0) = 1/2 (k < l: log P^0); channels (2,3) give P^1 = sigmoid(ln 3) = 3/4
    # (k >= l: log(1 - P^1) = log 1/4). L = -(log 1/2 + log 1/4) = log 8.
    logits = torch.tensor([0.0, 0.0, 0.0, math.log(3.0)]).view(1, 4, 1, 1)
    target = torch.full((1, 1, 1, 1), 3.0)
    mask = torch.ones_like(target, dtype=torch.bool)
    loss = ordinal_loss(logits, target, mask, thresholds=torch.tensor([1.0, 2.0, 4.0]))
    assert loss.item() == pytest.approx(math.log(8.0))


def test_confident_correct_logits_reach_the_minimum_and_decode_to_the_label() -> None:
    target = torch.tensor([1.5, 3.0, 5.0, 100.0]).view(1, 1, 2, 2)
    labels = ordinal_labels(target, THRESHOLDS)
    beyond = torch.arange(3).view(1, 3, 1, 1) < labels  # (1,K,2,2)
    margin = torch.where(beyond, 40.0, -40.0)
    logits = torch.stack([torch.zeros_like(margin), margin], dim=2).flatten(1, 2)  # (1,2K,2,2)
    mask = torch.ones_like(target, dtype=torch.bool)
    assert ordinal_loss(logits, target, mask, thresholds=THRESHOLDS).item() < 1e-15
    # The models' DORN decoding reads the same layout: it returns the labelled bins' centres.
    centres = 0.5 * (THRESHOLDS[:-1] + THRESHOLDS[1:])
    assert torch.equal(decode_ordinal(logits, THRESHOLDS), centres[labels])
    wrong = ordinal_loss(-logits, target, mask, thresholds=THRESHOLDS)
    assert wrong.item() > 40.0


def test_ordinal_loss_rejects_logits_that_do_not_match_the_bins() -> None:
    target = torch.ones(2, 1, 3, 3)
    with pytest.raises(ValueError, match=r"expected \(2,6,3,3\) for 3 bins"):
        ordinal_loss(torch.zeros(2, 5, 3, 3), target, target > 0, thresholds=THRESHOLDS)


def test_ordinal_module_uses_the_models_sid_thresholds() -> None:
    thresholds = sid_thresholds(1.0, 10.0, 4)
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(2, 8, 5, 5, generator=generator)
    target = torch.rand(2, 1, 5, 5, generator=generator) * 9 + 1
    mask = torch.ones_like(target, dtype=torch.bool)
    expected = ordinal_loss(logits, target, mask, thresholds=thresholds)
    module = OrdinalLoss(alpha=1.0, beta=10.0, num_bins=4)
    assert module(logits, target, mask).item() == pytest.approx(expected.item())


def _step(height: float) -> torch.Tensor:
    depth = torch.full((1, 1, 60, 80), 2.0)
    depth[..., 40:] = 2.0 + height
    return depth


def test_edge_weights_mark_a_depth_step_and_dilate_it() -> None:
    depth = _step(2.0)
    valid = torch.ones_like(depth, dtype=torch.bool)
    # The step lies between columns 39 and 40; Canny keeps column 39 on every row.
    thin = edge_weights(depth, valid, dilate=1)
    assert set(thin.unique().tolist()) == {1.0, 5.0}
    assert (thin[0, 0] > 1).nonzero()[:, 1].unique().tolist() == [39]
    assert (thin[0, 0] > 1).sum() == 60
    wide = edge_weights(depth, valid)  # 5x5 box: columns 37..41
    assert (wide[0, 0] > 1).nonzero()[:, 1].unique().tolist() == [37, 38, 39, 40, 41]
    assert edge_weights(depth, valid, factor=2.0).max().item() == 3.0


def test_edge_thresholds_are_in_depth_units() -> None:
    valid = torch.ones(1, 1, 60, 80, dtype=torch.bool)
    # Sigma-3 smoothing turns a step A into a Sobel peak of about 8 A / (3 sqrt(2 pi)) = 1.06 A:
    # 0.05 m stays under the 0.1 threshold, 0.5 m clears 0.2.
    assert (edge_weights(_step(0.05), valid) == 1).all()
    assert (edge_weights(_step(0.5), valid) > 1).any()
    # A relative map in other units needs thresholds in its units.
    assert (edge_weights(_step(0.05), valid, low=0.01, high=0.02) > 1).any()


def test_invalid_holes_do_not_make_edges() -> None:
    depth = torch.full((1, 1, 60, 80), 3.0)
    depth[..., 20:30, 30:45] = 0.0
    valid = depth > 0
    assert (edge_weights(depth, valid) == 1).all()
    # Read as valid, the hole is a 3 m step.
    assert (edge_weights(depth, torch.ones_like(valid)) > 1).any()


def test_edge_weights_follow_depth_dtype_and_carry_no_gradient() -> None:
    depth = _step(1.0).double().requires_grad_(True)
    weights = edge_weights(depth, torch.ones_like(depth, dtype=torch.bool))
    assert weights.dtype == torch.float64 and weights.shape == depth.shape
    assert not weights.requires_grad
    with pytest.raises(ValueError, match="low <= high"):
        edge_weights(depth, depth > 0, low=0.3, high=0.2)
