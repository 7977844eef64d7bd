"""`monocle bokeh`: argument parsing, a full run from files, and clear errors."""

from __future__ import annotations

import argparse

import numpy as np
import pytest

from monocle import DepthMap
from monocle.cli import bokeh
from monocle.io import read_image, write_image


def run_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="monocle")
    bokeh.register(parser.add_subparsers())
    args = parser.parse_args(["bokeh", *argv])
    return args.run(args)


@pytest.fixture
def scene(tmp_path):
    rgb = np.zeros((48, 64, 3), np.uint8)
    rgb[:, :, 1] = 180
    rgb[::4] = 255  # stripes, so blur is visible
    rgb[16:32, 24:40] = (220, 30, 30)
    depth = np.full((48, 64), 6.0, np.float32)
    depth[16:32, 24:40] = 1.5
    write_image(tmp_path / "photo.png", rgb)
    DepthMap(depth, kind="metric").save(tmp_path / "depth.npz")
    return tmp_path, rgb


def test_renders_from_a_depth_file(scene, capsys):
    folder, rgb = scene
    out = folder / "bokeh.png"
    code = run_cli([str(folder / "photo.png"), "--depth", str(folder / "depth.npz"),
                    "--focus", "30,20", "--fnumber", "1.4", "--sensor-width", "4",
                    "--aperture", "hexagon", "--out", str(out)])  # fmt: skip
    assert code == 0 and "wrote" in capsys.readouterr().out
    result = read_image(out)
    assert np.array_equal(result[18:30, 26:38], rgb[18:30, 26:38])  # the subject is in focus
    assert np.abs(result[:8].astype(int) - rgb[:8]).mean() > 10  # the striped background is not


def test_focus_distance_and_strength(scene):
    folder, rgb = scene
    out = folder / "far.png"
    run_cli([str(folder / "photo.png"), "--depth", str(folder / "depth.npz"),
             "--focus-distance", "6", "--strength", "6", "--out", str(out)])  # fmt: skip
    result = read_image(out)
    assert np.array_equal(result[:6, :16], rgb[:6, :16])  # background in focus now
    assert not np.array_equal(result[16:32, 24:40], rgb[16:32, 24:40])


def test_errors_name_the_fix(scene):
    folder, _ = scene
    image, depth = str(folder / "photo.png"), str(folder / "depth.npz")
    out = str(folder / "x.png")
    with pytest.raises(ValueError, match="--focus must be X,Y"):
        run_cli([image, "--depth", depth, "--focus", "30", "--out", out])
    with pytest.raises(ValueError, match=r"--model no-such-model.*--depth FILE"):
        run_cli([image, "--model", "no-such-model", "--focus", "3,3", "--out", out])
    with pytest.raises(ValueError, match="outside the 64x48 image"):
        run_cli([image, "--depth", depth, "--focus", "64,3", "--out", out])
    with pytest.raises(SystemExit):  # --depth and --model together
        run_cli([image, "--depth", depth, "--model", "x", "--focus", "3,3", "--out", out])
