"""Mixing datasets: each dataset gets its share of every epoch regardless of its size.

- :class:`MixedDataset`: a ``ConcatDataset`` that knows its parts by name.
- :class:`IncrementalSchedule`: datasets join training at given epochs (first NYU, then KITTI at
  epoch 3, ...), the incremental multi-dataset training of SANet.
- :class:`BalancedSampler`: picks a dataset by weight among the active ones, then an index
  uniformly within it. DDP-aware: with ``num_replicas`` > 1 each rank draws only from its own
  shard of every dataset, so ranks never see the same sample in an epoch.
- :func:`build_mixture`: both from a recipe dict.
- :func:`collate_common`: a DataLoader ``collate_fn`` that keeps the keys every sample has, so
  datasets with different optional keys (normals, segmentation, ...) batch together.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import torch
from torch.utils.data import ConcatDataset, Dataset, Sampler, default_collate

from monocle.data.base import DatasetError


def collate_common(batch: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Collate contract samples, dropping keys that not every sample has.

    Use as ``DataLoader(..., collate_fn=collate_common)`` for a :class:`MixedDataset` whose
    parts differ in optional keys; the images must already share a size (e.g. a crop transform).
    """
    shared = set(batch[0]).intersection(*batch[1:])
    return default_collate(
        [{key: sample[key] for key in sample if key in shared} for sample in batch]
    )


class MixedDataset(ConcatDataset):
    """Several named datasets behind one index; ``offsets[name]`` is where each one starts."""

    def __init__(self, datasets: Mapping[str, Dataset]) -> None:
        if not datasets:
            raise DatasetError("MixedDataset needs at least one dataset")
        super().__init__(list(datasets.values()))
        self.names = list(datasets)
        self.sizes = {name: len(dataset) for name, dataset in datasets.items()}
        starts = [0, *self.cumulative_sizes[:-1]]
        self.offsets = dict(zip(self.names, starts, strict=True))

    def source_of(self, index: int) -> str:
        """Name of the dataset that global ``index`` belongs to."""
        for name in reversed(self.names):
            if index >= self.offsets[name]:
                return name
        raise IndexError(index)


class IncrementalSchedule:
    """Which datasets train at which epoch: ``{"nyu": 0, "kitti": 3}`` adds KITTI at epoch 3."""

    def __init__(self, start_epochs: Mapping[str, int]) -> None:
        for name, epoch in start_epochs.items():
            if int(epoch) < 0:
                raise DatasetError(
                    f"IncrementalSchedule: start epoch of {name!r} is {epoch}; use >= 0"
                )
        self.start_epochs = {name: int(epoch) for name, epoch in start_epochs.items()}

    def active(self, epoch: int) -> list[str]:
        """Names of the datasets that have joined by ``epoch``, in insertion order."""
        return [name for name, start in self.start_epochs.items() if start <= epoch]


class BalancedSampler(Sampler[int]):
    """Sample so that every active dataset has its weight's share of each epoch.

    Each draw picks a dataset with probability ``weight / sum(active weights)`` and then the
    next index of that dataset's shuffled order (a fresh permutation every pass), so a small
    dataset is repeated and a large one subsampled rather than the large one drowning the small.

    Args:
        dataset_sizes: ``{name: size}`` in the order of the :class:`MixedDataset` (its
            ``.sizes``), or a list of sizes (named "0", "1", ...). Indices yielded are global
            (offset by the sizes of the datasets before).
        weights: ``{name: weight}`` or a list; default 1 each.
        num_samples: draws per epoch over all ranks; default: the sum of the active sizes.
        seed: every rank must use the same seed; draws depend on (seed, epoch, rank) only.
        schedule: an :class:`IncrementalSchedule`; default: every dataset active from epoch 0.
        num_replicas, rank: for DDP. Each epoch, dataset d is permuted the same way on every
            rank and rank r keeps positions r, r + R, r + 2R, ... as its shard, so the ranks'
            indices are disjoint even when a small dataset repeats. Each rank yields
            ``ceil(num_samples / num_replicas)`` indices.

    Call :meth:`set_epoch` before each epoch (Lightning does it for you).
    """

    def __init__(
        self,
        dataset_sizes: Mapping[str, int] | Sequence[int],
        weights: Mapping[str, float] | Sequence[float] | None = None,
        num_samples: int | None = None,
        seed: int = 0,
        schedule: IncrementalSchedule | None = None,
        num_replicas: int = 1,
        rank: int = 0,
    ) -> None:
        if not isinstance(dataset_sizes, Mapping):
            dataset_sizes = {str(i): size for i, size in enumerate(dataset_sizes)}
        self.sizes = {name: int(size) for name, size in dataset_sizes.items()}
        names = list(self.sizes)
        if weights is None:
            weights = dict.fromkeys(names, 1.0)
        elif not isinstance(weights, Mapping):
            weights = dict(zip(names, weights, strict=True))
        missing = set(names) - set(weights)
        if missing:
            raise DatasetError(f"BalancedSampler: no weight for {sorted(missing)}")
        self.weights = {name: float(weights[name]) for name in names}
        if any(w <= 0 for w in self.weights.values()):
            raise DatasetError(f"BalancedSampler: weights must be > 0, got {self.weights}")
        if not 0 <= rank < num_replicas:
            raise DatasetError(
                f"BalancedSampler: rank {rank} is not in [0, num_replicas={num_replicas})"
            )
        too_small = [name for name, size in self.sizes.items() if size < num_replicas]
        if too_small:
            raise DatasetError(
                f"BalancedSampler: datasets {too_small} have fewer samples than the "
                f"{num_replicas} ranks, so some rank would get none of them; drop them or use "
                "fewer ranks"
            )
        self.schedule = schedule or IncrementalSchedule(dict.fromkeys(names, 0))
        unknown = set(self.schedule.start_epochs) - set(names)
        if unknown:
            raise DatasetError(
                f"BalancedSampler: schedule names {sorted(unknown)} are not datasets {names}"
            )
        self.requested_samples = num_samples
        self.seed = int(seed)
        self.num_replicas = int(num_replicas)
        self.rank = int(rank)
        self.epoch = 0
        offsets = [0]
        for size in self.sizes.values():
            offsets.append(offsets[-1] + size)
        self.offsets = dict(zip(names, offsets[:-1], strict=True))

    def set_epoch(self, epoch: int) -> None:
        """Select the epoch: reseeds the draws and applies the schedule."""
        self.epoch = int(epoch)

    def active(self) -> list[str]:
        """Datasets that train in the current epoch (scheduled ones that have started)."""
        return [name for name in self.schedule.active(self.epoch) if name in self.sizes]

    def _epoch_samples(self) -> int:
        if self.requested_samples is not None:
            return int(self.requested_samples)
        return sum(self.sizes[name] for name in self.active())

    def __len__(self) -> int:
        return math.ceil(self._epoch_samples() / self.num_replicas)

    def _shard_stream(self, name: str, dataset_position: int) -> Iterator[int]:
        """This rank's indices of one dataset, reshuffled on every pass through the shard."""
        seed = (self.seed * 1_000_003 + self.epoch) * 1_009 + dataset_position
        # The permutation that splits the dataset into shards is the same on every rank.
        permutation = torch.randperm(
            self.sizes[name], generator=torch.Generator().manual_seed(seed)
        )
        shard = permutation[self.rank :: self.num_replicas]
        generator = torch.Generator().manual_seed(seed * 131 + self.rank)
        while True:
            for local in shard[torch.randperm(shard.numel(), generator=generator)].tolist():
                yield self.offsets[name] + local

    def __iter__(self) -> Iterator[int]:
        active = self.active()
        if not active:
            raise DatasetError(
                f"BalancedSampler: no dataset is active at epoch {self.epoch}; "
                f"start epochs are {self.schedule.start_epochs}"
            )
        positions = {name: list(self.sizes).index(name) for name in active}
        streams = {name: self._shard_stream(name, positions[name]) for name in active}
        probabilities = torch.tensor([self.weights[name] for name in active], dtype=torch.float64)
        choice_generator = torch.Generator().manual_seed(
            ((self.seed * 1_000_003 + self.epoch) * 1_009 + 997) * 131 + self.rank
        )
        choices = torch.multinomial(
            probabilities, len(self), replacement=True, generator=choice_generator
        )
        for choice in choices.tolist():
            yield next(streams[active[choice]])


def build_mixture(
    cfg: Mapping[str, Any],
    *,
    transform: Callable | None = None,
    num_replicas: int = 1,
    rank: int = 0,
) -> tuple[MixedDataset, BalancedSampler]:
    """Build a mixed dataset and its balanced sampler from a recipe.

    Args:
        cfg: ``{"datasets": [{"spec": ..., "name": ..., "weight": 1.0, "start_epoch": 0,
            "split": ...}, ...], "num_samples": int, "seed": int}``; only ``spec`` is required
            (a spec string or dict, see :func:`monocle.data.build_dataset`). Names default to
            the spec's type, made unique with a suffix.
        transform: applied to every dataset's samples.

    Returns:
        (dataset, sampler); pass both to a ``DataLoader(dataset, sampler=sampler, ...)``.
    """
    from monocle.data.spec import build_dataset, spec_type

    entries = cfg.get("datasets")
    if not entries:
        raise DatasetError("mixture recipe: 'datasets' must list at least one {spec: ...} entry")
    datasets, weights, starts = {}, {}, {}
    for position, entry in enumerate(entries):
        entry = {"spec": entry} if isinstance(entry, str) else dict(entry)
        if "spec" not in entry:
            raise DatasetError(f"mixture recipe: dataset entry {position} has no 'spec'")
        name = str(entry.get("name") or spec_type(entry["spec"]))
        base, suffix = name, 2
        while name in datasets:
            name, suffix = f"{base}_{suffix}", suffix + 1
        datasets[name] = build_dataset(entry["spec"], split=entry.get("split"), transform=transform)
        weights[name] = float(entry.get("weight", 1.0))
        starts[name] = int(entry.get("start_epoch", 0))
    mixed = MixedDataset(datasets)
    sampler = BalancedSampler(
        mixed.sizes,
        weights=weights,
        num_samples=cfg.get("num_samples"),
        seed=int(cfg.get("seed", 0)),
        schedule=IncrementalSchedule(starts),
        num_replicas=num_replicas,
        rank=rank,
    )
    return mixed, sampler
