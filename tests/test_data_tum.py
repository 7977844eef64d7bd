"""TUM RGB-D: association text files, uint16/5000 depth and per-Kinect intrinsics."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from monocle.data import DatasetError, TumDataset, associate_timestamps, build_dataset
from monocle.io import write_image

HEADER = "# color images\n# file: 'rgbd_dataset_freiburg1_xyz.bag'\n# timestamp filename\n"


def test_association_is_one_to_one_closest_first():
    rgb = [1.000, 1.010, 1.100, 2.000]
    depth = [1.004, 1.012, 1.125, 2.030]
    # 1.010 is closest to 1.012 (gap 0.002) and takes it; 1.000 then gets 1.004;
    # 1.100 -> 1.125 is 0.025 apart and 2.000 -> 2.030 is 0.030: both beyond 0.02 s.
    assert associate_timestamps(rgb, depth, 0.02) == [(0, 0), (1, 1)]
    assert associate_timestamps([1.0], [1.001, 0.999], 0.02) in ([(0, 0)], [(0, 1)])
    # One depth frame is never shared: the farther RGB frame goes unpaired.
    assert associate_timestamps([1.000, 1.003], [1.002], 0.02) == [(1, 0)]


def write_sequence(folder, rgb_stamps, depth_stamps, metres=1.5):
    lines_rgb, lines_depth = [HEADER], [HEADER.replace("color", "depth")]
    for stamp in rgb_stamps:
        name = f"rgb/{stamp:.6f}.png"
        write_image(folder / name, np.full((6, 8, 3), 90, dtype=np.uint8))
        lines_rgb.append(f"{stamp:.6f} {name}\n")
    for stamp in depth_stamps:
        name = f"depth/{stamp:.6f}.png"
        codes = np.full((6, 8), metres * 5000, dtype=np.uint16)
        codes[0, :] = 0
        (folder / "depth").mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(folder / name), codes)
        lines_depth.append(f"{stamp:.6f} {name}\n")
    (folder / "rgb.txt").write_text("".join(lines_rgb))
    (folder / "depth.txt").write_text("".join(lines_depth))


def test_sequence_decodes_metres_and_uses_the_freiburg1_K(tmp_path):
    sequence = tmp_path / "rgbd_dataset_freiburg1_desk"
    write_sequence(
        sequence, [1305031102.175304, 1305031102.211214], [1305031102.160407, 1305031102.2]
    )
    dataset = TumDataset(sequence)
    assert len(dataset) == 2
    sample = dataset[0]
    assert float(sample["depth"][0, 3, 3]) == pytest.approx(1.5)
    assert not sample["valid"][0, 0].any() and bool(sample["valid"][0, 1:].all())
    np.testing.assert_allclose(
        sample["K"].numpy(), [[517.3, 0.0, 318.6], [0.0, 516.5, 255.3], [0.0, 0.0, 1.0]], rtol=1e-6
    )
    assert sample["meta"]["id"] == "rgbd_dataset_freiburg1_desk/1305031102.175304"


def test_folder_of_sequences_and_default_K(tmp_path):
    write_sequence(tmp_path / "rgbd_dataset_freiburg3_office", [10.0], [10.01])
    write_sequence(tmp_path / "my_kinect_capture", [5.0, 6.0], [5.001, 6.5])
    dataset = build_dataset(str(tmp_path))
    assert isinstance(dataset, TumDataset) and len(dataset) == 2
    ids = [dataset[i]["meta"]["id"] for i in range(2)]
    assert ids == ["my_kinect_capture/5.000000", "rgbd_dataset_freiburg3_office/10.000000"]
    assert dataset[0]["K"][0].tolist() == [525.0, 0.0, 319.5]
    assert dataset[1]["K"][1].tolist() == pytest.approx([0.0, 539.2, 247.6])


def test_no_pairs_or_bad_lines_are_explained(tmp_path):
    write_sequence(tmp_path / "seq", [1.0], [2.0])
    with pytest.raises(DatasetError, match=r"no RGB/depth pairs within 0.02 s"):
        TumDataset(tmp_path / "seq")
    (tmp_path / "seq" / "rgb.txt").write_text("# header\n1.0\n")
    with pytest.raises(DatasetError, match=r"rgb.txt:2: expected 'timestamp filename'"):
        TumDataset(tmp_path / "seq")
    with pytest.raises(DatasetError, match=r"no TUM sequence found"):
        TumDataset(tmp_path / "seq" / "rgb")
