from __future__ import annotations

import json

import numpy as np
import OpenEXR
import pytest
import tifffile
from PIL import Image

from monocle.io import (
    DepthFileError,
    read_depth,
    read_pfm,
    write_depth,
    write_pfm,
)
from monocle.io.atomic import atomic_path

K = [[500.0, 0.0, 2.5], [0.0, 510.0, 1.5], [0.0, 0.0, 1.0]]


@pytest.fixture
def depth() -> tuple[np.ndarray, np.ndarray]:
    values = np.linspace(0.5, 20.0, 20, dtype=np.float32).reshape(4, 5)
    values[0, 1] = np.nan
    values[2, 3] = np.inf
    return values, np.isfinite(values)


@pytest.mark.parametrize(
    ("suffix", "file_format", "carries_meta"),
    [
        (".pfm", "pfm", False),
        (".npy", "npy", False),
        (".npz", "npz", True),
        (".tif", "tiff", True),
        (".tiff", "tiff", True),
        (".exr", "exr", True),
    ],
)
def test_float_formats_round_trip_exactly(tmp_path, depth, suffix, file_format, carries_meta):
    values, valid = depth
    path = write_depth(tmp_path / f"out{suffix}", values, kind="disparity", unit="px", K=K)

    read_values, read_valid, meta = read_depth(path)

    assert read_values.dtype == np.float32 and read_valid.dtype == np.bool_
    np.testing.assert_array_equal(read_valid, valid)
    np.testing.assert_array_equal(read_values, np.where(valid, values, 0))
    assert meta["format"] == file_format
    if carries_meta:
        assert (meta["kind"], meta["unit"], meta["K"]) == ("disparity", "px", K)
    else:
        assert (meta["kind"], meta["unit"], meta["K"]) == (None, None, None)


def test_png16_round_trip_within_half_a_step(tmp_path, depth):
    values, valid = depth
    path = write_depth(tmp_path / "depth.png", values, kind="metric", unit="m", K=K)

    read_values, read_valid, meta = read_depth(path)

    step = (20.0 - 0.5) / 65534
    np.testing.assert_array_equal(read_valid, valid)
    assert np.abs(read_values[valid] - values[valid]).max() <= step / 2 + 1e-6
    assert np.all(read_values[~valid] == 0)
    assert (meta["kind"], meta["unit"], meta["K"], meta["format"]) == ("metric", "m", K, "png16")

    # A plain viewer sees a 16-bit grayscale image; min and max span the whole code range.
    with Image.open(path) as image:
        assert image.mode == "I;16" and image.size == (5, 4)
        codes = np.asarray(image)
        chunk = json.loads(image.text["monocle.depth"])
    assert codes[~valid].tolist() == [0, 0]
    assert codes[valid].min() == 1 and codes[valid].max() == 65535
    assert chunk["scale"] == pytest.approx(step)


def test_png16_constant_and_empty_maps(tmp_path):
    constant = np.full((3, 2), 3.25, dtype=np.float32)
    values, valid, _ = read_depth(write_depth(tmp_path / "constant.png", constant))
    np.testing.assert_array_equal(values, constant)
    assert valid.all()

    values, valid, meta = read_depth(write_depth(tmp_path / "empty.png", np.full((2, 2), np.nan)))
    assert not valid.any() and not values.any() and meta["kind"] == "metric"


def test_png16_from_another_tool_is_read_as_raw_codes(tmp_path):
    codes = np.array([[0, 1000], [65535, 7]], dtype=np.uint16)
    path = tmp_path / "foreign.png"
    Image.fromarray(codes).save(path)

    values, valid, meta = read_depth(path)

    np.testing.assert_array_equal(values, codes.astype(np.float32))
    np.testing.assert_array_equal(valid, codes != 0)
    assert meta == {"kind": None, "unit": None, "K": None, "format": "png16"}


def test_explicit_valid_mask_is_kept(tmp_path):
    values = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)
    valid = np.array([[True, False], [True, True]])
    for suffix in (".png", ".npz", ".exr"):
        read_values, read_valid, _ = read_depth(write_depth(tmp_path / f"v{suffix}", values, valid))
        np.testing.assert_array_equal(read_valid, valid)
        assert read_values[0, 1] == 0


def test_eight_bit_png_is_not_depth(tmp_path):
    path = tmp_path / "preview.png"
    Image.fromarray(np.zeros((2, 2), np.uint8)).save(path)
    with pytest.raises(DepthFileError, match=r"preview\.png: expected a 16-bit .*supported: \.png"):
        read_depth(path)


def test_unknown_suffix_and_missing_file(tmp_path):
    with pytest.raises(DepthFileError, match=r"depth\.jpg: unknown depth file suffix .*\.pfm"):
        write_depth(tmp_path / "depth.jpg", np.ones((2, 2)))
    with pytest.raises(DepthFileError, match=r"depth\.bmp: unknown depth file suffix"):
        read_depth(tmp_path / "depth.bmp")
    with pytest.raises(DepthFileError, match=r"gone\.npy: depth file not found"):
        read_depth(tmp_path / "gone.npy")


def test_bad_arguments_are_refused(tmp_path):
    path = tmp_path / "d.npz"
    with pytest.raises(DepthFileError, match=r"shape \(H, W\), got float64 \(1, 2, 2\)"):
        write_depth(path, np.ones((1, 2, 2)))
    with pytest.raises(DepthFileError, match="marked valid but hold NaN"):
        write_depth(path, np.array([[np.nan, 1.0]]), np.array([[True, True]]))
    with pytest.raises(DepthFileError, match="valid must be a bool array"):
        write_depth(path, np.ones((2, 2)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="kind must be one of"):
        write_depth(path, np.ones((2, 2)), kind="inverse")
    with pytest.raises(ValueError, match="K must be a finite 3x3"):
        write_depth(path, np.ones((2, 2)), K=np.eye(2))
    assert not path.exists()


def test_npz_holds_plain_arrays_and_refuses_pickles(tmp_path, depth):
    values, _ = depth
    path = write_depth(tmp_path / "d.npz", values, kind="relative", unit=None)
    with np.load(path, allow_pickle=False) as archive:
        assert sorted(archive.files) == ["kind", "valid", "values"]
        assert str(archive["kind"]) == "relative"
    assert read_depth(path)[2]["unit"] is None

    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, values=np.array([object()], dtype=object))
    with pytest.raises(DepthFileError, match=r"pickled\.npz: holds pickled objects"):
        read_depth(pickled)


def test_foreign_numpy_and_tiff_and_exr_files(tmp_path):
    plane = np.arange(6, dtype=np.float64).reshape(2, 3)
    np.save(tmp_path / "batch.npy", plane[None])
    values, valid, _ = read_depth(tmp_path / "batch.npy")
    np.testing.assert_array_equal(values, plane)
    assert valid.all()

    tifffile.imwrite(tmp_path / "plain.tif", plane.astype(np.float32))
    assert read_depth(tmp_path / "plain.tif")[2]["kind"] is None
    tifffile.imwrite(tmp_path / "codes.tif", plane.astype(np.uint16))
    with pytest.raises(DepthFileError, match=r"codes\.tif: TIFF depth must be floating point"):
        read_depth(tmp_path / "codes.tif")

    header = {"compression": OpenEXR.NO_COMPRESSION, "type": OpenEXR.scanlineimage}
    single = plane.astype(np.float32)
    OpenEXR.File(header, {"Y": single}).write(str(tmp_path / "y.exr"))
    np.testing.assert_array_equal(read_depth(tmp_path / "y.exr")[0], single)
    OpenEXR.File(header, {"R": single, "G": single}).write(str(tmp_path / "rg.exr"))
    with pytest.raises(DepthFileError, match=r"rg\.exr: EXR has channels \['G', 'R'\]"):
        read_depth(tmp_path / "rg.exr")


def test_corrupt_files_raise_depth_file_error(tmp_path):
    for name in ("bad.png", "bad.tif", "bad.exr", "bad.npy", "bad.pfm"):
        (tmp_path / name).write_bytes(b"garbage, not a depth file")
        with pytest.raises(DepthFileError, match=name.replace(".", r"\.")):
            read_depth(tmp_path / name)


def test_writes_are_atomic(tmp_path):
    target = tmp_path / "depth.npy"
    write_depth(target, np.ones((2, 2)))
    write_depth(target, np.full((2, 2), 2.0))  # overwrite in place
    assert read_depth(target)[0].tolist() == [[2.0, 2.0], [2.0, 2.0]]

    with pytest.raises(RuntimeError), atomic_path(target) as temporary:
        temporary.write_bytes(b"half")
        raise RuntimeError("writer crashed")
    assert read_depth(target)[0][0, 0] == 2.0
    assert [p.name for p in tmp_path.iterdir()] == ["depth.npy"]


def test_pfm_round_trip_gray_and_colour(tmp_path):
    gray = np.arange(6, dtype=np.float32).reshape(2, 3)
    colour = np.arange(18, dtype=np.float32).reshape(2, 3, 3)
    for array in (gray, colour):
        read, scale = read_pfm(write_pfm(tmp_path / "a.pfm", array))
        np.testing.assert_array_equal(read, array)
        assert scale == 1.0
    data = (tmp_path / "a.pfm").read_bytes()
    assert data.startswith(b"PF\n3 2\n-1.0\n")
    with pytest.raises(DepthFileError, match="colour PFM"):
        read_depth(tmp_path / "a.pfm")


def test_pfm_big_endian_bottom_to_top(tmp_path):
    path = tmp_path / "big.pfm"
    # Rows are stored bottom first: the first stored row (1, 2) is the image's last row.
    path.write_bytes(b"Pf\n2 2\n2.5\n" + np.array([1, 2, 3, 4], dtype=">f4").tobytes())
    array, scale = read_pfm(path)
    np.testing.assert_array_equal(array, [[3, 4], [1, 2]])
    assert scale == 2.5 and array.dtype == np.float32 and array.dtype.isnative

    path.write_bytes(b"Pf 2 2 -1\n" + np.array([1, 2, 3, 4], dtype="<f4").tobytes())
    np.testing.assert_array_equal(read_pfm(path)[0], [[3, 4], [1, 2]])


def test_pfm_truncated_and_bad_header(tmp_path):
    path = tmp_path / "short.pfm"
    path.write_bytes(b"Pf\n4 4\n-1.0\n" + bytes(12))
    with pytest.raises(DepthFileError, match=r"short\.pfm: PFM data is truncated"):
        read_pfm(path)
    path.write_bytes(b"P6\n4 4\n255\n")
    with pytest.raises(DepthFileError, match=r"short\.pfm: not a PFM file"):
        read_pfm(path)
