"""MetricAccumulator: rows, mean over images, failed images, groups, JSON and the table."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

from monocle.metrics import (
    DEPTH_METRIC_NAMES,
    SUMMARY_METRIC_NAMES,
    MetricAccumulator,
    depth_metrics,
    format_table,
    get_protocol,
    si_boundary_f1,
)

GT = torch.tensor([[1.0, 2.0], [4.0, 8.0]], dtype=torch.float64)


def _filled() -> MetricAccumulator:
    accumulator = MetricAccumulator()
    accumulator.add(GT * 1.1, GT, id="a", category="kitchen")
    accumulator.add(GT * 0.5, GT, id="b", category="office")
    accumulator.add(GT, GT, torch.zeros(2, 2, dtype=torch.bool), id="empty", category="office")
    accumulator.add(GT * 2.0, GT, id="c", category="kitchen")
    return accumulator


def test_rows_hold_metrics_id_and_extra_columns() -> None:
    accumulator = MetricAccumulator()
    row = accumulator.add(GT * 1.1, GT, category="kitchen", runtime_ms=3.5)
    assert row == accumulator.rows[0]
    assert row["id"] == 0  # default id: the image index
    assert row["category"] == "kitchen" and row["runtime_ms"] == 3.5
    expected = depth_metrics(GT * 1.1, GT)
    assert all(row[name] == expected[name] for name in expected)
    assert row["si_boundary_f1"] == si_boundary_f1(GT * 1.1, GT)
    assert accumulator.add(GT, GT)["id"] == 1


def test_summary_is_mean_over_images_and_skips_failed_rows() -> None:
    accumulator = _filled()
    summary = accumulator.summary()
    # abs_rel per image: 0.1, 0.5, 1.0 (the empty image is skipped) -> mean 1.6 / 3
    assert summary["abs_rel"] == pytest.approx(1.6 / 3, abs=1e-15)
    scored = [row for row in accumulator.rows if row["id"] != "empty"]
    for name in SUMMARY_METRIC_NAMES:
        assert summary[name] == pytest.approx(sum(row[name] for row in scored) / 3, abs=1e-12)
    assert summary["reduction"] == "mean over images"
    assert (summary["n_images"], summary["n_failed"]) == (3, 1)
    failed = accumulator.rows[2]
    assert failed["n_valid"] == 0 and math.isnan(failed["abs_rel"])
    assert math.isnan(failed["si_boundary_f1"])


def test_summary_by_group() -> None:
    grouped = _filled().summary(group_by="category")
    assert list(grouped) == ["kitchen", "office"]
    # kitchen: abs_rel 0.1 and 1.0 -> 0.55; office: 0.5 (its empty image counted as failed)
    assert grouped["kitchen"]["abs_rel"] == pytest.approx(0.55, abs=1e-15)
    assert (grouped["kitchen"]["n_images"], grouped["kitchen"]["n_failed"]) == (2, 0)
    assert grouped["office"]["abs_rel"] == pytest.approx(0.5, abs=1e-15)
    assert (grouped["office"]["n_images"], grouped["office"]["n_failed"]) == (1, 1)
    with pytest.raises(ValueError, match="cannot group by 'scene'"):
        _filled().summary(group_by="scene")


def test_all_failed_summary_is_nan_and_reserved_columns_are_refused() -> None:
    accumulator = MetricAccumulator()
    accumulator.add(GT, torch.zeros(2, 2))
    summary = accumulator.summary()
    assert all(math.isnan(summary[name]) for name in DEPTH_METRIC_NAMES)
    assert (summary["n_images"], summary["n_failed"]) == (0, 1)
    with pytest.raises(ValueError, match=r"\['rmse'\] would overwrite metrics"):
        accumulator.add(GT, GT, rmse=1.0)


def test_protocol_is_applied_to_every_image() -> None:
    gt = torch.full((480, 640), 5.0)
    pred = gt * 1.2
    pred[0, 0] = 50.0  # outside the NYU crop: not scored
    row = MetricAccumulator(protocol=get_protocol("nyu")).add(pred, gt)
    assert row["n_valid"] == (471 - 45) * (601 - 41)
    assert row["abs_rel"] == pytest.approx(0.2, abs=1e-6)


def test_to_json_round_trip_writes_strict_json(tmp_path: Path) -> None:
    accumulator = _filled()
    path = tmp_path / "eval" / "metrics.json"
    accumulator.to_json(path)
    text = path.read_text()
    assert "NaN" not in text
    document = json.loads(text)
    assert document["summary"]["n_failed"] == 1
    assert document["summary"]["abs_rel"] == pytest.approx(accumulator.summary()["abs_rel"])
    assert [row["id"] for row in document["rows"]] == ["a", "b", "empty", "c"]
    assert document["rows"][2]["abs_rel"] is None
    accumulator.to_json(path, group_by="category")
    assert set(json.loads(path.read_text())["summary"]) == {"kitchen", "office"}


def test_format_table_is_markdown() -> None:
    accumulator = _filled()
    lines = format_table(accumulator.summary()).splitlines()
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    assert header == ["group", "n_images", "n_failed", *SUMMARY_METRIC_NAMES]
    assert set(lines[1]) == {"|", "-"}
    cells = [cell.strip() for cell in lines[2].strip("|").split("|")]
    assert cells[:3] == ["all", "3", "1"]
    assert cells[3] == f"{accumulator.summary()['abs_rel']:.4f}"
    grouped = format_table(accumulator.summary(group_by="category")).splitlines()
    assert [line.split("|")[1].strip() for line in grouped[2:]] == ["kitchen", "office"]
