"""`check_dataset` and `monocle data check`: what gets reported, and the exit codes."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest

from monocle.cli import data as data_cli
from monocle.data import check_dataset
from monocle.io import write_depth
from test_data_base import RawList, raw_sample
from test_data_fixtures import write_image_depth_folder


def messages(report, severity):
    return [f"{p.file}: {p.message}" for p in report.problems if p.severity == severity]


def test_good_folder_statistics(tmp_path):
    write_image_depth_folder(tmp_path, count=3)
    report = check_dataset(str(tmp_path))
    assert report.ok and report.problems == []
    assert (report.dataset, report.samples, report.checked) == ("folder", 3, 3)
    assert report.resolutions == {"14x10": 3}
    # Depths are {1,2}, {2,4}, {3,6} m in halves of 35 pixels: the median sits between 2 and 3.
    assert report.depth_min == pytest.approx(1.0, abs=1e-3)
    assert report.depth_max == pytest.approx(6.0, abs=1e-3)
    assert report.depth_percentiles["p50"] == pytest.approx(2.5, abs=1e-3)
    assert report.valid_fraction == 1.0 and report.K_fraction == 1.0
    assert check_dataset(str(tmp_path), max_samples=2).checked == 2


def test_millimetres_stored_as_metres_is_an_error(tmp_path):
    write_image_depth_folder(tmp_path, count=2, depth_m=2500.0)
    report = check_dataset(str(tmp_path))
    assert not report.ok
    assert any("likely millimetres stored as metres" in m for m in messages(report, "error"))


def test_too_small_scale_is_an_error(tmp_path):
    write_image_depth_folder(tmp_path, count=2, depth_m=0.002)
    report = check_dataset(str(tmp_path))
    assert any("implausibly small" in m for m in messages(report, "error"))


def test_size_mismatch_is_reported_per_file_and_others_still_checked(tmp_path):
    write_image_depth_folder(tmp_path, count=3)
    write_depth(tmp_path / "depth" / "0001.png", np.ones((5, 5)), kind="metric", unit="m")
    report = check_dataset(str(tmp_path))
    assert not report.ok and (report.checked, report.unreadable) == (3, 1)
    assert report.resolutions == {"14x10": 2}
    (error,) = messages(report, "error")
    assert error.startswith(str(tmp_path / "depth" / "0001.png")) and "5x5" in error


def test_missing_K_all_invalid_and_nan_are_flagged():
    nan_depth = np.full((2, 3), np.nan, dtype=np.float32)
    dataset = RawList([raw_sample(K=None, depth=nan_depth), raw_sample(K=None, depth=nan_depth)])
    report = check_dataset(dataset)
    warnings = messages(report, "warning")
    assert any("6 NaN/inf depth values" in m for m in warnings)
    assert any("2 of 2 samples have no K" in m for m in warnings)
    assert any("no sample has any valid depth" in m for m in messages(report, "error"))
    assert report.K_fraction == 0.0 and report.valid_fraction == 0.0


def test_unbuildable_dataset_becomes_a_report_not_a_traceback(tmp_path):
    (tmp_path / "image").mkdir()
    (tmp_path / "depth").mkdir()
    report = check_dataset(str(tmp_path))
    assert not report.ok and report.samples == 0
    assert "no image/depth pairs" in messages(report, "error")[0]
    assert "FAILED" in report.format()
    json.dumps(report.to_dict())


def run_cli(argv):
    parser = argparse.ArgumentParser(prog="monocle")
    data_cli.register(parser.add_subparsers())
    args = parser.parse_args(argv)
    return args.run(args)


def test_cli_prints_the_table_writes_json_and_sets_the_exit_code(tmp_path, capsys):
    write_image_depth_folder(tmp_path / "good", count=2)
    out_json = tmp_path / "out" / "report.json"
    assert run_cli(["data", "check", str(tmp_path / "good"), "--json", str(out_json)]) == 0
    printed = capsys.readouterr().out
    assert "samples     2 (checked 2, unreadable 0)" in printed and printed.strip().endswith("OK")
    saved = json.loads(out_json.read_text())
    assert saved["ok"] is True and saved["resolutions"] == {"14x10": 2}
    write_image_depth_folder(tmp_path / "mm", count=1, depth_m=3000.0)
    assert run_cli(["data", "check", f"folder:{tmp_path / 'mm'}", "--max-samples", "1"]) == 1
    assert "ERROR" in capsys.readouterr().out
