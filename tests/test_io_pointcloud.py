from __future__ import annotations

import struct

import numpy as np
import pytest

from monocle.io import DepthFileError, read_ply, write_ply

POINTS = np.array([[0.0, 1.5, -2.0], [3.25, 4.0, 5.0], [-1.0, 0.0, 1e-3]], dtype=np.float32)
COLORS = np.array([[255, 0, 10], [1, 2, 3], [0, 128, 255]], dtype=np.uint8)


def test_round_trip_with_and_without_colors(tmp_path):
    points, colors = read_ply(write_ply(tmp_path / "nested" / "cloud.ply", POINTS, COLORS))
    np.testing.assert_array_equal(points, POINTS)
    np.testing.assert_array_equal(colors, COLORS)
    assert points.dtype == np.float32 and colors.dtype == np.uint8

    points, colors = read_ply(write_ply(tmp_path / "plain.ply", POINTS.astype(np.float64)))
    np.testing.assert_array_equal(points, POINTS)
    assert colors is None


def test_file_is_a_valid_binary_little_endian_ply(tmp_path):
    data = write_ply(tmp_path / "cloud.ply", POINTS, COLORS).read_bytes()
    header = (
        b"ply\nformat binary_little_endian 1.0\nelement vertex 3\n"
        b"property float x\nproperty float y\nproperty float z\n"
        b"property uchar red\nproperty uchar green\nproperty uchar blue\nend_header\n"
    )
    assert data.startswith(header)
    body = data[len(header) :]
    assert len(body) == 3 * (3 * 4 + 3)
    assert body[:15] == struct.pack("<fffBBB", 0.0, 1.5, -2.0, 255, 0, 10)


def test_empty_cloud(tmp_path):
    points, colors = read_ply(write_ply(tmp_path / "empty.ply", np.zeros((0, 3)), None))
    assert points.shape == (0, 3) and colors is None


def test_reads_ascii_and_big_endian_files_with_faces(tmp_path):
    ascii_ply = tmp_path / "ascii.ply"
    ascii_ply.write_text(
        "ply\nformat ascii 1.0\ncomment made by hand\nelement vertex 2\n"
        "property float x\nproperty float y\nproperty float z\n"
        "property uchar red\nproperty uchar green\nproperty uchar blue\n"
        "element face 1\nproperty list uchar int vertex_indices\nend_header\n"
        "1 2 3 10 20 30\n-4 5.5 6 40 50 60\n3 0 1 1\n"
    )
    points, colors = read_ply(ascii_ply)
    np.testing.assert_array_equal(points, [[1, 2, 3], [-4, 5.5, 6]])
    np.testing.assert_array_equal(colors, [[10, 20, 30], [40, 50, 60]])

    big = tmp_path / "big.ply"
    big.write_bytes(
        b"ply\nformat binary_big_endian 1.0\nelement vertex 1\n"
        b"property double x\nproperty double y\nproperty double z\nend_header\n"
        + struct.pack(">ddd", 1.0, -2.0, 0.5)
    )
    points, colors = read_ply(big)
    np.testing.assert_array_equal(points, [[1.0, -2.0, 0.5]])
    assert colors is None


def test_bad_inputs(tmp_path):
    with pytest.raises(ValueError, match=r"points must be a real \(N, 3\) array"):
        write_ply(tmp_path / "a.ply", np.zeros((3, 2)))
    with pytest.raises(ValueError, match="colors must be uint8"):
        write_ply(tmp_path / "a.ply", POINTS, COLORS.astype(np.float32))
    (tmp_path / "not.ply").write_text("hello")
    with pytest.raises(DepthFileError, match=r"not\.ply: not a PLY file"):
        read_ply(tmp_path / "not.ply")
    data = write_ply(tmp_path / "cut.ply", POINTS).read_bytes()
    (tmp_path / "cut.ply").write_bytes(data[:-4])
    with pytest.raises(DepthFileError, match=r"cut\.ply: PLY vertex data is truncated"):
        read_ply(tmp_path / "cut.ply")
