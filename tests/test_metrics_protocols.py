"""Evaluation protocols: published crops at their native sizes, rounding, ranges, lookup."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from monocle.metrics import PROTOCOLS, Protocol, get_protocol


def _window(mask: torch.Tensor) -> tuple[int, int, int, int]:
    rows = torch.nonzero(mask.any(dim=1)).flatten()
    cols = torch.nonzero(mask.any(dim=0)).flatten()
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def test_nyu_eigen_crop_is_exactly_the_published_window_at_480x640() -> None:
    protocol = get_protocol("nyu")
    mask = protocol.mask(torch.ones(480, 640))
    assert _window(mask) == (45, 471, 41, 601)
    assert int(mask.sum()) == (471 - 45) * (601 - 41)
    assert protocol.crop_slices(480, 640) == (slice(45, 471), slice(41, 601))


def test_nyu_crop_scales_with_truncation() -> None:
    # at 240x320: rows int(45/480*240) = int(22.5) = 22, int(471/480*240) = int(235.5) = 235;
    # cols int(41/640*320) = int(20.5) = 20, int(601/640*320) = int(300.5) = 300
    assert get_protocol("nyu").crop_slices(240, 320) == (slice(22, 235), slice(20, 300))


def test_kitti_garg_crop_at_375x1242_matches_int_of_the_fractions() -> None:
    # int() truncation, as monodepth2 writes it:
    # rows int(0.40810811 * 375) = int(153.04) = 153, int(0.99189189 * 375) = int(371.96) = 371
    # cols int(0.03594771 * 1242) = int(44.65) = 44, int(0.96405229 * 1242) = int(1197.35) = 1197
    mask = get_protocol("kitti_garg").mask(torch.full((375, 1242), 20.0))
    assert _window(mask) == (153, 371, 44, 1197)
    assert _window(mask) == (
        int(0.40810811 * 375),
        int(0.99189189 * 375),
        int(0.03594771 * 1242),
        int(0.96405229 * 1242),
    )


def test_kitti_eigen_crop_at_375x1242() -> None:
    # rows int(0.3324324 * 375) = int(124.66) = 124, int(0.91351351 * 375) = int(342.57) = 342
    mask = get_protocol("kitti_eigen").mask(torch.full((375, 1242), 20.0))
    assert _window(mask) == (124, 342, 44, 1197)


def test_ranges_are_strict_and_combine_with_valid() -> None:
    gt = torch.tensor([[1e-3, 5.0, 10.0, 9.999, 0.0, 80.0, 79.0, 5.0]])
    valid = torch.tensor([[True] * 7 + [False]])
    assert get_protocol("synth").mask(gt, valid).tolist() == [
        [False, True, True, True, False, False, True, False]
    ]
    # nyu's crop would remove a 1-row image entirely; a custom protocol keeps just the range
    assert Protocol.custom(1e-3, 10.0).mask(gt).tolist() == [
        [False, True, False, True, False, False, False, True]
    ]


def test_mask_keeps_channel_shape() -> None:
    gt = torch.ones(1, 480, 640)
    mask = get_protocol("nyu").mask(gt)
    assert mask.shape == (1, 480, 640)
    assert torch.equal(mask[0], get_protocol("nyu").mask(gt[0]))


def test_clamp_prediction_uses_the_range() -> None:
    pred = torch.tensor([0.0, 5.0, 100.0], dtype=torch.float64)
    assert get_protocol("nyu").clamp_prediction(pred).tolist() == [1e-3, 5.0, 10.0]


def test_lookup_custom_and_validation() -> None:
    assert set(PROTOCOLS) == {"nyu", "kitti_garg", "kitti_eigen", "synth"}
    assert get_protocol("synth").crop is None and get_protocol("synth").max_depth == 80.0
    with pytest.raises(ValueError, match=r"unknown evaluation protocol 'nyuv2'.*kitti_garg"):
        get_protocol("nyuv2")
    custom = Protocol.custom(0.5, 20.0)
    assert (custom.name, custom.min_depth, custom.max_depth, custom.crop) == (
        "custom",
        0.5,
        20.0,
        None,
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        custom.max_depth = 30.0  # type: ignore[misc]
    with pytest.raises(ValueError, match="min_depth < max_depth"):
        Protocol.custom(10.0, 1.0)
    with pytest.raises(ValueError, match="top < bottom"):
        Protocol("bad", 0.0, 1.0, (0.5, 0.4, 0.0, 1.0))
