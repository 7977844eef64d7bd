"""The LightningModule: a registered model, the recipe's objective, and validation metrics;
with a teacher in the recipe, a frozen trained model whose depth some loss terms target."""

from __future__ import annotations

import math

import lightning as L
import torch

from monocle.checkpoint import load_checkpoint
from monocle.infer.predictor import flip_average
from monocle.metrics import depth_metrics, get_protocol
from monocle.models import create_model
from monocle.train.objective import DepthObjective
from monocle.train.recipe import Recipe

VAL_METRICS = ("abs_rel", "rmse", "delta1", "silog_kitti")


class DepthModule(L.LightningModule):
    def __init__(self, recipe: Recipe) -> None:
        super().__init__()
        self.recipe = recipe
        if recipe.model.init_weights:
            self.model = load_checkpoint(recipe.model.init_weights, **recipe.model.overrides)
            architecture = self.model.pretrained_cfg.architecture
            if architecture != recipe.model.name:
                raise ValueError(
                    f"model.init_weights {recipe.model.init_weights} holds a {architecture!r} "
                    f"model but model.name is {recipe.model.name!r}; make them agree"
                )
            self.model.train()
        else:
            self.model = create_model(recipe.model.name, **recipe.model.overrides)
        self.objective = DepthObjective(recipe.losses, recipe.edge_aware, seed=recipe.seed)
        self.protocol = get_protocol(recipe.protocol)
        self.teacher = self._load_teacher(recipe)

    def _load_teacher(self, recipe: Recipe) -> torch.nn.Module | None:
        if recipe.teacher is None:
            if self.objective.needs_teacher:
                raise ValueError(
                    "a loss term has 'target: teacher' but the recipe names no teacher; "
                    "set 'teacher: default' (a shipped model) or a checkpoint path"
                )
            if recipe.teacher_flip:
                raise ValueError("teacher_flip is set but the recipe names no teacher")
            return None
        if not self.objective.needs_teacher:
            raise ValueError("the recipe names a teacher but no loss term has 'target: teacher'")
        from monocle.infer.loading import load_model

        teacher = load_model(recipe.teacher).eval()
        teacher.requires_grad_(False)
        return teacher

    def train(self, mode: bool = True) -> DepthModule:
        # Lightning switches the whole module to training mode each epoch; the teacher must
        # keep its BatchNorm statistics and dropout off.
        super().train(mode)
        if self.teacher is not None:
            self.teacher.eval()
        return self

    @torch.no_grad()
    def teacher_depth(self, image: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
        """The teacher's depth (B,1,H,W) for ``image`` (B,3,H,W) seen by cameras ``K``."""
        depth = camera_outputs(self.teacher, image, K)["depth"]
        if not self.recipe.teacher_flip:
            return depth
        # Mirroring moves the principal point but keeps the focal, all camera_outputs reads.
        mirrored = camera_outputs(self.teacher, image.flip(-1), K)["depth"].flip(-1)
        return flip_average(depth, mirrored, "depth")

    def forward(self, image: torch.Tensor) -> dict[str, torch.Tensor]:
        return self.model(image)

    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        outputs = camera_outputs(self.model, batch["image"], batch["K"])
        teacher = None
        if self.teacher is not None:
            teacher = self.teacher_depth(batch["image"], batch["K"])
        loss, terms = self.objective(
            outputs, batch, epoch=self.current_epoch, step=self.global_step, teacher=teacher
        )
        size = batch["image"].shape[0]
        self.log("train/loss", loss, prog_bar=True, batch_size=size)
        for name, value in terms.items():
            self.log(f"train/{name}", value, batch_size=size)
        return loss

    def validation_step(self, batch: dict, batch_idx: int) -> None:
        pred = camera_outputs(self.model, batch["image"], batch["K"])["depth"].float()
        rows = []
        for p, gt, valid in zip(pred, batch["depth"], batch["valid"], strict=True):
            mask = self.protocol.mask(gt[0], valid[0])
            row = depth_metrics(p[0], gt[0], mask, protocol=self.protocol)
            if row["n_valid"]:
                rows.append(row)
        for name in VAL_METRICS:
            values = [r[name] for r in rows if not math.isnan(r[name])]
            if values:
                # Lightning weights each batch's mean by batch_size: a mean over images.
                self.log(
                    f"val/{name}",
                    sum(values) / len(values),
                    batch_size=len(values),
                    sync_dist=True,
                    prog_bar=name in ("abs_rel", "delta1"),
                )

    def configure_optimizers(self):
        optim, schedule = self.recipe.optim, self.recipe.schedule
        params = [p for p in self.parameters() if p.requires_grad]
        if optim.name == "adamw":
            optimizer = torch.optim.AdamW(params, lr=optim.lr, weight_decay=optim.weight_decay)
        elif optim.name == "sgd":
            optimizer = torch.optim.SGD(
                params,
                lr=optim.lr,
                momentum=optim.momentum,
                nesterov=optim.nesterov,
                weight_decay=optim.weight_decay,
            )
        else:
            raise ValueError(f"optim.name {optim.name!r} is unknown; use 'adamw' or 'sgd'")
        total = max(int(self.trainer.estimated_stepping_batches), 1)
        warmup = min(schedule.warmup_steps, total - 1)

        def factor(step: int) -> float:
            if step < warmup:
                return (step + 1) / warmup
            if schedule.name == "cosine":
                progress = (step - warmup) / max(total - warmup, 1)
                cosine = 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))
                return schedule.min_lr_ratio + (1 - schedule.min_lr_ratio) * cosine
            if schedule.name == "step":
                epoch = step * self.trainer.max_epochs // total
                return schedule.gamma ** sum(epoch >= e for e in schedule.step_epochs)
            if schedule.name == "none":
                return 1.0
            raise ValueError(
                f"schedule.name {schedule.name!r} is unknown; use 'cosine', 'step' or 'none'"
            )

        factor(0)  # a bad schedule name fails here, before training starts
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "interval": "step"},
        }


def camera_outputs(
    model: torch.nn.Module, image: torch.Tensor, K: torch.Tensor
) -> dict[str, torch.Tensor]:
    """``model``'s outputs as depth seen by each image's own camera (intrinsics ``K``, (B,3,3),
    in pixels of ``image``): a canonical-focal model's depth scales with focal."""
    outputs = model(image)
    cfg = model.pretrained_cfg
    if cfg.canonical_focal is None:
        return outputs
    scale = cfg.depth_scale(K[:, 0, 0].to(outputs["depth"]))[:, None, None, None]
    outputs = dict(outputs, depth=outputs["depth"] * scale)
    if "log_depth" in outputs:
        outputs["log_depth"] = outputs["log_depth"] + scale.log()
    return outputs
