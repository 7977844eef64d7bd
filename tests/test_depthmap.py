import numpy as np
import pytest

from monocle import DepthMap

K = np.array([[100.0, 0, 2.0], [0, 100.0, 1.5], [0, 0, 1]], np.float32)


def ramp(h=4, w=5):
    return (1.0 + np.arange(h * w, dtype=np.float32).reshape(h, w) / 10).astype(np.float32)


def test_kinds_and_default_units():
    assert DepthMap(ramp(), "metric").unit == "m"
    assert DepthMap(ramp(), "relative").unit == ""
    assert DepthMap(ramp(), "disparity").unit == ""
    with pytest.raises(ValueError, match="kind 'meters' is unknown"):
        DepthMap(ramp(), "meters")


def test_non_finite_and_non_positive_depth_are_invalid_and_zeroed():
    values = ramp()
    values[0, 0], values[0, 1], values[0, 2] = np.nan, np.inf, -1.0
    d = DepthMap(values, "metric")
    assert not d.valid[0, :3].any() and d.valid[0, 3:].all()
    assert (d.values[0, :3] == 0).all()


def test_shape_errors_name_the_problem():
    with pytest.raises(ValueError, match=r"\(H, W\) array"):
        DepthMap(np.zeros((2, 3, 4)), "metric")
    with pytest.raises(ValueError, match="valid mask has shape"):
        DepthMap(ramp(), "metric", valid=np.ones((2, 2), bool))
    with pytest.raises(ValueError, match="3x3"):
        DepthMap(ramp(), "metric", K=np.eye(4))
    assert DepthMap(ramp()[None], "metric").shape == (4, 5)


def test_depth_disparity_round_trip_keeps_units():
    d = DepthMap(ramp(), "metric", K=K)
    disp = d.to_disparity()
    assert disp.kind == "disparity" and disp.unit == "1/m"
    np.testing.assert_allclose(disp.values, 1 / ramp(), rtol=1e-6)
    back = disp.to_depth()
    assert back.kind == "metric" and back.unit == "m"
    np.testing.assert_allclose(back.values, ramp(), rtol=1e-6)
    assert back.K is d.K
    relative = DepthMap(1 / ramp(), "disparity").to_depth()
    assert relative.kind == "relative" and relative.unit == ""


def test_zero_disparity_is_not_a_finite_depth():
    disp = np.full((2, 2), 0.5, np.float32)
    disp[0, 0] = 0.0
    depth = DepthMap(disp, "disparity", unit="1/m").to_depth()
    assert not depth.valid[0, 0] and depth.valid.sum() == 3
    np.testing.assert_allclose(depth.values[depth.valid], 2.0)


def test_to_points_back_projects_with_k():
    d = DepthMap(np.full((4, 5), 2.0, np.float32), "metric", K=K)
    points = d.to_points()
    assert points.shape == (20, 3)
    # pixel (u=4, v=3) is the last in row-major order: x = (4-2)*2/100, y = (3-1.5)*2/100
    np.testing.assert_allclose(points[-1], [0.04, 0.03, 2.0], rtol=1e-6)
    with pytest.raises(ValueError, match="needs intrinsics"):
        DepthMap(ramp(), "metric").to_points()


def test_aligned_to_recovers_affine_disparity():
    gt = ramp()
    disp = 3.0 / gt + 0.25  # an affine map of the true disparity
    aligned = DepthMap(disp, "disparity").aligned_to(DepthMap(gt, "metric"))
    assert aligned.kind == "metric" and aligned.unit == "m"
    np.testing.assert_allclose(aligned.values, gt, rtol=1e-5)
    scaled = DepthMap(gt * 7, "relative").aligned_to(gt)
    np.testing.assert_allclose(scaled.values, gt, rtol=1e-5)
    with pytest.raises(ValueError, match="metric reference"):
        DepthMap(gt, "metric").aligned_to(DepthMap(gt, "relative"))
    with pytest.raises(ValueError, match="resize"):
        DepthMap(gt, "metric").aligned_to(np.ones((2, 2), np.float32))


@pytest.mark.parametrize("suffix", [".png", ".npz", ".tiff", ".exr"])
def test_save_load_keeps_kind_unit_k(tmp_path, suffix):
    values = ramp()
    values[1, 1] = 0
    # zero disparity is a valid "infinitely far"; mark the hole invalid explicitly
    d = DepthMap(values, "disparity", unit="1/m", valid=values > 0, K=K)
    back = DepthMap.load(d.save(tmp_path / f"d{suffix}"))
    assert (back.kind, back.unit) == ("disparity", "1/m")
    np.testing.assert_array_equal(back.valid, d.valid)
    np.testing.assert_allclose(back.K, K)
    step = (values.max() - values[values > 0].min()) / 65534
    np.testing.assert_allclose(back.values, d.values, atol=step / 2 + 1e-7)


def test_load_without_recorded_kind_asks_for_it(tmp_path):
    path = DepthMap(ramp(), "metric").save(tmp_path / "d.npy")
    with pytest.raises(ValueError, match="pass kind="):
        DepthMap.load(path)
    assert DepthMap.load(path, kind="metric").kind == "metric"
    with pytest.raises(ValueError, match="file says its kind"):
        DepthMap.load(DepthMap(ramp(), "metric").save(tmp_path / "d.npz"), kind="disparity")


def test_colorize_near_is_warm_for_every_kind():
    d = DepthMap(ramp(), "metric")
    near_first = d.colorize("gray", (1.0, 2.9))
    far_first = d.to_disparity().colorize("gray", (1 / 2.9, 1.0))
    assert near_first[0, 0, 0] == 255 and near_first[-1, -1, 0] == 0
    assert far_first[0, 0, 0] == 255 and far_first[-1, -1, 0] == 0


def test_point_cloud_file(tmp_path):
    from monocle.io import read_ply

    image = np.zeros((4, 5, 3), np.uint8)
    image[..., 1] = 200
    d = DepthMap(ramp(), "metric", K=K)
    points, colors = read_ply(d.save_point_cloud(tmp_path / "p.ply", image))
    np.testing.assert_allclose(points, d.to_points(), rtol=1e-6)
    assert (colors[:, 1] == 200).all()
