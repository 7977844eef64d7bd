"""Geometry-aware transforms: K follows every pixel move, depth is never blended or filled."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import torch

from monocle.data import (
    ColorJitter,
    DatasetError,
    RandomHorizontalFlip,
    RandomResizedCrop,
    build_transforms,
    crop_sample,
    hflip_sample,
    resize_nearest_valid,
    resize_sample,
    rotate_sample,
)
from monocle.data.geometry import roll_matrix


def make_sample(height=40, width=60, K=None, depth=None, valid=None, image=None):
    if K is None:
        K = torch.tensor([[50.0, 0.0, 30.2], [0.0, 55.0, 20.7], [0.0, 0.0, 1.0]])
    if depth is None:
        depth = torch.zeros(1, height, width)
    if valid is None:
        valid = depth > 0
    if image is None:
        image = torch.rand(3, height, width, generator=torch.Generator().manual_seed(0))
    return {"image": image, "depth": depth, "valid": valid, "K": K, "meta": {"id": "t"}}


def single_point(height, width, row, col, z=2.0, **kwargs):
    depth = torch.zeros(1, height, width)
    depth[0, row, col] = z
    return make_sample(height, width, depth=depth, **kwargs)


def backproject(K, col, row, z):
    return z * np.linalg.solve(np.asarray(K, dtype=np.float64), [col, row, 1.0])


def valid_pixels(sample):
    rows, cols = np.nonzero(sample["valid"][0].numpy())
    return list(zip(rows.tolist(), cols.tolist(), strict=True))


def reference_nearest_valid(values, valid, out_h, out_w):
    """Slow, exact (Fraction) statement of the documented nearest-valid rule."""
    height, width = values.shape

    def candidates(i, n_in, n_out):
        low, high = Fraction(i * n_in, n_out) - Fraction(1, 2), Fraction((i + 1) * n_in, n_out)
        inside = [j for j in range(n_in) if low <= j < high - Fraction(1, 2)]
        centre = Fraction((2 * i + 1) * n_in, 2 * n_out) - Fraction(1, 2)
        if not inside:  # the single nearest pixel, the upper-left one on a tie
            inside = [min(range(n_in), key=lambda j: (abs(j - centre), j))]
        return inside, centre

    out = np.zeros((out_h, out_w), dtype=values.dtype)
    out_valid = np.zeros((out_h, out_w), dtype=bool)
    for i in range(out_h):
        rows, cy = candidates(i, height, out_h)
        for j in range(out_w):
            cols, cx = candidates(j, width, out_w)
            options = [
                ((r - cy) ** 2 + (c - cx) ** 2, r, c) for r in rows for c in cols if valid[r, c]
            ]
            if options:
                _, r, c = min(options)
                out[i, j], out_valid[i, j] = values[r, c], True
    return out, out_valid


def test_nearest_valid_golden_4x4_to_2x2():
    values = torch.arange(16.0).view(1, 4, 4)
    out, valid = resize_nearest_valid(values, values > 5, (2, 2))
    # Footprints are 2x2 blocks, all candidates equidistant: the upper-left valid one wins.
    assert out[0].tolist() == [[0.0, 6.0], [8.0, 10.0]]
    assert valid[0].tolist() == [[False, True], [True, True]]


@pytest.mark.parametrize(
    ("in_size", "out_size"),
    [
        ((9, 13), (4, 5)),
        ((9, 13), (17, 29)),
        ((12, 12), (5, 7)),
        ((7, 10), (3, 25)),
        ((2, 2), (3, 3)),
    ],
)
def test_nearest_valid_agrees_with_slow_reference(in_size, out_size):
    rng = np.random.default_rng(sum(in_size) + sum(out_size))
    values = rng.uniform(0.5, 9.0, size=in_size).astype(np.float32)
    valid = rng.random(in_size) < 0.6
    out, out_valid = resize_nearest_valid(
        torch.from_numpy(values)[None], torch.from_numpy(valid)[None], out_size
    )
    expected, expected_valid = reference_nearest_valid(values, valid, *out_size)
    np.testing.assert_array_equal(out_valid[0].numpy(), expected_valid)
    np.testing.assert_array_equal(out[0].numpy(), expected)


@pytest.mark.parametrize("size", [(13, 17), (7, 9), (41, 61), (80, 121)])
def test_resized_depth_never_lies_between_the_sides_of_an_edge(size):
    depth = torch.ones(1, 40, 60)
    depth[..., 27:] = 5.0
    valid = torch.rand(1, 40, 60, generator=torch.Generator().manual_seed(1)) > 0.2
    out = resize_sample(make_sample(depth=depth * valid, valid=valid), size)
    kept = set(out["depth"][out["valid"]].tolist())
    assert kept <= {1.0, 5.0} and kept == {1.0, 5.0}
    assert bool((out["depth"][~out["valid"]] == 0).all())


def test_sparse_depth_stays_sparse_when_downscaled():
    generator = torch.Generator().manual_seed(2)
    valid = torch.rand(1, 64, 96, generator=generator) < 0.03
    depth = torch.rand(1, 64, 96, generator=generator) * 80 * valid
    for size in [(20, 30), (16, 24), (33, 47)]:
        out, out_valid = resize_nearest_valid(depth, valid, size)
        assert int(out_valid.sum()) <= int(valid.sum())
        assert set(out[out_valid].tolist()) <= set(depth[valid].tolist())
    # No hole filling: a 4x4 map with one valid pixel keeps exactly one after 2x downscale.
    lone = torch.zeros(1, 4, 4)
    lone[0, 3, 0] = 7.0
    out, out_valid = resize_nearest_valid(lone, lone > 0, (2, 2))
    assert out_valid[0].tolist() == [[False, False], [True, False]] and out[0, 1, 0] == 7.0


def test_resize_K_matches_where_the_image_content_moves():
    height, width, u0, v0 = 40, 60, 23.3, 17.6
    v, u = torch.meshgrid(torch.arange(height), torch.arange(width), indexing="ij")
    blob = torch.exp(-((u - u0) ** 2 + (v - v0) ** 2) / (2 * 3.0**2))
    K = torch.tensor([[50.0, 0.0, u0], [0.0, 50.0, v0], [0.0, 0.0, 1.0]])
    for size in [(25, 37), (73, 101)]:
        out = resize_sample(make_sample(K=K, image=blob.expand(3, -1, -1).clone()), size)
        image = out["image"][0].double()
        vv, uu = torch.meshgrid(torch.arange(size[0]), torch.arange(size[1]), indexing="ij")
        centroid = (
            float((image * uu).sum() / image.sum()),
            float((image * vv).sum() / image.sum()),
        )
        assert centroid == pytest.approx((float(out["K"][0, 2]), float(out["K"][1, 2])), abs=0.05)
        assert float(out["K"][0, 0]) == pytest.approx(50.0 * size[1] / width)


@pytest.mark.parametrize("size", [(20, 30), (80, 120), (29, 43)])
def test_resize_backprojects_to_the_same_point(size):
    sample = single_point(40, 60, row=9, col=17)
    X = backproject(sample["K"], 17, 9, 2.0)
    out = resize_sample(sample, size)
    pixels = valid_pixels(out)
    assert pixels
    half_pixel = 2.0 * 0.5 * np.hypot(1 / 50.0, 1 / 55.0)  # half an input pixel at z = 2 m
    for row, col in pixels:
        assert float(out["depth"][0, row, col]) == 2.0
        assert np.linalg.norm(backproject(out["K"], col, row, 2.0) - X) <= half_pixel + 1e-9


def test_crop_backprojects_exactly_and_refuses_windows_outside():
    sample = single_point(40, 60, row=9, col=17)
    out = crop_sample(sample, top=5, left=10, height=20, width=30)
    assert valid_pixels(out) == [(4, 7)]
    np.testing.assert_allclose(
        backproject(out["K"], 7, 4, 2.0), backproject(sample["K"], 17, 9, 2.0), atol=1e-5
    )
    with pytest.raises(DatasetError, match=r"does not fit"):
        crop_sample(sample, top=30, left=0, height=20, width=30)


def test_hflip_mirrors_K_pixels_and_normals():
    sample = single_point(40, 60, row=9, col=17)
    sample["normals"] = torch.tensor([0.6, 0.0, -0.8]).view(3, 1, 1).expand(3, 40, 60).clone()
    out = hflip_sample(sample)
    assert valid_pixels(out) == [(9, 60 - 1 - 17)]
    assert float(out["K"][0, 2]) == pytest.approx(60 - 1 - 30.2)
    X = backproject(sample["K"], 17, 9, 2.0)
    mirrored = backproject(out["K"], 42, 9, 2.0)
    np.testing.assert_allclose(mirrored, [-X[0], X[1], X[2]], atol=1e-5)
    assert out["normals"][:, 0, 0].tolist() == pytest.approx([-0.6, 0.0, -0.8])
    twice = hflip_sample(out)
    assert torch.equal(twice["image"], sample["image"]) and torch.allclose(twice["K"], sample["K"])


@pytest.mark.parametrize("angle", [7.0, -4.0])
def test_rotation_backprojects_to_the_rotated_point(angle):
    sample = single_point(40, 60, row=12, col=35)
    out = rotate_sample(sample, angle)
    assert torch.equal(out["K"], sample["K"])
    R = roll_matrix(angle).double().numpy()
    pixels = valid_pixels(out)
    assert pixels
    for row, col in pixels:
        assert float(out["depth"][0, row, col]) == 2.0
        # Undo the roll and project with the original K: within half a pixel of the source.
        X = R.T @ backproject(out["K"], col, row, 2.0)
        source = np.asarray(sample["K"], dtype=np.float64) @ X / X[2]
        assert abs(source[0] - 35) <= 0.5 + 1e-6 and abs(source[1] - 12) <= 0.5 + 1e-6


def test_rotation_marks_uncovered_pixels_invalid_and_rotates_normals():
    K = torch.tensor([[50.0, 0.0, 30.0], [0.0, 50.0, 20.0], [0.0, 0.0, 1.0]])
    depth = torch.full((1, 40, 60), 3.0)
    sample = make_sample(K=K, depth=depth)
    sample["normals"] = torch.tensor([0.6, 0.0, -0.8]).view(3, 1, 1).expand(3, 40, 60).clone()
    out = rotate_sample(sample, 10.0)
    assert not out["valid"][0, 0, 0] and float(out["depth"][0, 0, 0]) == 0.0
    assert out["valid"][0, 20, 30]  # the principal point stays put
    assert torch.allclose(out["image"][:, 20, 30], sample["image"][:, 20, 30], atol=1e-5)
    rotated = roll_matrix(10.0) @ torch.tensor([0.6, 0.0, -0.8])
    assert out["normals"][:, 20, 30].tolist() == pytest.approx(rotated.tolist(), abs=1e-6)
    same = rotate_sample(sample, 0.0)
    assert torch.equal(same["valid"], sample["valid"]) and torch.equal(same["depth"], depth)


def test_random_resized_crop_is_reproducible_and_keeps_depth_values():
    depth = torch.ones(1, 40, 60)
    depth[..., 30:] = 4.0
    sample = make_sample(depth=depth)
    first = RandomResizedCrop((24, 32), scale=(1.0, 2.0), generator=5)(sample)
    again = RandomResizedCrop((24, 32), scale=(1.0, 2.0), generator=5)(sample)
    other = RandomResizedCrop((24, 32), scale=(1.0, 2.0), generator=6)(sample)
    assert first["image"].shape == (3, 24, 32) and first["depth"].shape == (1, 24, 32)
    assert torch.equal(first["image"], again["image"]) and torch.equal(first["K"], again["K"])
    assert not torch.equal(first["K"], other["K"])
    assert set(first["depth"][first["valid"]].tolist()) <= {1.0, 4.0}


def test_color_jitter_changes_only_the_image():
    sample = make_sample(depth=torch.full((1, 40, 60), 2.0))
    out = ColorJitter(0.3, 0.3, 0.3, 0.05, generator=0)(sample)
    assert not torch.allclose(out["image"], sample["image"])
    assert float(out["image"].min()) >= 0.0 and float(out["image"].max()) <= 1.0
    for key in ("depth", "valid", "K"):
        assert torch.equal(out[key], sample[key])
    unchanged = ColorJitter(0.0, 0.0, 0.0, 0.0)(sample)
    assert torch.allclose(unchanged["image"], sample["image"], atol=1e-5)


def test_build_transforms_from_a_recipe():
    recipe = {
        "seed": 3,
        "transforms": [
            {"type": "random_resized_crop", "size": [24, 32], "scale": [1.0, 1.5]},
            {"type": "hflip", "p": 0.5},
            {"type": "rotate", "degrees": 5},
            {"type": "color_jitter", "brightness": 0.2},
        ],
    }
    sample = make_sample(depth=torch.full((1, 40, 60), 2.0))
    first, second = build_transforms(recipe)(sample), build_transforms(recipe)(sample)
    assert first["image"].shape == (3, 24, 32)
    assert torch.equal(first["image"], second["image"]) and torch.equal(first["K"], second["K"])
    assert build_transforms([]) is None
    with pytest.raises(DatasetError, match=r"unknown type 'blur'.*random_resized_crop"):
        build_transforms([{"type": "blur"}])
    with pytest.raises(DatasetError, match=r"entry 0 \(hflip\)"):
        build_transforms([{"type": "hflip", "probability": 0.5}])


def test_flip_of_a_stereo_pair_is_refused():
    sample = make_sample()
    sample["image_right"] = sample["image"].clone()
    with pytest.raises(DatasetError, match=r"stereo"):
        RandomHorizontalFlip(p=1.0)(sample)


def test_unknown_per_pixel_keys_are_refused_rather_than_left_behind():
    sample = make_sample()
    sample["flow"] = torch.zeros(2, 40, 60)
    with pytest.raises(DatasetError, match="per-pixel key 'flow'"):
        resize_sample(sample, (20, 30))
    sample.pop("flow")
    sample["pose"] = torch.eye(4)  # not per-pixel: carried along untouched
    assert torch.equal(hflip_sample(sample)["pose"], torch.eye(4))


def test_background_layer_follows_its_own_valid_mask():
    sample = make_sample(depth=torch.full((1, 40, 60), 2.0))
    background = torch.full((1, 40, 60), 6.0)
    background_valid = torch.zeros(1, 40, 60, dtype=torch.bool)
    background_valid[..., :30] = True
    sample["background_depth"] = background * background_valid
    sample["background_valid"] = background_valid
    out = resize_sample(sample, (20, 30))
    assert (
        bool(out["background_valid"][..., :15].all())
        and not out["background_valid"][..., 15:].any()
    )
    assert set(out["background_depth"].unique().tolist()) == {0.0, 6.0}
    flipped = hflip_sample(sample)
    assert bool(flipped["background_valid"][..., 30:].all())
