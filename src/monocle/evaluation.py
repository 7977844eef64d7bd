"""Evaluate a predictor on a dataset with a named protocol: the numbers behind every model card."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from monocle.depthmap import DepthMap
from monocle.metrics import ALIGN_MODES, MetricAccumulator, get_protocol


@dataclass
class MeanLogDepthBaseline:
    """The trivial baseline: every pixel's mean training log-depth, whatever the image shows.

    A model that does not clearly beat it has learned nothing about the image. It predicts at
    its own resolution and is resized to the query image.
    """

    log_depth: np.ndarray
    kind: str = "metric"

    @classmethod
    def fit(cls, samples: Iterable[dict]) -> MeanLogDepthBaseline:
        """Fit on dicts with ``depth`` and ``valid`` arrays, (H,W) or (1,H,W) (dataset items)."""
        total = count = None
        for sample in samples:
            depth = np.asarray(sample["depth"], np.float64).squeeze()
            valid = np.asarray(sample["valid"], bool).squeeze()
            if total is None:
                total, count = np.zeros_like(depth), np.zeros_like(depth)
            total[valid] += np.log(depth[valid])
            count += valid
        if total is None:
            raise ValueError("MeanLogDepthBaseline.fit got no samples")
        # Pixels never valid in training (always sky, say) take the global mean.
        global_mean = total.sum() / max(count.sum(), 1)
        mean = np.where(count > 0, total / np.maximum(count, 1), global_mean)
        return cls(mean.astype(np.float32))

    def infer(self, image, K: np.ndarray | None = None) -> DepthMap:
        import cv2

        h, w = np.asarray(image).shape[-2:] if _is_chw(image) else np.asarray(image).shape[:2]
        log_depth = cv2.resize(self.log_depth, (w, h), interpolation=cv2.INTER_LINEAR)
        return DepthMap(np.exp(log_depth), kind="metric", K=K)


def _is_chw(image) -> bool:
    shape = np.asarray(image).shape
    return len(shape) == 3 and shape[0] == 3 and shape[-1] != 3


def evaluate(
    predictor,
    dataset,
    *,
    protocol: str = "synth",
    align: str = "none",
    depth_cap: float | None = None,
    max_samples: int | None = None,
    progress: Callable[[Iterable], Iterable] | None = None,
) -> MetricAccumulator:
    """Score ``predictor.infer`` on contract-dict ``dataset`` items; returns the accumulator.

    ``align`` is one of :data:`monocle.metrics.ALIGN_MODES` (``"none"`` needs a metric model).
    Rows carry the sample id and, where the dataset has one, its ``category`` (e.g. the synth
    hardcase categories) for per-category summaries.
    """
    if align not in ALIGN_MODES:
        raise ValueError(f"align {align!r} is unknown; use one of {ALIGN_MODES}")
    rules = get_protocol(protocol)
    accumulator = MetricAccumulator(rules)
    count = len(dataset) if max_samples is None else min(max_samples, len(dataset))
    indices = range(count)
    for index in progress(indices) if progress else indices:
        item = dataset[index]
        gt = DepthMap(item["depth"][0].numpy(), kind="metric", valid=item["valid"][0].numpy())
        pred = predictor.infer(item["image"], K=item["K"].numpy())
        scored = gt.valid & pred.valid
        if align != "none":
            if np.count_nonzero(scored) >= 2:
                pred = pred.aligned_to(gt, align, depth_cap=depth_cap or rules.max_depth)
            else:  # nothing to fit a scale to (an all-sky photo): a row with no valid pixel
                scored = np.zeros_like(scored)
        elif pred.kind != "metric":
            raise ValueError(
                f"the model predicts {pred.kind} depth, which has no metric scale; "
                "evaluate it with an alignment, e.g. --align scale_shift_disparity"
            )
        meta = item.get("meta", {})
        # Pixels the prediction marks invalid (none for a network's raw output) are not scored.
        accumulator.add(
            pred.values,
            gt.values,
            scored,
            id=meta.get("id", index),
            category=meta.get("category") or meta.get("dataset", "all"),
        )
    return accumulator
