"""Collect per-image metrics over a dataset and reduce them to one row per run (or per group)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from monocle.metrics.boundary import si_boundary_f1
from monocle.metrics.depth import DEPTH_METRIC_NAMES, depth_metrics
from monocle.metrics.protocols import Protocol
from monocle.metrics.validity import ArrayLike, valid_mask

SUMMARY_METRIC_NAMES = (*DEPTH_METRIC_NAMES, "si_boundary_f1")
_REDUCTION = "mean over images"


class MetricAccumulator:
    """Per-image metric rows and their mean over images.

    Each :meth:`add` scores one image with :func:`depth_metrics` and :func:`si_boundary_f1` on
    the same pixels and keeps the row. A row with no valid pixel (``n_valid == 0``, every metric
    NaN) is a failed image: :meth:`summary` leaves it out of the means and counts it.

    Args:
        protocol: optional :class:`Protocol` applied to every image (crop, range, clamp).
    """

    def __init__(self, protocol: Protocol | None = None) -> None:
        self.protocol = protocol
        self._rows: list[dict[str, Any]] = []

    @property
    def rows(self) -> list[dict[str, Any]]:
        """One dict per added image: ``id``, every metric, ``n_valid`` and the extra columns."""
        return self._rows

    def add(
        self,
        pred: ArrayLike,
        gt: ArrayLike,
        valid: ArrayLike | None = None,
        *,
        id: Any = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """Score one image and keep its row.

        Args:
            pred: predicted depth (already aligned), (H, W) or (1, H, W).
            gt: ground-truth depth, same shape.
            valid: optional mask, same shape.
            id: image identifier stored in the row; defaults to the image's index.
            **extra: extra columns stored as given, e.g. ``category="kitchen"``.

        Returns:
            the row that was stored.
        """
        reserved = sorted(set(extra) & {*SUMMARY_METRIC_NAMES, "n_valid"})
        if reserved:
            raise ValueError(f"extra columns {reserved} would overwrite metrics; rename them")
        mask = self.protocol.mask(gt, valid) if self.protocol is not None else valid_mask(gt, valid)
        metrics = depth_metrics(pred, gt, mask, protocol=self.protocol)
        boundary = si_boundary_f1(pred, gt, mask) if metrics["n_valid"] else math.nan
        row = {"id": len(self._rows) if id is None else id, **metrics}
        row["si_boundary_f1"] = boundary
        row.update(extra)
        self._rows.append(row)
        return row

    def summary(self, group_by: str | None = None) -> dict[str, Any]:
        """Mean over images of every metric, skipping failed (``n_valid == 0``) rows.

        Args:
            group_by: optional row column (e.g. ``"category"``); then the result maps each value
                of that column, in order of first appearance, to its own summary.

        Returns:
            ``{metric: mean, "reduction": "mean over images", "n_images": images averaged,
            "n_failed": images skipped}``; metric means are NaN when every image failed.
        """
        if group_by is None:
            return _summarise(self._rows)
        groups: dict[Any, list[dict[str, Any]]] = {}
        for row in self._rows:
            if group_by not in row:
                raise ValueError(
                    f"cannot group by {group_by!r}: image {row['id']!r} has no such column; "
                    f"pass it to add(..., {group_by}=...)"
                )
            groups.setdefault(row[group_by], []).append(row)
        return {key: _summarise(rows) for key, rows in groups.items()}

    def to_json(self, path: str | Path, *, group_by: str | None = None) -> None:
        """Write ``{"summary": summary(group_by), "rows": rows}`` as JSON to ``path``.

        NaN becomes ``null`` so the file is strict JSON; ids that JSON cannot hold are written as
        their ``str``.
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        document = {"summary": self.summary(group_by), "rows": self._rows}
        path.write_text(json.dumps(_nan_to_none(document), indent=2, default=str) + "\n")


def _summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    scored = [row for row in rows if row["n_valid"] > 0]
    summary: dict[str, Any] = {
        name: sum(row[name] for row in scored) / len(scored) if scored else math.nan
        for name in SUMMARY_METRIC_NAMES
    }
    summary.update(reduction=_REDUCTION, n_images=len(scored), n_failed=len(rows) - len(scored))
    return summary


def _nan_to_none(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {key: _nan_to_none(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_nan_to_none(item) for item in value]
    return value


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.4f}"
    return str(value)


def format_table(summary: dict[str, Any]) -> str:
    """A markdown table of a :meth:`MetricAccumulator.summary` (plain or grouped).

    One row per group (``"all"`` for a plain summary); columns: group, n_images, n_failed and
    every metric, floats with 4 decimals.
    """
    groups = {"all": summary} if "reduction" in summary else summary
    columns = ["n_images", "n_failed", *SUMMARY_METRIC_NAMES]
    lines = [
        "| " + " | ".join(["group", *columns]) + " |",
        "|" + "---|" * (len(columns) + 1),
    ]
    for name, group in groups.items():
        cells = [str(name), *(_cell(group[column]) for column in columns)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
