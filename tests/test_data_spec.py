"""Dataset specs (strings, dicts, plain folders) and mixtures built from a recipe."""

from __future__ import annotations

import importlib.util

import pytest
from torch.utils.data import DataLoader

from monocle.data import (
    Compose,
    DatasetError,
    FolderDataset,
    RandomHorizontalFlip,
    RandomResizedCrop,
    Resize,
    SyntheticFolderDataset,
    build_dataset,
    build_mixture,
    check_dataset,
    collate_common,
    detect_type,
    parse_spec,
)
from test_data_fixtures import write_image_depth_folder, write_synth_folder


def test_spec_strings_parse_type_path_and_typed_options():
    assert parse_spec("kitti:/data/raw?depth_root=/data/ann&split=val&crop=kb") == {
        "type": "kitti",
        "raw_root": "/data/raw",
        "depth_root": "/data/ann",
        "split": "val",
        "crop": "kb",
    }
    parsed = parse_spec("folder:/x?depth_scale=0.001&max_depth=10&name=scans")
    assert (
        parsed["depth_scale"] == 0.001 and parsed["max_depth"] == 10 and parsed["name"] == "scans"
    )
    assert parse_spec("synth_folder:/s?extras=normals,instance")["extras"] == [
        "normals",
        "instance",
    ]
    assert parse_spec("middlebury:/m?load_right=true")["load_right"] is True
    assert parse_spec("synth:indoor?n=100&size=240x320&seed=7") == {
        "type": "synth",
        "preset": "indoor",
        "n": 100,
        "size": "240x320",
        "seed": 7,
    }
    assert parse_spec({"type": "nyu_mat", "root": "/n.mat", "crop": "eigen"}) == {
        "type": "nyu_mat",
        "path": "/n.mat",
        "crop": "eigen",
    }


def test_plain_folders_are_autodetected(tmp_path):
    write_synth_folder(tmp_path / "synth", count=1)
    write_image_depth_folder(tmp_path / "byo", count=1)
    assert detect_type(tmp_path / "synth") == "synth_folder"
    assert detect_type(tmp_path / "byo") == "folder"
    assert isinstance(build_dataset(str(tmp_path / "synth")), SyntheticFolderDataset)
    dataset = build_dataset({"root": str(tmp_path / "byo"), "name": "mine"})
    assert isinstance(dataset, FolderDataset) and dataset[0]["meta"]["dataset"] == "mine"
    (tmp_path / "n.mat").write_bytes(b"")
    assert detect_type(tmp_path / "n.mat") == "nyu_mat"


def test_spec_errors_list_what_is_valid(tmp_path):
    with pytest.raises(DatasetError, match=r"type 'nyuv2' is unknown; valid types: nyu_mat, nyu,"):
        build_dataset("nyuv2:/data")
    with pytest.raises(DatasetError, match=r"cannot tell which dataset this is.*TYPE:PATH"):
        build_dataset(str(tmp_path))
    write_image_depth_folder(tmp_path / "byo", count=1)
    with pytest.raises(
        DatasetError, match=r"no option\(s\) \['scale'\]; it accepts: root, depth_scale"
    ):
        build_dataset(f"folder:{tmp_path / 'byo'}?scale=2")
    with pytest.raises(DatasetError, match=r"no option\(s\) \['split'\]"):
        build_dataset(f"folder:{tmp_path / 'byo'}", split="train")
    with pytest.raises(DatasetError, match=r"no such folder"):
        build_dataset(str(tmp_path / "absent"))


def test_transform_reaches_every_sample(tmp_path):
    write_image_depth_folder(tmp_path, count=1)

    def mark(sample):
        return {**sample, "marked": True}

    assert build_dataset(str(tmp_path), transform=mark)[0]["marked"]


def test_mixture_from_a_recipe(tmp_path):
    write_synth_folder(tmp_path / "synth", count=3)
    write_image_depth_folder(tmp_path / "byo", count=5)
    recipe = {
        "datasets": [
            {"spec": str(tmp_path / "synth"), "weight": 1.0},
            {"spec": f"folder:{tmp_path / 'byo'}", "weight": 3.0, "start_epoch": 2},
            {"spec": str(tmp_path / "byo"), "name": "byo_again"},
        ],
        "num_samples": 40,
        "seed": 1,
    }
    mixed, sampler = build_mixture(recipe)
    assert mixed.names == ["synth_folder", "folder", "byo_again"]
    assert mixed.sizes == {"synth_folder": 3, "folder": 5, "byo_again": 5}
    assert sampler.active() == ["synth_folder", "byo_again"]
    assert all(mixed.source_of(index) != "folder" for index in sampler)
    sampler.set_epoch(2)
    assert any(mixed.source_of(index) == "folder" for index in sampler)
    assert mixed[mixed.offsets["folder"]]["meta"]["dataset"] == "folder"
    with pytest.raises(DatasetError, match=r"'datasets' must list"):
        build_mixture({})


def test_mixture_feeds_a_dataloader_once_sizes_agree(tmp_path):
    write_synth_folder(tmp_path / "synth", count=3)
    write_image_depth_folder(tmp_path / "byo", count=5)
    recipe = {"datasets": [{"spec": str(tmp_path / "synth")}, {"spec": str(tmp_path / "byo")}]}
    mixed, sampler = build_mixture(recipe, transform=Resize((8, 8)))
    loader = DataLoader(mixed, sampler=sampler, batch_size=6, collate_fn=collate_common)
    batch = next(iter(loader))
    assert batch["image"].shape == (6, 3, 8, 8) and batch["K"].shape == (6, 3, 3)
    # This seed's first batch mixes both, so only the keys they share survive.
    assert set(batch["meta"]["dataset"]) == {"synth_folder", "folder"}
    assert "normals" not in batch and "segmentation" not in batch
    assert set(batch["meta"]["dataset"]) <= {"synth_folder", "folder"}


@pytest.mark.skipif(
    importlib.util.find_spec("monocle.synth.dataset") is None,
    reason="monocle.synth.dataset (the on-the-fly renderer) is not in this tree yet",
)
def test_synth_spec_builds_the_renderer_lazily():
    dataset = build_dataset("synth:indoor?n=2&size=24x32&seed=7")
    assert len(dataset) == 2
    sample = dataset[0]
    assert sample["image"].shape == (3, 24, 32) and sample["K"].shape == (3, 3)
    augment = Compose([RandomResizedCrop((16, 20), generator=0), RandomHorizontalFlip(p=1.0)])
    augmented = build_dataset("synth:indoor?n=1&size=24x32&seed=7", transform=augment)[0]
    for key in ("depth", "valid", "normals", "segmentation"):
        assert augmented[key].shape[-2:] == (16, 20)
    report = check_dataset("synth:indoor?n=2&size=24x32&seed=7")
    assert report.ok and report.checked == 2 and report.K_fraction == 1.0
    with pytest.raises(DatasetError, match="spec type 'synth'"):
        build_dataset("synth:no_such_preset?n=1")
