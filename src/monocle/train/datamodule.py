"""The DataModule: the recipe's dataset mixture, balanced and scheduled, and resumable mid-epoch."""

from __future__ import annotations

from collections.abc import Iterator

import lightning as L
from torch.utils.data import ConcatDataset, DataLoader, Sampler
from torch.utils.data.distributed import DistributedSampler

from monocle.data import build_dataset, build_mixture, build_transforms
from monocle.train.recipe import Recipe


class ResumableSampler(Sampler[int]):
    """Wraps the balanced sampler so a resumed epoch skips the samples already trained on.

    The inner sampler's order depends only on (seed, epoch, rank), so skipping the first
    ``skip`` indices of the resumed epoch replays exactly the rest of the interrupted one.
    """

    def __init__(self, sampler) -> None:
        self.sampler = sampler
        self.skip = 0

    def set_epoch(self, epoch: int) -> None:
        self.sampler.set_epoch(epoch)

    def __len__(self) -> int:
        return len(self.sampler)

    def __iter__(self) -> Iterator[int]:
        skip, self.skip = self.skip, 0
        for position, index in enumerate(self.sampler):
            if position >= skip:
                yield index


class DepthDataModule(L.LightningDataModule):
    def __init__(self, recipe: Recipe) -> None:
        super().__init__()
        self.recipe = recipe
        self.train_sampler: ResumableSampler | None = None

    def setup(self, stage: str | None = None) -> None:
        data = self.recipe.data
        world = self.trainer.world_size if self.trainer else 1
        rank = self.trainer.global_rank if self.trainer else 0
        if stage in (None, "fit") and self.train_sampler is None:
            self.train_set, sampler = build_mixture(
                {
                    "datasets": [vars(entry) for entry in data.train],
                    "num_samples": data.samples_per_epoch,
                    "seed": self.recipe.seed,
                },
                transform=build_transforms(data.augment) if data.augment else None,
                num_replicas=world,
                rank=rank,
            )
            self.train_sampler = ResumableSampler(sampler)
        if data.val:
            self.val_set = ConcatDataset(
                [build_dataset(entry.spec, split=entry.split) for entry in data.val]
            )

    def train_dataloader(self) -> DataLoader:
        data = self.recipe.data
        return DataLoader(
            self.train_set,
            batch_size=data.batch_size,
            sampler=self.train_sampler,
            num_workers=data.workers,
            persistent_workers=data.workers > 0,
            drop_last=True,
        )

    def val_dataloader(self) -> DataLoader | list:
        if not self.recipe.data.val:
            return []
        world = self.trainer.world_size if self.trainer else 1
        sampler = None
        if world > 1:
            rank = self.trainer.global_rank
            sampler = DistributedSampler(self.val_set, world, rank, shuffle=False)
        return DataLoader(
            self.val_set,
            batch_size=self.recipe.data.batch_size,
            sampler=sampler,
            num_workers=self.recipe.data.workers,
        )

    def state_dict(self) -> dict:
        # Lightning checkpoints mid-epoch after a batch's optimiser step: that many batches of
        # this rank's sampler order are done.
        loop = self.trainer.fit_loop.epoch_loop
        done = loop.batch_progress.current.processed
        return {"samples_done": done * self.recipe.data.batch_size}

    def load_state_dict(self, state: dict) -> None:
        # Lightning restores this after setup(), before the first training batch is drawn.
        self.train_sampler.skip = int(state.get("samples_done", 0))
