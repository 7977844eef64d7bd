"""Multi-dataset mixing: weighted shares, incremental schedule, DDP shards."""

from __future__ import annotations

from collections import Counter

import pytest
from torch.utils.data import Dataset

from monocle.data import BalancedSampler, DatasetError, IncrementalSchedule, MixedDataset


class Labelled(Dataset):
    def __init__(self, label, size):
        self.label, self.size = label, size

    def __len__(self):
        return self.size

    def __getitem__(self, index):
        return (self.label, index)


def shares(sampler, names_by_index):
    counts = Counter(names_by_index(index) for index in sampler)
    total = sum(counts.values())
    return {name: count / total for name, count in counts.items()}


def test_equal_weights_give_equal_shares_regardless_of_size():
    mixed = MixedDataset({"small": Labelled("small", 10), "big": Labelled("big", 5000)})
    sampler = BalancedSampler(mixed.sizes, num_samples=20000, seed=1)
    got = shares(sampler, mixed.source_of)
    assert got["small"] == pytest.approx(0.5, abs=0.02)
    assert got["big"] == pytest.approx(0.5, abs=0.02)


def test_weighted_shares_and_global_indices_reach_the_right_dataset():
    mixed = MixedDataset({"a": Labelled("a", 30), "b": Labelled("b", 7), "c": Labelled("c", 100)})
    sampler = BalancedSampler(mixed.sizes, weights={"a": 1, "b": 3, "c": 6}, num_samples=20000)
    got = shares(sampler, lambda index: mixed[index][0])
    assert got == pytest.approx({"a": 0.1, "b": 0.3, "c": 0.6}, abs=0.02)
    assert mixed[mixed.offsets["c"] + 4] == ("c", 4)


def test_small_dataset_is_cycled_through_fresh_permutations():
    sampler = BalancedSampler({"only": 5}, num_samples=15, seed=0)
    drawn = list(sampler)
    for start in (0, 5, 10):
        assert sorted(drawn[start : start + 5]) == [0, 1, 2, 3, 4]


def test_dataset_scheduled_for_epoch_3_is_absent_before_it():
    schedule = IncrementalSchedule({"nyu": 0, "kitti": 3})
    assert schedule.active(2) == ["nyu"] and schedule.active(3) == ["nyu", "kitti"]
    sampler = BalancedSampler({"nyu": 50, "kitti": 50}, schedule=schedule, seed=4)
    for epoch in range(5):
        sampler.set_epoch(epoch)
        drawn = list(sampler)
        from_kitti = sum(index >= 50 for index in drawn)
        if epoch < 3:
            assert from_kitti == 0 and len(drawn) == 50
        else:
            assert 30 < from_kitti < 70 and len(drawn) == 100


def test_ranks_get_disjoint_indices_of_equal_count():
    sizes = {"a": 40, "b": 13}
    per_rank = []
    for rank in range(3):
        sampler = BalancedSampler(sizes, num_samples=30, seed=9, num_replicas=3, rank=rank)
        sampler.set_epoch(2)
        per_rank.append(list(sampler))
    assert [len(indices) for indices in per_rank] == [10, 10, 10]
    sets = [set(indices) for indices in per_rank]
    assert not (sets[0] & sets[1]) and not (sets[0] & sets[2]) and not (sets[1] & sets[2])


def test_ranks_stay_disjoint_even_when_a_dataset_repeats():
    per_rank = [
        set(BalancedSampler({"tiny": 4}, num_samples=40, num_replicas=2, rank=rank))
        for rank in range(2)
    ]
    assert per_rank[0] | per_rank[1] == {0, 1, 2, 3} and not per_rank[0] & per_rank[1]


def test_draws_depend_on_seed_and_epoch_only():
    first = BalancedSampler({"a": 20, "b": 20}, seed=3)
    second = BalancedSampler({"a": 20, "b": 20}, seed=3)
    assert list(first) == list(second)
    second.set_epoch(1)
    assert list(first) != list(second)


def test_bad_arguments_are_explained():
    with pytest.raises(DatasetError, match=r"fewer samples than the 4 ranks"):
        BalancedSampler({"a": 3}, num_replicas=4, rank=0)
    with pytest.raises(DatasetError, match=r"rank 2 is not in"):
        BalancedSampler({"a": 3}, num_replicas=2, rank=2)
    with pytest.raises(DatasetError, match=r"not datasets"):
        BalancedSampler({"a": 3}, schedule=IncrementalSchedule({"b": 0}))
    sampler = BalancedSampler({"a": 3}, schedule=IncrementalSchedule({"a": 2}))
    with pytest.raises(DatasetError, match=r"no dataset is active at epoch 0"):
        list(sampler)
