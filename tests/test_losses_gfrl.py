"""GFRL: block sampling, pair labels and focal weights on a hand-made 2x2-block example."""

from __future__ import annotations

import math

import pytest
import torch

from monocle.losses import GFRLoss, gfrl_loss, gfrl_pairs, sample_block_pixels

# 2x2 map with a 2x2 grid: every block is one pixel, so the samples are fixed (row-major).
TARGET = torch.tensor([[1.0, 1.01], [2.0, 0.5]], dtype=torch.float64).view(1, 1, 2, 2)
PRED = torch.tensor([[0.0, 0.5], [1.0, -1.0]], dtype=torch.float64).view(1, 1, 2, 2)
# r_ij: +1 if z_i > 1.02 z_j, -1 if z_j > 1.02 z_i, else 0. 1 vs 1.01 is within 2% -> 0.
LABELS = [
    [0, 0, -1, 1],
    [0, 0, -1, 1],
    [1, 1, 0, 1],
    [-1, -1, -1, 0],
]


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _plain_reference(pred: list[float], target: list[float], valid: list[bool]) -> float:
    """Slow, literal GFRL over all ordered sample pairs."""
    total, count = 0.0, 0.0
    for i in range(len(pred)):
        for j in range(len(pred)):
            if not (valid[i] and valid[j]):
                continue
            delta = pred[i] - pred[j]
            r = 1 if target[i] > 1.02 * target[j] else -1 if target[j] > 1.02 * target[i] else 0
            pair = math.log1p(math.exp(-r * delta)) if r else delta**2
            total += (1 - _sigmoid(r * delta)) ** 2 * pair
            count += 1
    return total / count


def test_pair_labels_focal_weights_and_pair_losses_by_hand() -> None:
    pairs = gfrl_pairs(PRED.flatten(1), TARGET.flatten(1), torch.ones(1, 4, dtype=torch.float64))
    assert pairs.labels[0].tolist() == LABELS
    focal, loss = pairs.focal[0], pairs.pair_loss[0]
    # (2,3): r = +1, delta = 1 - (-1) = 2: (1 - sigmoid(2))^2 = 0.119203^2 = 0.0142094;
    # loss log(1 + e^-2) = 0.126928.
    assert focal[2, 3].item() == pytest.approx(0.0142094, abs=1e-7)
    assert loss[2, 3].item() == pytest.approx(0.126928, abs=1e-6)
    # (0,2): r = -1, delta = -1: (1 - sigmoid(1))^2 = 0.268941^2 = 0.0723295; log(1 + e^-1).
    assert focal[0, 2].item() == pytest.approx(0.0723295, abs=1e-7)
    assert loss[0, 2].item() == pytest.approx(0.3132617, abs=1e-7)
    # (0,1): r = 0: focal weight (1 - sigmoid(0))^2 = 0.25 literally; loss delta^2 = 0.25.
    assert focal[0, 1].item() == pytest.approx(0.25)
    assert loss[0, 1].item() == pytest.approx(0.25)
    # (3,0): r = -1, delta = -1 - 0 = -1, prediction agrees: small weight, small loss.
    assert focal[3, 0].item() == pytest.approx((1 - _sigmoid(1.0)) ** 2)
    # Symmetry: swapping i and j flips r and delta, so weights and losses agree.
    assert torch.allclose(focal, focal.T) and torch.allclose(loss, loss.T)
    # gamma is the focal exponent.
    gamma_one = gfrl_pairs(PRED.flatten(1), TARGET.flatten(1), torch.ones(1, 4), gamma=1.0)
    assert gamma_one.focal[0, 0, 1].item() == pytest.approx(0.5)


def test_loss_matches_the_plain_reference_with_and_without_an_invalid_sample() -> None:
    pred, target = PRED.flatten().tolist(), TARGET.flatten().tolist()
    mask = torch.ones_like(PRED, dtype=torch.bool)
    expected = _plain_reference(pred, target, [True] * 4)
    assert gfrl_loss(PRED, TARGET, mask, grid=(2, 2)).item() == pytest.approx(expected)
    mask[0, 0, 1, 1] = False
    expected = _plain_reference(pred, target, [True, True, True, False])
    assert gfrl_loss(PRED, TARGET, mask, grid=(2, 2)).item() == pytest.approx(expected)


def test_one_sample_inside_each_block_and_seeded_samples_repeat() -> None:
    index = sample_block_pixels(3, 7, 9, (2, 3), generator=torch.Generator().manual_seed(0))
    assert index.shape == (3, 6)
    rows, cols = index // 9, index % 9
    # Rows split at floor(a * 7 / 2) = 0, 3, 7; columns at 0, 3, 6, 9.
    block_row = torch.tensor([0, 0, 0, 1, 1, 1])
    block_col = torch.tensor([0, 1, 2, 0, 1, 2])
    row_edges, col_edges = torch.tensor([0, 3, 7]), torch.tensor([0, 3, 6, 9])
    assert ((rows >= row_edges[block_row]) & (rows < row_edges[block_row + 1])).all()
    assert ((cols >= col_edges[block_col]) & (cols < col_edges[block_col + 1])).all()
    again = sample_block_pixels(3, 7, 9, (2, 3), generator=torch.Generator().manual_seed(0))
    assert torch.equal(index, again)
    # Over many draws every pixel of a 3x4 block shows up.
    many = sample_block_pixels(2000, 6, 8, (2, 2), generator=torch.Generator().manual_seed(1))
    assert set(many[:, 0].tolist()) == {r * 8 + c for r in range(3) for c in range(4)}


def test_module_with_a_seeded_generator_is_reproducible() -> None:
    generator = torch.Generator().manual_seed(0)
    pred = torch.rand(2, 1, 32, 32, generator=generator)
    target = torch.rand(2, 1, 32, 32, generator=generator) + 0.5
    mask = torch.ones_like(pred, dtype=torch.bool)
    first = GFRLoss(generator=torch.Generator().manual_seed(7))(pred, target, mask)
    second = GFRLoss(generator=torch.Generator().manual_seed(7))(pred, target, mask)
    assert first.item() == second.item()


def test_minimum_is_approached_when_the_prediction_orders_firmly() -> None:
    # Depths are equal or differ by far more than 2%: equal pairs get delta 0 and the others a
    # large margin once the prediction is a large multiple of the ground truth.
    target = torch.tensor([1.0, 2.0, 4.0, 2.0], dtype=torch.float64).view(1, 1, 2, 2)
    mask = torch.ones_like(target, dtype=torch.bool)
    assert gfrl_loss(target, target, mask, grid=(2, 2)).item() > 1e-3
    assert gfrl_loss(60 * target, target, mask, grid=(2, 2)).item() < 1e-20


def test_grid_larger_than_the_map_is_a_clear_error() -> None:
    depth = torch.ones(1, 1, 8, 8)
    with pytest.raises(ValueError, match="16x16 block grid does not fit a 8x8 map"):
        gfrl_loss(depth, depth, depth > 0)
