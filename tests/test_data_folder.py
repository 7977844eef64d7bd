"""Bring-your-own folders and monocle synthetic folders."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
import torch

from monocle.data import (
    DatasetError,
    FolderDataset,
    SyntheticFolderDataset,
    build_dataset,
    decode_normals,
)
from monocle.io import write_depth, write_image
from test_data_fixtures import rgb_pattern, write_image_depth_folder, write_synth_folder


def test_folder_pairs_by_stem_with_metric_png_and_its_K(tmp_path):
    truth = write_image_depth_folder(tmp_path, count=2)
    write_image(tmp_path / "image" / "lonely.png", rgb_pattern(10, 14))
    dataset = FolderDataset(tmp_path)
    assert len(dataset) == 2 and [p.name for p in dataset.unpaired] == ["lonely.png"]
    sample = dataset[1]
    np.testing.assert_allclose(sample["depth"][0].numpy(), truth[1]["depth"], atol=1e-4)
    assert sample["K"].tolist() == truth[1]["K"] and sample["meta"]["K_source"] == "file"


def test_depth_units_and_the_depth_scale_rule(tmp_path):
    write_image(tmp_path / "image" / "a.jpg", rgb_pattern(4, 5))
    write_image(tmp_path / "image" / "b.png", rgb_pattern(4, 5))
    write_image(tmp_path / "image" / "c.png", rgb_pattern(4, 5))
    (tmp_path / "depth").mkdir()
    cv2.imwrite(str(tmp_path / "depth" / "a.png"), np.full((4, 5), 1500, dtype=np.uint16))
    np.save(tmp_path / "depth" / "b.npy", np.full((4, 5), 2.5, dtype=np.float32))
    write_depth(tmp_path / "depth" / "c.png", np.full((4, 5), 800.0), kind="metric", unit="mm")
    unscaled = FolderDataset(tmp_path)
    with pytest.raises(
        DatasetError, match=r"a.png: a 16-bit PNG without monocle metadata.*depth_scale"
    ):
        unscaled[0]
    assert float(unscaled[1]["depth"].max()) == pytest.approx(2.5)  # unitless floats: metres
    assert float(unscaled[2]["depth"].max()) == pytest.approx(0.8, abs=1e-4)  # unit mm in file
    scaled = FolderDataset(tmp_path, depth_scale=0.001)  # applies to every file without a unit
    assert float(scaled[0]["depth"].max()) == pytest.approx(1.5)
    assert float(scaled[1]["depth"].max()) == pytest.approx(0.0025)
    assert float(scaled[2]["depth"].max()) == pytest.approx(0.8, abs=1e-4)


def test_K_priority_own_json_then_shared_then_default(tmp_path):
    write_image_depth_folder(tmp_path, count=3, with_K=False)
    (tmp_path / "image" / "0000.json").write_text(
        json.dumps({"K": [[9, 0, 1], [0, 9, 2], [0, 0, 1]]})
    )
    dataset = FolderDataset(tmp_path)
    assert dataset[0]["K"][0, 0] == 9.0 and dataset[0]["meta"]["K_source"] == "file"
    assert dataset[1]["meta"]["K_source"] == "default"
    assert dataset[1]["K"].tolist() == [[14.0, 0.0, 6.5], [0.0, 14.0, 4.5], [0.0, 0.0, 1.0]]
    (tmp_path / "K.json").write_text(json.dumps({"K": [[7, 0, 3], [0, 7, 2], [0, 0, 1]]}))
    dataset = FolderDataset(tmp_path)
    assert dataset[1]["K"][0, 0] == 7.0 and dataset[0]["K"][0, 0] == 9.0


def test_folder_errors_name_the_folder_file_and_fix(tmp_path):
    with pytest.raises(DatasetError, match=r"image: not found; a folder dataset needs ROOT/image/"):
        FolderDataset(tmp_path)
    write_image(tmp_path / "image" / "x.png", rgb_pattern(4, 5))
    (tmp_path / "depth").mkdir()
    (tmp_path / "depth" / "x.txt").write_text("1 2 3")  # not a depth format
    with pytest.raises(DatasetError, match=r"no image/depth pairs; found 1 images.*0 depth files"):
        FolderDataset(tmp_path)
    write_depth(tmp_path / "depth" / "x.png", np.ones((5, 5)), kind="metric", unit="m")
    with pytest.raises(DatasetError, match=r"x.png is 5x5 .* but its image .*x.png is 5x4"):
        FolderDataset(tmp_path)[0]
    np.save(tmp_path / "depth" / "x.npy", np.ones((4, 5)))
    with pytest.raises(DatasetError, match=r"share the stem 'x'"):
        FolderDataset(tmp_path)


def test_unreadable_depth_file_is_named(tmp_path):
    write_image(tmp_path / "image" / "x.png", rgb_pattern(4, 5))
    (tmp_path / "depth").mkdir()
    (tmp_path / "depth" / "x.png").write_bytes(b"\x89PNG broken")
    with pytest.raises(DatasetError) as caught:
        FolderDataset(tmp_path)[0]
    assert caught.value.path.endswith("x.png") and "x.png" in str(caught.value)


def test_decode_normals_golden():
    codes = np.array([[[65535, 0, 32768], [0, 0, 0]]], dtype=np.uint16)
    decoded = decode_normals(codes)
    assert decoded[0, 0].tolist() == pytest.approx([1.0, -1.0, 1 / 65535], abs=1e-7)
    assert decoded[0, 1].tolist() == [0.0, 0.0, 0.0]


def test_synth_folder_sample_with_every_extra(tmp_path):
    truth = write_synth_folder(tmp_path, count=2)
    (tmp_path / "notes.txt").write_text("ignored")
    dataset = SyntheticFolderDataset(
        tmp_path, extras=("normals", "segmentation", "instance", "background", "right")
    )
    assert len(dataset) == 2
    sample, gt = dataset[1], truth[1]
    assert sample["meta"]["id"] == "000001" and sample["meta"]["max_depth"] == 5.5
    np.testing.assert_array_equal(
        (sample["image"].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8), gt["rgb"]
    )
    # Depths above the sample's max_depth (5.5 m) are invalid; the rest decode to metres.
    keep = gt["valid"] & (gt["depth"] <= 5.5)
    assert sample["valid"][0].numpy().tolist() == keep.tolist()
    np.testing.assert_allclose(sample["depth"][0].numpy()[keep], gt["depth"][keep], atol=1e-4)
    assert sample["K"].numpy().tolist() == gt["K"].tolist()
    np.testing.assert_allclose(sample["normals"].permute(1, 2, 0).numpy(), gt["normals"], atol=2e-5)
    assert torch.equal(sample["segmentation"][0], torch.from_numpy(gt["semantic"]).long())
    assert torch.equal(sample["instance"][0], torch.from_numpy(gt["instance"].astype(np.int64)))
    assert sample["background_depth"].shape == (1, 12, 16) and sample["baseline"] == 0.1
    assert sample["image_right"].shape == (3, 12, 16)


def test_synth_folder_refuses_other_versions_and_missing_parts(tmp_path):
    write_synth_folder(tmp_path / "v2", count=1, version=2)
    with pytest.raises(DatasetError, match=r"version 2 is not 'monocle-synth' version 1"):
        SyntheticFolderDataset(tmp_path / "v2")
    write_synth_folder(tmp_path / "v1", count=1)
    (tmp_path / "v1" / "000000.normals.png").unlink()
    dataset = SyntheticFolderDataset(tmp_path / "v1", extras=("normals",))
    with pytest.raises(DatasetError, match=r"000000.normals.png: missing.*leave the part out"):
        dataset[0]
    plain = SyntheticFolderDataset(tmp_path / "v1")[0]  # by default no extras load
    assert set(plain) == {"image", "depth", "valid", "K", "meta"}
    one = build_dataset(f"synth_folder:{tmp_path / 'v1'}?extras=segmentation")[0]
    assert set(one) - set(plain) == {"segmentation"}
    with pytest.raises(DatasetError, match=r"monocle_synth.json: not found"):
        SyntheticFolderDataset(tmp_path)
