"""The training objective: weighted losses that switch on at given epochs (the seed's schedule).

SANet trains with BerHu from the start, the gradient loss after some epochs, and the normal and
GFRL losses later still (methods.md §1). A recipe lists the terms; this module turns a model's
output dict and a batch into the weighted sum and the per-term values to log.

A term may compare against a teacher model's depth instead of the ground truth (knowledge
distillation). The teacher labels every pixel, so its terms weigh all pixels alike: holes in
the ground truth (sky, sensor dropouts) get a target too, and edge-aware weighting, which is
read off the ground truth, applies to ground-truth terms only.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from monocle.losses import LOSSES, edge_weights
from monocle.train.recipe import EdgeAwareRecipe, LossTerm

# Most losses compare predicted and true depth; these read another output or need intrinsics.
_PREDICTION_KEY = {"ordinal": "ordinal_logits"}
_NEEDS_INTRINSICS = {"normal"}
TARGETS = ("ground_truth", "teacher")


class DepthObjective(nn.Module):
    """Sum of ``weight * loss`` over the terms active at the current epoch.

    Args:
        terms: loss names from :data:`monocle.losses.LOSSES` with weights, first epochs and
            constructor arguments.
        edge_aware: when given, every pixel's loss weight is multiplied by
            :func:`monocle.losses.edge_weights` of the ground truth.
        seed: random losses (GFRL's block samples) draw from a generator reseeded from
            ``(seed, step)`` every step, so a resumed run draws what an uninterrupted one would.
    """

    def __init__(
        self,
        terms: Sequence[LossTerm],
        edge_aware: EdgeAwareRecipe | None = None,
        seed: int = 0,
    ) -> None:
        super().__init__()
        if not terms:
            raise ValueError("the recipe lists no losses; add e.g. {name: berhu, weight: 1.0}")
        unknown = [t.name for t in terms if t.name not in LOSSES]
        if unknown:
            raise ValueError(f"unknown loss {unknown[0]!r}; known losses: {', '.join(LOSSES)}")
        for term in terms:
            if term.target not in TARGETS:
                choices = ", ".join(TARGETS)
                raise ValueError(
                    f"loss {term.name!r} has target {term.target!r}; use one of {choices}"
                )
            if term.target == "teacher" and term.name in _PREDICTION_KEY:
                raise ValueError(f"loss {term.name!r} reads no depth; it cannot target a teacher")
        self.terms = list(terms)
        self.losses = nn.ModuleList(LOSSES[t.name](**t.args) for t in self.terms)
        self.edge_aware = edge_aware
        self.seed = seed

    def active(self, epoch: int) -> list[str]:
        return [t.name for t in self.terms if epoch >= t.start_epoch]

    @property
    def needs_teacher(self) -> bool:
        return any(t.target == "teacher" for t in self.terms)

    def forward(
        self,
        outputs: dict[str, Tensor],
        batch: dict,
        *,
        epoch: int,
        step: int,
        teacher: Tensor | None = None,
    ) -> tuple[Tensor, dict[str, Tensor]]:
        """``teacher``: (B,1,H,W) the teacher's depth, needed when a term targets it."""
        if self.needs_teacher and teacher is None:
            raise ValueError("a loss term targets the teacher, but no teacher depth was given")
        valid = batch["valid"]
        weights = valid.float()
        if self.edge_aware is not None:
            weights = weights * edge_weights(
                batch["depth"],
                valid,
                sigma=self.edge_aware.sigma,
                dilate=self.edge_aware.dilate,
                factor=self.edge_aware.factor,
            )
        targets = {"ground_truth": (batch["depth"], weights)}
        if teacher is not None:
            targets["teacher"] = (teacher, torch.ones_like(teacher))
        total = outputs["depth"].new_zeros(())
        values = {}
        for term, loss in zip(self.terms, self.losses, strict=True):
            if epoch < term.start_epoch:
                continue
            if hasattr(loss, "generator"):
                # A fresh generator per step: nothing stateful to pickle for DDP spawn workers.
                loss.generator = torch.Generator(device=outputs["depth"].device)
                loss.generator.manual_seed(self.seed * 1_000_003 + step)
            pred = outputs[_PREDICTION_KEY.get(term.name, "depth")]
            target, term_weights = targets[term.target]
            if term.name in _NEEDS_INTRINSICS:
                value = loss(pred, target, term_weights, K=batch["K"])
            else:
                value = loss(pred, target, term_weights)
            key = term.name if term.target == "ground_truth" else f"{term.name}_teacher"
            values[key] = value.detach()
            total = total + term.weight * value
        return total, values
