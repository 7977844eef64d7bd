"""SANet's Global Focal Relative Loss (GFRL): focal-weighted ranking over block samples."""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor, nn

from monocle.losses.masking import check_depth_pair, pair_weights, weighted_mean


class GFRLPairs(NamedTuple):
    """Every ordered pair ``(i, j)`` of ``G`` samples per image; each field is :math:`(B,G,G)`."""

    labels: Tensor  # r: +1 (z_i > ratio z_j), -1 (z_j > ratio z_i), 0 (about equal)
    delta: Tensor  # p_i - p_j
    focal: Tensor  # (1 - sigmoid(r * delta)) ** gamma
    pair_loss: Tensor  # ranking loss before the focal weight
    weights: Tensor  # min(w_i, w_j): valid in both


def sample_block_pixels(
    batch: int,
    height: int,
    width: int,
    grid: tuple[int, int] = (16, 16),
    *,
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
) -> Tensor:
    """One uniformly random pixel per block of a ``grid`` over each image.

    Block ``(a, b)`` spans rows ``floor(a H / gh) .. floor((a+1) H / gh) - 1`` and the matching
    columns, so blocks tile the whole image (sizes differ by at most one pixel when ``H`` or
    ``W`` is not a multiple of the grid; 240x320 with 16x16 gives SANet's 15x20 blocks).

    Args:
        batch, height, width: map size.
        grid: ``(gh, gw)`` blocks down and across; ``gh <= height``, ``gw <= width``.
        generator: random generator (on ``device``) for reproducible samples.

    Returns:
        flat pixel indices ``row * width + col`` of shape :math:`(B, gh \\cdot gw)`, row-major
        over the blocks.
    """
    rows, cols = grid
    if not (1 <= rows <= height and 1 <= cols <= width):
        raise ValueError(
            f"gfrl: a {rows}x{cols} block grid does not fit a {height}x{width} map; "
            "pass a smaller grid=(rows, cols)."
        )
    row_edges = torch.div(
        torch.arange(rows + 1, device=device) * height, rows, rounding_mode="floor"
    )
    col_edges = torch.div(
        torch.arange(cols + 1, device=device) * width, cols, rounding_mode="floor"
    )
    block_rows = torch.rand(batch, rows, cols, generator=generator, device=device)
    block_cols = torch.rand(batch, rows, cols, generator=generator, device=device)
    row_sizes = (row_edges[1:] - row_edges[:-1]).view(1, rows, 1)
    col_sizes = (col_edges[1:] - col_edges[:-1]).view(1, 1, cols)
    # floor(u * size) < size for u in [0, 1); the clamp guards the float rounding of u * size.
    row = row_edges[:-1].view(1, rows, 1) + torch.minimum(
        (block_rows * row_sizes).long(), row_sizes - 1
    )
    col = col_edges[:-1].view(1, 1, cols) + torch.minimum(
        (block_cols * col_sizes).long(), col_sizes - 1
    )
    return (row * width + col).flatten(1)


def gfrl_pairs(
    pred_samples: Tensor,
    target_samples: Tensor,
    weight_samples: Tensor,
    *,
    ratio: float = 1.02,
    gamma: float = 2.0,
) -> GFRLPairs:
    r"""Labels, ranking losses and focal weights of all ordered sample pairs.

    With :math:`\Delta = p_i - p_j`: label :math:`r = +1` if :math:`z_i > \text{ratio}\, z_j`,
    :math:`-1` if :math:`z_j > \text{ratio}\, z_i`, else 0; pair loss
    :math:`\log(1+e^{-\Delta})`, :math:`\log(1+e^{\Delta})`, :math:`\Delta^2` for
    :math:`r = +1, -1, 0`; focal weight :math:`(1 - \sigma(r\Delta))^\gamma`. The focal formula is
    followed literally for :math:`r = 0` too: :math:`\sigma(0) = 1/2`, so an "equal" pair weighs
    :math:`2^{-\gamma}` (0.25 for :math:`\gamma = 2`) whatever :math:`\Delta` is. The focal
    weight stays in the graph (it is not detached), as in focal loss.

    Args:
        pred_samples, target_samples, weight_samples: :math:`(B,G)` sampled prediction, ground
            truth and mask weights.
        ratio: relative depth difference below which two samples are "equal".
        gamma: focal exponent.

    Returns:
        :class:`GFRLPairs` with :math:`(B,G,G)` fields; pair ``(i, i)`` is included
        (label 0, loss 0), as the seed compares all :math:`G \times G` pairs.
    """
    z_i, z_j = target_samples[:, :, None], target_samples[:, None, :]
    labels = (z_i > ratio * z_j).to(pred_samples.dtype) - (z_j > ratio * z_i).to(pred_samples.dtype)
    delta = pred_samples[:, :, None] - pred_samples[:, None, :]
    pair_loss = torch.where(labels == 0, delta**2, torch.nn.functional.softplus(-labels * delta))
    focal = (1.0 - torch.sigmoid(labels * delta)) ** gamma
    weights = pair_weights(weight_samples[:, :, None], weight_samples[:, None, :])
    return GFRLPairs(labels, delta, focal, pair_loss, weights)


def gfrl_loss(
    pred: Tensor,
    target: Tensor,
    mask: Tensor,
    *,
    grid: tuple[int, int] = (16, 16),
    ratio: float = 1.02,
    gamma: float = 2.0,
    generator: torch.Generator | None = None,
) -> Tensor:
    r"""Global Focal Relative Loss (SANet, methods.md §1).

    Splits each map into a ``grid`` of blocks, samples one random pixel per block
    (:func:`sample_block_pixels`), compares all ordered pairs of samples (:func:`gfrl_pairs`) and
    returns :math:`\sum w\,f\,\ell / \sum w` over the pairs of the whole batch, where ``w`` is the
    pair weight (valid in both), ``f`` the focal weight and :math:`\ell` the ranking loss.

    Args:
        pred: predicted depth :math:`(B,1,H,W)` (the ranking loss needs only its order).
        target: ground-truth depth :math:`(B,1,H,W)`, positive where valid.
        mask: bool validity or float weights :math:`(B,1,H,W)`.
        grid: ``(rows, cols)`` of blocks; SANet uses 16x16 on 240x320.
        ratio: ratio threshold of the pair labels.
        gamma: focal exponent.
        generator: random generator (on ``pred``'s device) for reproducible samples.

    Returns:
        scalar loss; 0 (with zero gradients) when no sampled pair is valid.
    """
    weights = check_depth_pair("gfrl_loss", pred, target, mask)
    batch, _, height, width = pred.shape
    index = sample_block_pixels(batch, height, width, grid, generator=generator, device=pred.device)
    valid = weights > 0
    target_safe = torch.where(valid, target, torch.zeros_like(target))
    pairs = gfrl_pairs(
        pred.flatten(1).gather(1, index),
        target_safe.flatten(1).gather(1, index),
        weights.flatten(1).gather(1, index),
        ratio=ratio,
        gamma=gamma,
    )
    return weighted_mean(pairs.focal * pairs.pair_loss, pairs.weights)


class GFRLoss(nn.Module):
    """Module twin of :func:`gfrl_loss`; holds an optional generator for reproducible samples."""

    def __init__(
        self,
        grid: tuple[int, int] = (16, 16),
        ratio: float = 1.02,
        gamma: float = 2.0,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        self.grid = tuple(grid)
        self.ratio = ratio
        self.gamma = gamma
        self.generator = generator

    def forward(self, pred: Tensor, target: Tensor, mask: Tensor) -> Tensor:
        return gfrl_loss(
            pred,
            target,
            mask,
            grid=self.grid,
            ratio=self.ratio,
            gamma=self.gamma,
            generator=self.generator,
        )
