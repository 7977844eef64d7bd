"""The dataset contract: what DepthDataset makes of a raw loader sample."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from monocle.data import DatasetError, DepthDataset, default_intrinsics


class RawList(DepthDataset):
    name = "rawlist"
    max_depth = 10.0

    def __init__(self, raws, transform=None):
        super().__init__(transform)
        self.raws = raws

    def __len__(self):
        return len(self.raws)

    def load_sample(self, index):
        return dict(self.raws[index])


def raw_sample(height=2, width=3, **overrides):
    raw = {
        "image": np.full((height, width, 3), 255, dtype=np.uint8),
        "depth": np.ones((height, width), dtype=np.float32),
        "K": np.array([[5.0, 0, 1.0], [0, 5.0, 0.5], [0, 0, 1]]),
        "id": "a",
        "files": {"image": "img/a.png", "depth": "dep/a.png"},
    }
    raw.update(overrides)
    return raw


def test_contract_types_shapes_and_values():
    image = np.zeros((2, 3, 3), dtype=np.uint8)
    image[0, 1] = (255, 51, 0)
    sample = RawList([raw_sample(image=image)])[0]
    assert sample["image"].dtype == torch.float32 and sample["image"].shape == (3, 2, 3)
    assert sample["image"][:, 0, 1].tolist() == pytest.approx([1.0, 0.2, 0.0])
    assert sample["depth"].shape == (1, 2, 3) and sample["depth"].dtype == torch.float32
    assert sample["valid"].dtype == torch.bool and bool(sample["valid"].all())
    assert sample["K"].dtype == torch.float32 and sample["K"][0, 0] == 5.0
    assert sample["meta"] == {
        "dataset": "rawlist",
        "id": "a",
        "depth_kind": "metric",
        "max_depth": 10.0,
        "K_source": "calib",
    }


def test_invalid_depth_is_zero_and_masked():
    depth = np.array([[np.nan, np.inf, -1.0], [0.0, 10.5, 2.5]], dtype=np.float32)
    sample = RawList([raw_sample(depth=depth)])[0]
    assert sample["valid"][0].tolist() == [[False, False, False], [False, False, True]]
    assert sample["depth"][0].tolist() == [[0.0, 0.0, 0.0], [0.0, 0.0, 2.5]]


def test_loader_valid_mask_and_per_sample_cap_are_respected():
    depth = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=np.float32)
    valid = np.array([[True, False, True], [True, True, True]])
    sample = RawList([raw_sample(depth=depth, valid=valid, max_depth=4.0)])[0]
    assert sample["valid"][0].tolist() == [[True, False, True], [True, False, False]]
    assert sample["meta"]["max_depth"] == 4.0


def test_missing_K_gets_documented_default_and_is_flagged():
    sample = RawList([raw_sample(height=4, width=6, K=None)])[0]
    assert sample["K"].tolist() == [[6.0, 0.0, 2.5], [0.0, 6.0, 1.5], [0.0, 0.0, 1.0]]
    assert sample["meta"]["K_source"] == "default"
    assert default_intrinsics(4, 6).tolist() == sample["K"].tolist()


def test_depth_size_mismatch_names_both_files_and_the_fix():
    dataset = RawList([raw_sample(depth=np.ones((3, 3), dtype=np.float32))])
    with pytest.raises(DatasetError) as caught:
        dataset[0]
    message = str(caught.value)
    assert "dep/a.png is 3x3" in message and "img/a.png is 3x2" in message
    assert "re-export" in message
    assert caught.value.path == "dep/a.png"


def test_extras_size_mismatch_is_refused():
    raw = raw_sample(segmentation=np.zeros((2, 4), dtype=np.uint8))
    with pytest.raises(DatasetError, match=r"segmentation"):
        RawList([raw])[0]


def test_transform_is_applied_and_index_is_checked():
    def halve(sample):
        return {**sample, "depth": sample["depth"] / 2}

    dataset = RawList([raw_sample()], transform=halve)
    assert float(dataset[0]["depth"].max()) == 0.5
    with pytest.raises(IndexError):
        dataset[1]


def test_collates_into_a_batch():
    dataset = RawList([raw_sample(), raw_sample(id="b")])
    batch = torch.utils.data.default_collate([dataset[0], dataset[1]])
    assert batch["image"].shape == (2, 3, 2, 3)
    assert batch["meta"]["id"] == ["a", "b"]
    assert batch["meta"]["max_depth"].tolist() == [10.0, 10.0]


def test_unbounded_range_keeps_large_depth():
    class Unbounded(RawList):
        max_depth = math.inf

    depth = np.full((2, 3), 1e4, dtype=np.float32)
    assert bool(Unbounded([raw_sample(depth=depth)])[0]["valid"].all())
