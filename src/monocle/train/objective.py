"""The training objective: weighted losses that switch on at given epochs (the seed's schedule).

SANet trains with BerHu from the start, the gradient loss after some epochs, and the normal and
GFRL losses later still (methods.md §1). A recipe lists the terms; this module turns a model's
output dict and a batch into the weighted sum and the per-term values to log.
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
        self.terms = list(terms)
        self.losses = nn.ModuleList(LOSSES[t.name](**t.args) for t in self.terms)
        self.edge_aware = edge_aware
        self.seed = seed

    def active(self, epoch: int) -> list[str]:
        return [t.name for t in self.terms if epoch >= t.start_epoch]

    def forward(
        self, outputs: dict[str, Tensor], batch: dict, *, epoch: int, step: int
    ) -> tuple[Tensor, dict[str, Tensor]]:
        target, valid = batch["depth"], batch["valid"]
        weights = valid.float()
        if self.edge_aware is not None:
            weights = weights * edge_weights(
                target,
                valid,
                sigma=self.edge_aware.sigma,
                dilate=self.edge_aware.dilate,
                factor=self.edge_aware.factor,
            )
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
            if term.name in _NEEDS_INTRINSICS:
                value = loss(pred, target, weights, K=batch["K"])
            else:
                value = loss(pred, target, weights)
            values[term.name] = value.detach()
            total = total + term.weight * value
        return total, values
