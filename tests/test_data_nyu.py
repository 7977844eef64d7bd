"""NYUv2 loaders on tiny files in the official formats (.mat as HDF5, splits.mat, PNG export)."""

from __future__ import annotations

import cv2
import h5py
import numpy as np
import pytest
import scipy.io

from monocle.data import NYU_K, DatasetError, NyuFolderDataset, NyuMatDataset, build_dataset
from monocle.io import write_image
from test_data_fixtures import rgb_pattern

FRAMES = 4


@pytest.fixture(scope="module")
def nyu_mat(tmp_path_factory):
    """A 4-frame labelled .mat in the official layout: MATLAB column-major, as h5py sees it."""
    folder = tmp_path_factory.mktemp("nyu")
    rgbs = np.stack([rgb_pattern(480, 640, seed=i) for i in range(FRAMES)])
    rows = np.arange(480, dtype=np.float32)[:, None]
    cols = np.arange(640, dtype=np.float32)[None, :]
    depths = np.stack([1.0 + i + rows / 100.0 + cols / 1000.0 for i in range(FRAMES)])
    depths[0, 0, 0] = 0.0  # invalid
    depths[1, 0, 0] = 12.0  # beyond NYU's 10 m
    with h5py.File(folder / "nyu_depth_v2_labeled.mat", "w") as f:
        f["images"] = rgbs.transpose(0, 3, 2, 1)  # (N, 3, W, H)
        f["depths"] = depths.transpose(0, 2, 1).astype(np.float32)  # (N, W, H)
    # Official split: 1-based column vectors; frames 2 and 4 are the test set here.
    scipy.io.savemat(
        folder / "splits.mat",
        {"trainNdxs": np.array([[1], [3]], dtype=np.uint16), "testNdxs": np.array([[2], [4]])},
    )
    return folder, rgbs, depths


def test_mat_official_split_orientation_metres_and_K(nyu_mat):
    folder, rgbs, _ = nyu_mat
    test = NyuMatDataset(folder / "nyu_depth_v2_labeled.mat", split="test")
    train = NyuMatDataset(folder / "nyu_depth_v2_labeled.mat", split="train")
    assert len(test) == 2 and len(train) == 2
    sample = test[0]  # frame 2 (1-based)
    assert sample["meta"]["id"] == "2" and sample["meta"]["dataset"] == "nyu"
    np.testing.assert_array_equal(
        (sample["image"].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8), rgbs[1]
    )
    assert float(sample["depth"][0, 10, 20]) == pytest.approx(1.0 + 1 + 0.1 + 0.02)
    assert not sample["valid"][0, 0, 0]  # 12 m is outside (1e-3, 10]
    assert sample["K"].numpy().tolist() == NYU_K.tolist()
    assert train[1]["meta"]["id"] == "3"
    assert not train[0]["valid"][0, 0, 0]


def test_mat_eigen_crop_cuts_pixels_and_shifts_K(nyu_mat):
    folder, _, depths = nyu_mat
    dataset = NyuMatDataset(folder / "nyu_depth_v2_labeled.mat", split="all", crop="eigen")
    sample = dataset[2]
    assert sample["image"].shape == (3, 426, 560)
    assert float(sample["depth"][0, 0, 0]) == pytest.approx(depths[2, 45, 41])
    assert float(sample["K"][0, 2]) == pytest.approx(325.5824 - 41)
    assert float(sample["K"][1, 2]) == pytest.approx(253.7362 - 45)
    border = NyuMatDataset(folder / "nyu_depth_v2_labeled.mat", split="all", crop="border")
    assert border[0]["depth"].shape == (1, 460, 620)


def test_mat_split_requires_splits_mat(tmp_path, nyu_mat):
    folder, _, _ = nyu_mat
    (tmp_path / "nyu.mat").write_bytes((folder / "nyu_depth_v2_labeled.mat").read_bytes())
    with pytest.raises(DatasetError, match=r"splits.mat not found.*split='all'"):
        NyuMatDataset(tmp_path / "nyu.mat", split="test")
    assert len(NyuMatDataset(tmp_path / "nyu.mat", split="all")) == FRAMES
    with pytest.raises(DatasetError, match=r"split 'val' is unknown"):
        NyuMatDataset(tmp_path / "nyu.mat", split="val")


def test_mat_missing_or_wrong_file(tmp_path):
    with pytest.raises(DatasetError, match=r"not found"):
        NyuMatDataset(tmp_path / "absent.mat", split="all")
    (tmp_path / "bad.mat").write_bytes(b"not hdf5")
    with pytest.raises(DatasetError, match=r"bad.mat"):
        NyuMatDataset(tmp_path / "bad.mat", split="all")


def write_export(root, scene, number, depth_mm, size=(6, 8)):
    write_image(root / scene / f"rgb_{number:05d}.png", rgb_pattern(*size, seed=number))
    cv2.imwrite(str(root / scene / f"sync_depth_{number:05d}.png"), depth_mm.astype(np.uint16))


def test_folder_export_scanned_and_millimetres_decoded(tmp_path):
    depth_mm = np.full((6, 8), 2500, dtype=np.uint16)
    depth_mm[0, 0] = 0
    write_export(tmp_path, "kitchen_0028b", 45, depth_mm)
    write_export(tmp_path, "bathroom", 3, depth_mm // 2)
    dataset = NyuFolderDataset(tmp_path)
    assert [dataset[i]["meta"]["id"] for i in range(2)] == [
        "bathroom/rgb_00003",
        "kitchen_0028b/rgb_00045",
    ]
    sample = dataset[1]
    assert float(sample["depth"][0, 1, 1]) == pytest.approx(2.5)
    assert not sample["valid"][0, 0, 0]
    assert sample["K"].numpy().tolist() == NYU_K.tolist()
    assert build_dataset(str(tmp_path)).__class__ is NyuFolderDataset


def test_folder_split_file_with_focal_column(tmp_path):
    write_export(tmp_path, "office", 7, np.full((6, 8), 1000))
    split = tmp_path / "nyudepthv2_test_files_with_gt.txt"
    split.write_text(
        "/office/rgb_00007.png /office/sync_depth_00007.png 518.8579\n"
        "office/rgb_00007.png office/sync_depth_00007.png 500.0\n"
    )
    dataset = NyuFolderDataset(tmp_path, split_file=split)
    assert len(dataset) == 2
    assert float(dataset[0]["K"][0, 0]) == pytest.approx(518.8579)
    assert float(dataset[1]["K"][0, 0]) == 500.0 and float(dataset[1]["K"][1, 1]) == 500.0


def test_folder_errors_name_the_folder_or_file(tmp_path):
    with pytest.raises(DatasetError, match=rf"{tmp_path}: no NYUv2 pairs found"):
        NyuFolderDataset(tmp_path)
    split = tmp_path / "split.txt"
    split.write_text("a.png b.png\n")
    with pytest.raises(DatasetError, match=r"split.txt:1: .*a.png not found"):
        NyuFolderDataset(tmp_path, split_file=split)
    split.write_text("only-one-field\n")
    with pytest.raises(DatasetError, match=r"split.txt:1: expected 'RGB_PATH DEPTH_PATH"):
        NyuFolderDataset(tmp_path, split_file=split)
