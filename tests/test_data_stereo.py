"""Middlebury 2014 and ETH3D scenes: PFM disparity + calib.txt to metric depth."""

from __future__ import annotations

import numpy as np
import pytest

from monocle.data import DatasetError, Eth3dDataset, MiddleburyDataset, build_dataset
from monocle.io import write_image, write_pfm
from test_data_fixtures import rgb_pattern

# Middlebury 2014 calib.txt format (Adirondack-perfect values, resized to a 5x4 image).
CALIB = """cam0=[100.0 0 2.25; 0 100.0 1.5; 0 0 1]
cam1=[100.0 0 2.75; 0 100.0 1.5; 0 0 1]
doffs=0.5
baseline=176.252
width=5
height=4
ndisp=290
isint=0
vmin=33
vmax=218
dyavg=0
dymax=0
"""


def write_scene(folder, disparity_name="disp0.pfm"):
    disparity = np.full((4, 5), 9.5, dtype=np.float32)
    disparity[0, 0] = np.inf  # Middlebury's "unknown"
    disparity[3, 4] = 19.5
    write_image(folder / "im0.png", rgb_pattern(4, 5, seed=1))
    write_image(folder / "im1.png", rgb_pattern(4, 5, seed=2))
    write_pfm(folder / disparity_name, disparity)
    (folder / "calib.txt").write_text(CALIB)


def test_middlebury_depth_is_baseline_times_f_over_disparity(tmp_path):
    write_scene(tmp_path / "Adirondack-perfect")
    write_scene(tmp_path / "Jadeplant-perfect")
    dataset = MiddleburyDataset(tmp_path)
    assert len(dataset) == 2
    sample = dataset[0]
    assert sample["meta"]["id"] == "Adirondack-perfect"
    # Z = 0.176252 m * 100 px / (9.5 + 0.5) px
    assert float(sample["depth"][0, 1, 1]) == pytest.approx(1.76252, rel=1e-6)
    assert float(sample["depth"][0, 3, 4]) == pytest.approx(0.88126, rel=1e-6)
    assert not sample["valid"][0, 0, 0] and float(sample["depth"][0, 0, 0]) == 0.0
    assert sample["K"].tolist() == [[100.0, 0.0, 2.25], [0.0, 100.0, 1.5], [0.0, 0.0, 1.0]]
    assert "image_right" not in sample


def test_right_view_and_baseline_on_request(tmp_path):
    write_scene(tmp_path)
    sample = MiddleburyDataset(tmp_path, load_right=True)[0]
    assert sample["image_right"].shape == (3, 4, 5)
    assert sample["baseline"] == pytest.approx(0.176252)


def test_eth3d_reads_disp0GT_and_is_autodetected(tmp_path):
    write_scene(tmp_path / "delivery_area_1l", disparity_name="disp0GT.pfm")
    dataset = build_dataset(str(tmp_path))
    assert isinstance(dataset, Eth3dDataset)
    assert dataset[0]["meta"]["dataset"] == "eth3d"
    assert float(dataset[0]["depth"][0, 2, 2]) == pytest.approx(1.76252, rel=1e-6)


def test_scene_without_ground_truth_is_named(tmp_path):
    write_scene(tmp_path / "Australia")
    (tmp_path / "Australia" / "disp0.pfm").unlink()
    with pytest.raises(DatasetError, match=r"Australia/disp0.pfm: missing"):
        MiddleburyDataset(tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match=r"empty: no middlebury scenes found"):
        MiddleburyDataset(tmp_path / "empty")


def test_corrupt_disparity_is_reported_with_its_file(tmp_path):
    write_scene(tmp_path)
    (tmp_path / "disp0.pfm").write_bytes(b"garbage")
    with pytest.raises(DatasetError, match=r"disp0.pfm: not a PFM file") as caught:
        MiddleburyDataset(tmp_path)[0]
    assert caught.value.path.endswith("disp0.pfm")
