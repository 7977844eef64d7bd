"""Presets, determinism, outputs and bad input of the scene engine, and SyntheticDataset."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from monocle.synth import (
    CLASSES,
    HARDCASE_CATEGORIES,
    PRESETS,
    SyntheticDataset,
    hardcase_category,
    render_sample,
    sample_scene,
)

SIZE = (24, 32)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_same_seed_is_bit_identical_and_seeds_differ():
    a = render_sample("outdoor", 5, SIZE)
    b = render_sample("outdoor", 5, SIZE)
    for key in ("rgb", "depth", "valid", "normals", "instance", "semantic", "background_rgb"):
        assert np.array_equal(a[key], b[key]), key
    c = render_sample("outdoor", 6, SIZE)
    assert not np.array_equal(a["depth"], c["depth"])


@pytest.mark.parametrize("preset", ["indoor", "outdoor", "portrait"])
def test_outputs_follow_the_contract(preset):
    out = render_sample(preset, 2, SIZE)
    h, w = SIZE
    assert out["rgb"].dtype == np.uint8 and out["rgb"].shape == (h, w, 3)
    assert out["depth"].dtype == np.float32 and out["depth"].shape == (h, w)
    assert out["valid"].dtype == np.bool_
    assert ((out["depth"] > 0) == out["valid"]).all()
    assert out["depth"].max() <= out["meta"]["max_depth"]
    assert out["normals"].dtype == np.float32 and out["normals"].shape == (h, w, 3)
    norms = np.linalg.norm(out["normals"], axis=-1)
    np.testing.assert_allclose(norms[out["valid"]], 1.0, atol=1e-4)
    assert (norms[~out["valid"]] == 0).all()
    assert out["instance"].dtype == np.int32 and out["semantic"].dtype == np.uint8
    assert set(np.unique(out["semantic"])) <= set(CLASSES.values())
    assert out["K"].dtype == np.float32 and out["K"].shape == (3, 3)
    np.testing.assert_allclose(out["K"][:2, 2], [(w - 1) / 2, (h - 1) / 2])
    assert out["pose"].shape == (4, 4)
    np.testing.assert_allclose(out["pose"][:3, :3] @ out["pose"][:3, :3].T, np.eye(3), atol=1e-5)
    assert out["background_rgb"].shape == (h, w, 3)
    assert out["meta"] == {
        "preset": preset,
        "seed": 2,
        "category": None,
        "max_depth": out["meta"]["max_depth"],
    }


def test_portrait_subject_is_close_and_the_background_far():
    for seed in range(3):
        out = render_sample("portrait", seed, (48, 64))
        person = out["semantic"] == CLASSES["person"]
        assert person[12:36, 16:48].mean() > 0.1 and person.mean() > 0.04, seed
        assert 0.3 < np.median(out["depth"][person & out["valid"]]) < 3.6
        behind = out["valid"] & ~person
        assert np.median(out["depth"][behind]) > np.median(out["depth"][person])


def test_outdoor_caps_depth_and_marks_sky_invalid():
    out = render_sample("hardcase", 1, SIZE)  # sky_dominant
    assert out["meta"]["category"] == "sky_dominant"
    sky = out["semantic"] == CLASSES["sky"]
    assert sky.mean() > 0.2
    assert not out["valid"][sky].any() and (out["depth"][sky] == 0).all()
    assert out["meta"]["max_depth"] == 80.0


def test_hardcase_category_cycles_with_seed_and_can_be_chosen():
    assert [hardcase_category(s) for s in range(6)] == list(HARDCASE_CATEGORIES)
    assert sample_scene("hardcase", 7).meta["category"] == HARDCASE_CATEGORIES[1]
    dark = render_sample("hardcase", 0, SIZE, category="low_light")
    bright = render_sample("hardcase", 0, SIZE, category="overexposed")
    assert dark["meta"]["category"] == "low_light"
    assert dark["rgb"].mean() < bright["rgb"].mean()
    assert np.percentile(bright["rgb"], 90) > 220


def test_video_frames_move_and_mask_moving_objects():
    out = render_sample("video", 1, SIZE)
    t = out["frames"].shape[0]
    assert out["frames"].shape == (t, *SIZE, 3) and t >= 2
    assert out["poses"].shape == (t, 4, 4) and out["motion_masks"].dtype == np.bool_
    assert np.array_equal(out["frames"][0], out["rgb"])
    assert np.array_equal(out["frame_depths"][0], out["depth"])
    assert not np.allclose(out["poses"][0], out["poses"][-1])  # the camera moves
    assert out["motion_masks"].any()
    scene = sample_scene("video", 1)
    for instance, velocity in scene.velocity.items():
        assert velocity[1] == 0.0  # movers slide along the ground, never lift off
        assert instance > 0


def test_stereo_outputs():
    out = render_sample("stereo", 0, SIZE)
    assert out["right_rgb"].shape == out["rgb"].shape
    assert out["right_depth"].shape == out["depth"].shape
    assert 0.05 <= float(out["baseline"]) <= 0.6


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: render_sample("forest", 0), "indoor, outdoor, portrait"),
        (lambda: render_sample("indoor", 0, (0, 32)), "positive"),
        (lambda: render_sample("indoor", 0, (-4, 32)), "positive"),
        (lambda: render_sample("indoor", 0, (2161, 3840)), "2160x3840"),
        (lambda: render_sample("indoor", 0, (24, 3841)), "2160x3840"),
        (lambda: render_sample("indoor", -1, SIZE), "non-negative"),
        (lambda: render_sample("hardcase", 0, SIZE, category="rain"), "low_light"),
        (lambda: sample_scene("indoor", 0, category="low_light"), "hardcase preset only"),
        (lambda: SyntheticDataset("forest"), "indoor"),
    ],
)
def test_bad_input_raises_a_clear_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_presets_tuple():
    assert PRESETS == ("indoor", "outdoor", "portrait", "stereo", "video", "hardcase")


def test_dataset_items_follow_the_data_contract():
    data = SyntheticDataset(["indoor", "stereo"], n=4, size=SIZE, seed=10)
    assert len(data) == 4
    item = data[1]
    sample = render_sample("stereo", 11, SIZE)
    assert item["image"].dtype == torch.float32 and item["image"].shape == (3, *SIZE)
    assert item["image"].min() >= 0.0 and item["image"].max() <= 1.0
    assert torch.equal(item["depth"][0], torch.from_numpy(sample["depth"]))
    assert item["valid"].dtype == torch.bool and item["valid"].shape == (1, *SIZE)
    assert item["K"].dtype == torch.float32 and item["K"].shape == (3, 3)
    assert item["normals"].shape == (3, *SIZE)
    assert item["segmentation"].dtype == torch.int64 and item["segmentation"].shape == (1, *SIZE)
    assert item["image_right"].shape == (3, *SIZE) and float(item["baseline"]) > 0
    assert item["background_image"].shape == (3, *SIZE)
    assert item["meta"] == {
        "dataset": "synth/stereo",
        "id": "stereo/000011",
        "depth_kind": "metric",
        "max_depth": item["meta"]["max_depth"],
        "category": "",
        "seed": 11,
    }
    batch = torch.utils.data.default_collate([data[0], data[2]])
    assert batch["image"].shape == (2, 3, *SIZE)
    with pytest.raises(IndexError):
        data[4]
    doubled = SyntheticDataset("indoor", n=1, size=SIZE, transform=lambda x: {"twice": 2})
    assert doubled[0] == {"twice": 2}


def test_skipping_the_background_layer_changes_nothing_else():
    full = render_sample("portrait", 5, (48, 64))
    lean = render_sample("portrait", 5, (48, 64), background=False)
    assert "background_rgb" in full and not any(k.startswith("background") for k in lean)
    for key in ("rgb", "depth", "valid", "normals", "instance", "semantic", "K", "pose"):
        np.testing.assert_array_equal(lean[key], full[key], err_msg=key)
    item = SyntheticDataset("portrait", n=1, size=(48, 64), background=False)[0]
    assert "background_image" not in item and item["image"].shape == (3, 48, 64)
