"""`train(recipe)`: build the module, data and Lightning trainer, resume if possible, and fit.

A run directory ``<out_dir>/<name>/`` holds everything a run makes:

- ``last.safetensors`` / ``last.json`` and ``best.*``: monocle checkpoints (weights + config with
  the recipe, epoch, step and validation metrics), written atomically after each validation;
- ``resume/last.ckpt``: Lightning's full training state (optimiser, scheduler, loop progress,
  sampler position), written every ``trainer.checkpoint_every_n_steps`` steps and at epoch ends;
  running the same recipe again continues from it;
- ``recipe.yaml``, ``logs/`` (CSV metrics) and ``tb/`` (TensorBoard events).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import lightning as L
import yaml
from lightning.pytorch.callbacks import Callback, ModelCheckpoint, TQDMProgressBar
from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger

from monocle.checkpoint import save_checkpoint
from monocle.train.datamodule import DepthDataModule
from monocle.train.module import DepthModule
from monocle.train.recipe import Recipe


class MonocleCheckpoint(Callback):
    """Writes ``last`` after every validation (or epoch) and ``best`` by validation AbsRel."""

    def __init__(self, run_dir: Path, recipe: Recipe, monitor: str = "val/abs_rel") -> None:
        self.run_dir = run_dir
        self.recipe = recipe
        self.monitor = monitor
        self.best = math.inf

    def _save(self, trainer: L.Trainer, module: DepthModule, name: str, metrics: dict) -> None:
        save_checkpoint(
            self.run_dir / name,
            module.model,
            model_name=self.recipe.model.name,
            overrides=self.recipe.model.overrides,
            info={
                "recipe": self.recipe.to_dict(),
                "epoch": trainer.current_epoch,
                "step": trainer.global_step,
                "val_metrics": metrics,
            },
        )

    def _on_checkpoint_point(self, trainer: L.Trainer, module: DepthModule) -> None:
        if trainer.sanity_checking or not trainer.is_global_zero:
            return
        metrics = {k: float(v) for k, v in trainer.callback_metrics.items() if k.startswith("val/")}
        self._save(trainer, module, "last", metrics)
        score = metrics.get(self.monitor)
        if score is not None and score < self.best:
            self.best = score
            self._save(trainer, module, "best", metrics)

    def on_validation_end(self, trainer: L.Trainer, module: DepthModule) -> None:
        self._on_checkpoint_point(trainer, module)

    def on_train_epoch_end(self, trainer: L.Trainer, module: DepthModule) -> None:
        if not self.recipe.data.val:
            self._on_checkpoint_point(trainer, module)

    def state_dict(self) -> dict:
        return {"best": self.best}

    def load_state_dict(self, state: dict) -> None:
        self.best = float(state.get("best", math.inf))


@dataclass
class TrainResult:
    run_dir: Path
    last: Path
    best: Path | None
    metrics: dict


def build_trainer(recipe: Recipe, callbacks_extra: list[Callback] = (), **overrides) -> L.Trainer:
    run_dir = recipe.run_dir
    t = recipe.trainer
    callbacks: list[Callback] = [
        ModelCheckpoint(
            dirpath=run_dir / "resume",
            save_last=True,
            save_top_k=0,
            every_n_train_steps=t.checkpoint_every_n_steps,
            save_on_train_epoch_end=True,
        ),
        MonocleCheckpoint(run_dir, recipe),
    ]
    if t.progress_bar:
        callbacks.append(TQDMProgressBar())
    return L.Trainer(
        default_root_dir=run_dir,
        max_epochs=t.max_epochs,
        accelerator=t.accelerator,
        devices=t.devices,
        num_nodes=t.num_nodes,
        strategy=t.strategy,
        precision=t.precision,
        gradient_clip_val=t.gradient_clip_val,
        check_val_every_n_epoch=t.check_val_every_n_epoch,
        log_every_n_steps=t.log_every_n_steps,
        logger=[CSVLogger(run_dir, name="logs"), TensorBoardLogger(run_dir, name="tb")],
        callbacks=[*callbacks, *callbacks_extra],
        enable_progress_bar=t.progress_bar,
        enable_model_summary=False,
        # The balanced sampler shards itself per rank; Lightning must not replace it.
        use_distributed_sampler=False,
        num_sanity_val_steps=0,
        **overrides,
    )


def train(
    recipe: Recipe,
    *,
    resume: bool = True,
    callbacks_extra: list[Callback] = (),
    **trainer_overrides,
) -> TrainResult:
    """Train per ``recipe``; with ``resume`` a run directory's saved state is continued."""
    run_dir = recipe.run_dir
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "recipe.yaml").write_text(yaml.safe_dump(recipe.to_dict(), sort_keys=False))
    # Seeds model initialisation; data order and loss sampling carry their own seeded generators.
    L.seed_everything(recipe.seed, workers=True, verbose=False)
    module = DepthModule(recipe)
    data = DepthDataModule(recipe)
    trainer = build_trainer(recipe, callbacks_extra, **trainer_overrides)
    resume_from = run_dir / "resume" / "last.ckpt"
    trainer.fit(
        module, data, ckpt_path=str(resume_from) if resume and resume_from.is_file() else None
    )
    best = run_dir / "best.safetensors"
    return TrainResult(
        run_dir=run_dir,
        last=run_dir / "last.safetensors",
        best=best if best.is_file() else None,
        metrics={k: float(v) for k, v in trainer.callback_metrics.items()},
    )
