"""The synthetic dataset folder writer, its resume behaviour and the `monocle synth` command."""

from __future__ import annotations

import argparse
import json

import cv2
import numpy as np
import pytest

from monocle.io import read_depth, read_image
from monocle.synth import CLASSES, render_sample, write_dataset, write_sample
from monocle.synth import folder as folder_module

SIZE = (24, 32)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture
def render_calls(monkeypatch):
    """Count the samples write_dataset renders (in-process, workers=1)."""
    calls = []

    def counting(preset, seed, size, **kwargs):
        calls.append(seed)
        return render_sample(preset, seed, size, **kwargs)

    monkeypatch.setattr(folder_module, "render_sample", counting)
    return calls


def test_write_dataset_layout_and_round_trip(tmp_path, render_calls):
    progress = []
    result = write_dataset(
        tmp_path / "set",
        "indoor",
        2,
        SIZE,
        seed=7,
        progress=lambda done, total: progress.append((done, total)),
    )
    folder = tmp_path / "set"
    assert result["written"] == [0, 1] and result["skipped"] == 0
    assert progress[-1] == (2, 2) and sorted(render_calls) == [7, 8]
    manifest = json.loads((folder / "monocle_synth.json").read_text())
    assert manifest == {
        "format": "monocle-synth",
        "version": 1,
        "preset": "indoor",
        "height": 24,
        "width": 32,
        "seed": 7,
        "count": 2,
        "classes": CLASSES,
    }
    sample = render_sample("indoor", 8, SIZE)
    stem = folder / "000001"
    assert np.array_equal(read_image(f"{stem}.rgb.png"), sample["rgb"])
    depth, valid, meta = read_depth(f"{stem}.depth.png")
    assert np.array_equal(valid, sample["valid"]) and meta["kind"] == "metric"
    assert meta["unit"] == "m"
    span = sample["depth"][sample["valid"]].max() - sample["depth"][sample["valid"]].min()
    assert np.abs(depth - sample["depth"]).max() <= span / 65535 + 1e-6
    normals = cv2.imread(f"{stem}.normals.png", cv2.IMREAD_UNCHANGED)[..., ::-1]
    assert normals.dtype == np.uint16
    decoded = normals.astype(np.float64) / 65535 * 2 - 1
    np.testing.assert_allclose(
        decoded[sample["valid"]], sample["normals"][sample["valid"]], atol=2e-5
    )
    assert (normals[~sample["valid"]] == 0).all()
    semantic = cv2.imread(f"{stem}.semantic.png", cv2.IMREAD_UNCHANGED)
    instance = cv2.imread(f"{stem}.instance.png", cv2.IMREAD_UNCHANGED)
    assert semantic.dtype == np.uint8 and np.array_equal(semantic, sample["semantic"])
    assert instance.dtype == np.uint16 and np.array_equal(instance, sample["instance"])
    assert (folder / "000001.bg_rgb.png").is_file() and (folder / "000001.bg_depth.png").is_file()
    record = json.loads((folder / "000001.json").read_text())
    np.testing.assert_allclose(record["K"], sample["K"], rtol=1e-6)
    np.testing.assert_allclose(record["pose"], sample["pose"], rtol=1e-6)
    assert record["preset"] == "indoor" and record["seed"] == 8
    assert record["category"] is None and record["baseline"] is None
    assert record["max_depth"] == 20.0


def test_rerun_renders_only_the_missing_samples(tmp_path, render_calls):
    folder = tmp_path / "set"
    write_dataset(folder, "outdoor", 4, SIZE)
    before = {p.name: p.stat().st_mtime_ns for p in folder.glob("000000.*")}
    (folder / "000001.json").unlink()  # interrupted before sample 1 was complete
    (folder / "000003.json").unlink()
    (folder / "000003.rgb.png").unlink()
    render_calls.clear()
    result = write_dataset(folder, "outdoor", 4, SIZE)
    assert sorted(render_calls) == [1, 3]
    assert result["written"] == [1, 3] and result["skipped"] == 2
    assert {p.name: p.stat().st_mtime_ns for p in folder.glob("000000.*")} == before
    assert all((folder / f"{i:06d}.json").is_file() for i in range(4))
    render_calls.clear()
    assert write_dataset(folder, "outdoor", 4, SIZE)["written"] == [] and render_calls == []


def test_folder_errors(tmp_path):
    a_file = tmp_path / "taken"
    a_file.write_text("not a folder")
    with pytest.raises(NotADirectoryError, match="is a file"):
        write_dataset(a_file, "indoor", 1, SIZE)
    write_dataset(tmp_path / "set", "indoor", 0, SIZE)
    with pytest.raises(ValueError, match="different synthetic set"):
        write_dataset(tmp_path / "set", "outdoor", 1, SIZE)
    with pytest.raises(ValueError, match="unknown preset"):
        write_dataset(tmp_path / "other", "forest", 1, SIZE)
    with pytest.raises(ValueError, match="workers"):
        write_dataset(tmp_path / "other", "indoor", 1, SIZE, workers=0)


def test_stereo_and_video_samples_write_their_extras(tmp_path):
    write_sample(tmp_path, 3, render_sample("stereo", 1, SIZE))
    record = json.loads((tmp_path / "000003.json").read_text())
    assert record["baseline"] > 0 and (tmp_path / "000003.right.png").is_file()
    video = render_sample("video", 2, (16, 24))
    write_sample(tmp_path, 4, video)
    record = json.loads((tmp_path / "000004.json").read_text())
    frames = len(video["frames"])
    assert record["frames"] == frames and len(record["poses"]) == frames
    last = f"{frames - 1:02d}"
    assert np.array_equal(read_image(tmp_path / f"000004.f{last}.rgb.png"), video["frames"][-1])
    motion = cv2.imread(str(tmp_path / f"000004.f{last}.motion.png"), cv2.IMREAD_UNCHANGED)
    assert np.array_equal(motion > 0, video["motion_masks"][-1])


def test_cli_writes_a_folder_and_rejects_a_file(tmp_path, capsys):
    from monocle.cli import synth as cli

    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    out = tmp_path / "cli"
    args = parser.parse_args(
        [
            "synth",
            "--preset",
            "portrait",
            "--n",
            "2",
            "--size",
            "24x32",
            "--out",
            str(out),
            "--seed",
            "3",
        ]
    )
    assert args.run(args) == 0
    assert "wrote 2 samples" in capsys.readouterr().out
    assert json.loads((out / "monocle_synth.json").read_text())["seed"] == 3
    with pytest.raises(SystemExit):
        parser.parse_args(["synth", "--size", "big", "--out", str(out)])
    args = parser.parse_args(["synth", "--out", str(out / "000000.rgb.png"), "--n", "1"])
    with pytest.raises(NotADirectoryError):
        args.run(args)


@pytest.mark.slow
def test_parallel_workers_write_the_same_files(tmp_path):
    write_dataset(tmp_path / "one", "indoor", 3, SIZE, seed=2)
    write_dataset(tmp_path / "two", "indoor", 3, SIZE, seed=2, workers=2)
    for path in sorted((tmp_path / "one").glob("*.png")):
        assert path.read_bytes() == (tmp_path / "two" / path.name).read_bytes(), path.name
