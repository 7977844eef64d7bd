from __future__ import annotations

import pickle

import h5py
import numpy as np
import pytest
from PIL import Image

from monocle.io import (
    DepthFileError,
    NyuMat,
    read_kitti_depth,
    read_middlebury_calib,
    read_middlebury_depth,
    read_nyu_png_depth,
    read_sunrgbd_depth,
    read_tum_depth,
    write_pfm,
)


def _png16(path, codes) -> str:
    Image.fromarray(np.asarray(codes, dtype=np.uint16)).save(path)
    return path


@pytest.mark.parametrize(
    ("reader", "codes", "metres"),
    [
        (read_kitti_depth, [[2560, 0, 256, 65535]], [[10.0, 0.0, 1.0, 255.99609375]]),
        (read_tum_depth, [[5000, 0, 2500, 12345]], [[1.0, 0.0, 0.5, 2.469]]),
        (read_nyu_png_depth, [[1234, 0, 10000, 1]], [[1.234, 0.0, 10.0, 0.001]]),
        # Rotated right by 3 bits: 9872 -> 1234 mm; 64000 -> 8000 mm; code 1 -> 1 << 13 = 8192 mm.
        (read_sunrgbd_depth, [[9872, 0, 64000, 1]], [[1.234, 0.0, 8.0, 8.192]]),
    ],
)
def test_png_conventions_decode_to_metres(tmp_path, reader, codes, metres):
    depth, valid = reader(_png16(tmp_path / "depth.png", codes))

    assert depth.dtype == np.float32 and valid.dtype == np.bool_
    np.testing.assert_allclose(depth, metres, rtol=1e-6)
    np.testing.assert_array_equal(valid, [[True, False, True, True]])


def test_sunrgbd_rotation_matches_toolbox_formula(tmp_path):
    codes = np.arange(0, 65536, 97, dtype=np.uint16).reshape(1, -1)
    depth, _ = read_sunrgbd_depth(_png16(tmp_path / "sun.png", codes))
    expected = [((int(v) >> 3) | (int(v) << 13)) & 0xFFFF for v in codes[0]]
    np.testing.assert_allclose(depth[0] * 1000, expected, rtol=1e-6)


def test_eight_bit_png_is_refused_with_the_dataset_named(tmp_path):
    path = tmp_path / "rgb.png"
    Image.new("RGB", (2, 2)).save(path)
    with pytest.raises(DepthFileError, match=r"rgb\.png: expected a 16-bit .*KITTI depth"):
        read_kitti_depth(path)
    with pytest.raises(DepthFileError, match="not found"):
        read_tum_depth(tmp_path / "missing.png")


CALIB = """cam0=[3997.684 0 1.5; 0 3997.684 1.0; 0 0 1]
cam1=[3997.684 0 131.111; 0 3997.684 1.0; 0 0 1]
doffs=131.111
baseline=193.001
width=3
height=2
ndisp=280
isint=0
"""


def test_middlebury_calib(tmp_path):
    (tmp_path / "calib.txt").write_text(CALIB)
    calib = read_middlebury_calib(tmp_path / "calib.txt")
    np.testing.assert_array_equal(calib["K"], [[3997.684, 0, 1.5], [0, 3997.684, 1.0], [0, 0, 1]])
    assert calib["doffs"] == 131.111
    assert calib["baseline_m"] == pytest.approx(0.193001)
    assert (calib["width"], calib["height"], calib["ndisp"]) == (3, 2, 280)

    (tmp_path / "bad.txt").write_text("cam0=[1 0 0; 0 1 0; 0 0 1]\nwidth=3\n")
    with pytest.raises(DepthFileError, match=r"bad\.txt: calib\.txt lacks doffs, baseline, height"):
        read_middlebury_calib(tmp_path / "bad.txt")


def test_middlebury_depth(tmp_path):
    (tmp_path / "calib.txt").write_text(CALIB)
    disparity = np.array([[100.0, np.inf, 268.889], [0.0, -131.5, -200.0]], dtype=np.float32)
    write_pfm(tmp_path / "disp0.pfm", disparity)

    depth, valid = read_middlebury_depth(tmp_path / "disp0.pfm", tmp_path / "calib.txt")

    # Z = 0.193001 m * 3997.684 px / (d + 131.111 px), worked out by hand:
    # baseline * f = 0.193001 * 3997.684 = 771.557010, so
    #   d = 100     -> 771.557010 / 231.111 = 3.338470 m
    #   d = 268.889 -> 771.557010 / 400.000 = 1.928893 m
    #   d = 0       -> 771.557010 / 131.111 = 5.884762 m
    #   d = -131.5, -200 -> d + doffs <= 0: invalid; inf: invalid
    np.testing.assert_allclose(depth[valid], [3.338470, 1.928893, 5.884762], rtol=1e-6)
    np.testing.assert_array_equal(valid, [[True, False, True], [True, False, False]])
    assert np.all(depth[~valid] == 0)


def test_middlebury_resolution_mismatch(tmp_path):
    (tmp_path / "calib.txt").write_text(CALIB)
    write_pfm(tmp_path / "disp0.pfm", np.ones((4, 6), dtype=np.float32))
    with pytest.raises(DepthFileError, match=r"disparity is 6x4 but .*describes 3x2"):
        read_middlebury_depth(tmp_path / "disp0.pfm", tmp_path / "calib.txt")


@pytest.fixture
def nyu_file(tmp_path):
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (2, 4, 5, 3), dtype=np.uint8)  # (N, H, W, 3)
    depth = rng.uniform(0.5, 10.0, (2, 4, 5)).astype(np.float32)  # (N, H, W)
    path = tmp_path / "nyu_depth_v2_labeled.mat"
    with h5py.File(path, "w") as f:
        # What h5py sees in the official MATLAB v7.3 file: column-major, so axes reversed.
        f["images"] = rgb.transpose(0, 3, 2, 1)  # (N, 3, W, H)
        f["depths"] = depth.transpose(0, 2, 1)  # (N, W, H)
        f["labels"] = np.zeros((2, 5, 4), dtype=np.uint16)
    return path, rgb, depth


def test_nyu_mat_items_are_upright(nyu_file):
    path, rgb, depth = nyu_file
    with NyuMat(path) as nyu:
        assert len(nyu) == 2
        for index in (0, 1, -1):
            image, metres = nyu[index]
            assert image.shape == (4, 5, 3) and image.dtype == np.uint8
            assert metres.shape == (4, 5) and metres.dtype == np.float32
            np.testing.assert_array_equal(image, rgb[index])
            np.testing.assert_array_equal(metres, depth[index])
        with pytest.raises(IndexError):
            nyu[2]


def test_nyu_mat_is_lazy_and_picklable(nyu_file):
    path, rgb, _ = nyu_file
    nyu = NyuMat(path)
    assert nyu._file is None  # nothing opened yet
    nyu[0]
    copy = pickle.loads(pickle.dumps(nyu))
    np.testing.assert_array_equal(copy[1][0], rgb[1])
    nyu.close()
    copy.close()


def test_nyu_mat_errors(tmp_path):
    with pytest.raises(DepthFileError, match="not found"):
        NyuMat(tmp_path / "absent.mat")
    with h5py.File(tmp_path / "other.mat", "w") as f:
        f["rgb"] = np.zeros((1, 2, 2), np.uint8)
    with pytest.raises(DepthFileError, match=r"other\.mat: lacks images, depths \(has \['rgb'\]\)"):
        len(NyuMat(tmp_path / "other.mat"))
    (tmp_path / "text.mat").write_text("MATLAB 5.0 MAT-file")
    with pytest.raises(DepthFileError, match="not an HDF5"):
        NyuMat(tmp_path / "text.mat")[0]
