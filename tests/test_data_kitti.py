"""KITTI raw + annotated depth against a tiny tree in the official layout."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from monocle.data import DatasetError, KittiDataset, build_dataset, read_kitti_calib

# Lines as in the official 2011_09_26/calib_cam_to_cam.txt (shortened to what matters here).
CALIB = """calib_time: 09-Jan-2012 13:57:47
corner_dist: 9.950000e-02
S_00: 1.392000e+03 5.120000e+02
S_rect_02: 1.242000e+03 3.750000e+02
R_rect_02: 9.998817e-01 1.511453e-02 -2.841595e-03 -1.511724e-02 9.998853e-01 -9.338510e-04 2.827154e-03 9.766976e-04 9.999955e-01
P_rect_02: 7.215377e+02 0.000000e+00 6.095593e+02 4.485728e+01 0.000000e+00 7.215377e+02 1.728540e+02 2.163791e-01 0.000000e+00 0.000000e+00 1.000000e+00 2.745884e-03
S_rect_03: 1.242000e+03 3.750000e+02
P_rect_03: 7.215377e+02 0.000000e+00 6.095593e+02 -3.395242e+02 0.000000e+00 7.215377e+02 1.728540e+02 2.199936e+00 0.000000e+00 0.000000e+00 1.000000e+00 2.729905e-03
"""  # noqa: E501
DRIVE = "2011_09_26_drive_0002_sync"


def write_frame(raw, ann, camera, frame, size=(375, 1242), subset="val", depth_m=None):
    height, width = size
    image = np.zeros((height, width, 3), dtype=np.uint8)
    image[:, :, 1] = (np.arange(width) % 256)[None, :]
    image_dir = raw / "2011_09_26" / DRIVE / camera / "data"
    image_dir.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(image_dir / f"{frame:010d}.png"), image)
    if depth_m is None:
        codes = np.zeros((height, width), dtype=np.uint16)
        codes[200:, ::7] = 256 * 12 + 128  # sparse lidar rows: 12.5 m
        codes[300, 700] = 256 * 90  # 90 m: beyond KITTI's 80 m
    else:
        codes = np.full((height, width), depth_m * 256, dtype=np.uint16)
    depth_dir = ann / subset / DRIVE / "proj_depth" / "groundtruth" / camera
    depth_dir.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(depth_dir / f"{frame:010d}.png"), codes)


@pytest.fixture
def kitti(tmp_path):
    raw, ann = tmp_path / "raw", tmp_path / "ann"
    write_frame(raw, ann, "image_02", 69)
    write_frame(raw, ann, "image_02", 70)
    write_frame(raw, ann, "image_03", 69)
    (raw / "2011_09_26" / "calib_cam_to_cam.txt").write_text(CALIB)
    return raw, ann


def test_calib_parser_reads_projection_matrices(kitti):
    raw, _ = kitti
    calib = read_kitti_calib(raw / "2011_09_26" / "calib_cam_to_cam.txt")
    assert calib["P_rect_02"].shape == (3, 4) and calib["P_rect_02"][0, 3] == 44.85728
    assert calib["S_rect_02"].tolist() == [1242.0, 375.0]


def test_eigen_split_file_metres_K_and_camera(kitti, tmp_path):
    raw, ann = kitti
    split = tmp_path / "eigen_test_files.txt"
    split.write_text(f"2011_09_26/{DRIVE} 0000000069 l\n2011_09_26/{DRIVE} 0000000069 r\n")
    dataset = KittiDataset(raw, depth_root=ann, split_file=split)
    assert len(dataset) == 2
    left, right = dataset[0], dataset[1]
    assert left["image"].shape == (3, 375, 1242)
    assert left["meta"]["id"] == f"{DRIVE}/image_02/0000000069"
    assert right["meta"]["id"] == f"{DRIVE}/image_03/0000000069"
    assert float(left["depth"][0, 210, 14]) == 12.5
    assert not left["valid"][0, 210, 15]  # no lidar point: stays invalid (sparse)
    assert not left["valid"][0, 300, 700]  # 90 m > 80 m
    assert left["valid"].float().mean() < 0.1
    np.testing.assert_allclose(
        left["K"].numpy(), [[721.5377, 0, 609.5593], [0, 721.5377, 172.854], [0, 0, 1]], rtol=1e-6
    )


def test_scan_mode_lists_every_annotated_frame_of_the_split(kitti):
    raw, ann = kitti
    dataset = KittiDataset(raw, depth_root=ann, split="val")
    assert len(dataset) == 3
    with pytest.raises(DatasetError, match=r"no KITTI frames with annotated depth"):
        KittiDataset(raw, depth_root=ann, split="train")


def test_kb_crop_shifts_the_principal_point(kitti):
    raw, ann = kitti
    sample = KittiDataset(raw, depth_root=ann, split="val", crop="kb")[0]
    assert sample["image"].shape == (3, 352, 1216)
    assert float(sample["K"][0, 2]) == pytest.approx(609.5593 - 13)
    assert float(sample["K"][1, 2]) == pytest.approx(172.854 - 23)
    assert float(sample["depth"][0, 210 - 23, 14 - 13]) == 12.5


def test_K_follows_an_image_smaller_than_the_rectified_size(tmp_path):
    raw, ann = tmp_path / "raw", tmp_path / "ann"
    write_frame(raw, ann, "image_02", 5, size=(375 // 3, 1242 // 3), depth_m=4.0)
    (raw / "2011_09_26" / "calib_cam_to_cam.txt").write_text(CALIB)
    sample = build_dataset(f"kitti:{raw}?depth_root={ann}&split=val")[0]
    assert float(sample["K"][0, 0]) == pytest.approx(721.5377 / 3, rel=1e-6)
    assert float(sample["K"][0, 2]) == pytest.approx((609.5593 + 0.5) / 3 - 0.5, rel=1e-6)


def test_missing_annotation_or_calib_is_explained(kitti, tmp_path):
    raw, ann = kitti
    split = tmp_path / "split.txt"
    split.write_text(f"2011_09_26/{DRIVE} 0000000099 l\n2011_09_26/{DRIVE} 0000000070 l\n")
    with pytest.raises(DatasetError, match=r"split.txt:1: no annotated depth.*missing='skip'"):
        KittiDataset(raw, depth_root=ann, split_file=split)
    assert len(KittiDataset(raw, depth_root=ann, split_file=split, missing="skip")) == 1
    split.write_text("2011_09_26_drive_0002_sync 69\n")
    with pytest.raises(DatasetError, match=r"expected 'DATE/DRIVE FRAME l|r'"):
        KittiDataset(raw, depth_root=ann, split_file=split)
    (raw / "2011_09_26" / "calib_cam_to_cam.txt").unlink()
    with pytest.raises(DatasetError, match=r"calib_cam_to_cam.txt not found"):
        KittiDataset(raw, depth_root=ann, split="val")[0]
