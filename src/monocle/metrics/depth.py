"""Per-image depth error metrics (monodepth2 / Monocular-Depth-Estimation-Toolbox definitions).

Shape contract for every function here: ``pred``, ``gt`` and ``valid`` are one image, (H, W) or
(1, H, W), tensors or numpy arrays. The pixels scored are ``valid_mask(gt, valid)``: ``valid`` (if
given) and a finite, positive ground truth. ``pred`` must be finite and positive there, otherwise
``ValueError``. Sums run in float64; scalar results are Python floats, NaN when no pixel is valid.
With y = gt and ŷ = pred over the n valid pixels:

- abs_rel = mean(|y − ŷ| / y), sq_rel = mean((y − ŷ)² / y)
- rmse = √mean((y − ŷ)²), rmse_log = √mean((log y − log ŷ)²), log10 = mean|log10 y − log10 ŷ|
- delta_k = fraction of pixels with max(y/ŷ, ŷ/y) < 1.25^k
- si_rmse = √(mean(e²) − mean(e)²), e = log ŷ − log y; silog_kitti = 100 · si_rmse
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from monocle.metrics.protocols import Protocol
from monocle.metrics.validity import ArrayLike, prepare_inputs

VectorMetric = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _abs_rel(p: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    return ((g - p).abs() / g).mean()


def _sq_rel(p: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    return ((g - p) ** 2 / g).mean()


def _rmse(p: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    return ((g - p) ** 2).mean().sqrt()


def _rmse_log(p: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    return ((g.log() - p.log()) ** 2).mean().sqrt()


def _log10(p: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    return (g.log10() - p.log10()).abs().mean()


def _delta(p: torch.Tensor, g: torch.Tensor, k: int) -> torch.Tensor:
    return (torch.maximum(g / p, p / g) < 1.25**k).to(torch.float64).mean()


def _si_rmse(p: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    # mean((e - mean e)^2) equals mean(e^2) - mean(e)^2 exactly, but cannot go negative by
    # cancellation when the prediction is nearly a scaled copy of the ground truth.
    e = p.log() - g.log()
    return ((e - e.mean()) ** 2).mean().sqrt()


def _silog_kitti(p: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    return 100.0 * _si_rmse(p, g)


_VECTOR_METRICS: dict[str, VectorMetric] = {
    "abs_rel": _abs_rel,
    "sq_rel": _sq_rel,
    "rmse": _rmse,
    "rmse_log": _rmse_log,
    "log10": _log10,
    "delta1": lambda p, g: _delta(p, g, 1),
    "delta2": lambda p, g: _delta(p, g, 2),
    "delta3": lambda p, g: _delta(p, g, 3),
    "silog_kitti": _silog_kitti,
    "si_rmse": _si_rmse,
}
# The keys of depth_metrics, in table order (n_valid is added after them).
DEPTH_METRIC_NAMES = tuple(_VECTOR_METRICS)


def _valid_pixels(
    pred: ArrayLike, gt: ArrayLike, valid: ArrayLike | None
) -> tuple[torch.Tensor, torch.Tensor]:
    pred_plane, gt_plane, mask = prepare_inputs(pred, gt, valid)
    return pred_plane[mask], gt_plane[mask]


def _score(metric: VectorMetric, pred: ArrayLike, gt: ArrayLike, valid: ArrayLike | None) -> float:
    p, g = _valid_pixels(pred, gt, valid)
    return float(metric(p, g)) if p.numel() else math.nan


def abs_rel(pred: ArrayLike, gt: ArrayLike, valid: ArrayLike | None = None) -> float:
    """Mean absolute relative error, mean(|gt − pred| / gt). Shapes: see module docstring."""
    return _score(_abs_rel, pred, gt, valid)


def sq_rel(pred: ArrayLike, gt: ArrayLike, valid: ArrayLike | None = None) -> float:
    """Mean squared relative error, mean((gt − pred)² / gt), in depth units."""
    return _score(_sq_rel, pred, gt, valid)


def rmse(pred: ArrayLike, gt: ArrayLike, valid: ArrayLike | None = None) -> float:
    """Root mean squared error √mean((gt − pred)²), in depth units."""
    return _score(_rmse, pred, gt, valid)


def rmse_log(pred: ArrayLike, gt: ArrayLike, valid: ArrayLike | None = None) -> float:
    """Root mean squared error of natural-log depth, √mean((log gt − log pred)²)."""
    return _score(_rmse_log, pred, gt, valid)


def log10(pred: ArrayLike, gt: ArrayLike, valid: ArrayLike | None = None) -> float:
    """Mean absolute error of base-10 log depth, mean|log10 gt − log10 pred|."""
    return _score(_log10, pred, gt, valid)


def delta(pred: ArrayLike, gt: ArrayLike, valid: ArrayLike | None = None, k: int = 1) -> float:
    """Threshold accuracy δ_k: fraction of valid pixels with max(gt/pred, pred/gt) < 1.25**k.

    This is the "higher is better" form; MiDaS-style tables report 1 − δ1 as "% bad pixels".
    """
    return _score(lambda p, g: _delta(p, g, k), pred, gt, valid)


def si_rmse(pred: ArrayLike, gt: ArrayLike, valid: ArrayLike | None = None) -> float:
    """Scale-invariant RMSE of the Mobile AI depth challenge: √(mean(e²) − mean(e)²).

    e = log pred − log gt (natural log) over the valid pixels. Invariant to a global scale of
    ``pred``. Equals :func:`silog_kitti` / 100; see there for the different DA-V2 "silog".
    """
    return _score(_si_rmse, pred, gt, valid)


def silog_kitti(pred: ArrayLike, gt: ArrayLike, valid: ArrayLike | None = None) -> float:
    """Scale-invariant log error of the KITTI depth benchmark: 100 · √(mean(e²) − mean(e)²).

    e = log pred − log gt (natural log) over the valid pixels; equals 100 · :func:`si_rmse`.
    Invariant to a global scale of ``pred``.

    Not the Depth Anything V2 variant: DA-V2 ``metric_depth/util/metric.py`` reports
    √(mean(e²) − 0.5 · mean(e)²) without the ×100 (λ = 0.5, the training SiLog loss), which is
    not scale-invariant and is always ≥ si_rmse. Numbers from the two must not be compared.
    """
    return _score(_silog_kitti, pred, gt, valid)


def depth_metrics(
    pred: ArrayLike,
    gt: ArrayLike,
    valid: ArrayLike | None = None,
    *,
    protocol: Protocol | None = None,
) -> dict[str, float]:
    """All standard depth metrics of one image, computed over the same pixels.

    Args:
        pred: predicted depth, (H, W) or (1, H, W); already aligned if the model is relative.
        gt: ground-truth depth, same shape.
        valid: optional mask, same shape.
        protocol: optional :class:`Protocol`; the scored pixels become ``protocol.mask(gt,
            valid)`` (crop and depth range), and the prediction is clamped to the protocol's
            [min_depth, max_depth] after the input checks, as monodepth2 and the toolbox do.

    Returns:
        ``{name: float}`` for every name in ``DEPTH_METRIC_NAMES`` plus ``n_valid`` (int pixel
        count). With no valid pixel every metric is NaN and ``n_valid`` is 0: a flagged row,
        not an exception.

    Raises:
        ValueError: shape mismatch, NaN/inf or non-positive prediction at a scored pixel.
    """
    if protocol is not None:
        valid = protocol.mask(gt, valid)
    p, g = _valid_pixels(pred, gt, valid)
    if protocol is not None:
        p = protocol.clamp_prediction(p)
    n_valid = int(p.numel())
    metrics = {
        name: float(metric(p, g)) if n_valid else math.nan
        for name, metric in _VECTOR_METRICS.items()
    }
    metrics["n_valid"] = n_valid
    return metrics
