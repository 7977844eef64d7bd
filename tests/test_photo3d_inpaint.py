"""The learned inpainting network: shapes, hole-only edits, training examples, weights files."""

from __future__ import annotations

import json

import numpy as np
import torch

from monocle.apps.photo3d.fill import inpaint_classical
from monocle.apps.photo3d.inpaint_net import (
    InpaintNet,
    LearnedInpainter,
    load_inpainter,
    network_input,
    run_network,
)
from monocle.apps.photo3d.inpaint_train import save, train, training_example


def test_network_keeps_any_size_and_range():
    net = InpaintNet(width=8).eval()
    with torch.inference_mode():
        out = run_network(net, torch.rand(2, 9, 13, 22))
    assert out.shape == (2, 3, 13, 22)
    assert out.min() >= 0 and out.max() <= 1


def test_learned_inpainter_changes_only_the_hole():
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (30, 40, 3), dtype=np.uint8)
    hole = np.zeros((30, 40), bool)
    hole[10:16, 12:20] = True
    disparity = np.full((30, 40), 1.0, np.float32)
    net = InpaintNet(width=8)
    with torch.no_grad():  # a trained network's correction, not the zero it starts from
        net.out.bias.fill_(0.1)
    filled = LearnedInpainter(net)(rgb, hole, disparity, disparity)
    np.testing.assert_array_equal(filled[~hole], rgb[~hole])
    assert (filled[hole] != inpaint_classical(rgb, hole)[hole]).any()
    inputs = network_input(rgb, hole, disparity, disparity)
    assert inputs.shape == (1, 9, 30, 40)
    assert (inputs[0, :3][:, torch.as_tensor(hole)] == 0).all()  # the hole is blanked


def test_untrained_network_is_the_classical_fill():
    rng = np.random.default_rng(1)
    rgb = rng.integers(0, 256, (30, 40, 3), dtype=np.uint8)
    hole = np.zeros((30, 40), bool)
    hole[5:20, 8:14] = True
    disparity = rng.uniform(0.5, 2.0, (30, 40)).astype(np.float32)
    filled = LearnedInpainter(InpaintNet(width=8))(rgb, hole, disparity, disparity)
    np.testing.assert_array_equal(filled, inpaint_classical(rgb, hole))


def toy_sample():
    """A box at 1 m in front of a wall at 3 m; the background layer is the wall alone."""
    height, width = 32, 48
    depth = np.full((height, width), 3.0, np.float32)
    depth[8:24, 16:32] = 1.0
    rgb = np.full((height, width, 3), 60, np.uint8)
    rgb[8:24, 16:32] = 220
    return {
        "rgb": rgb,
        "depth": depth,
        "valid": np.ones((height, width), bool),
        "K": np.array([[48, 0, 23.5], [0, 48, 15.5], [0, 0, 1]], np.float32),
        "background_rgb": np.full((height, width, 3), 60, np.uint8),
        "background_depth": np.full((height, width), 3.0, np.float32),
        "background_valid": np.ones((height, width), bool),
    }


def test_training_example_targets_revealed_background_only():
    inputs, target, mask = training_example(toy_sample())
    assert inputs.shape == (9, 32, 48) and target.shape == (3, 32, 48)
    box = np.zeros((32, 48), bool)
    box[8:24, 16:32] = True
    m = mask[0].numpy() > 0
    assert m.any() and not m[~box].any()  # only pixels the box hides
    np.testing.assert_allclose(target[:, torch.as_tensor(m)].numpy(), 60 / 255, atol=1e-6)


def test_training_runs_and_weights_round_trip(tmp_path):
    examples = [training_example(toy_sample())] * 2
    net, summary = train(examples, minutes=0.02, batch_size=2, crop=(32, 48), width=8)
    assert summary["steps"] >= 1 and np.isfinite(summary["final_l1"])
    path = save(net, summary, tmp_path / "inpaint.safetensors")
    meta = json.loads(path.with_suffix(".json").read_text())
    assert meta["width"] == 8 and meta["default"] is False
    loaded = load_inpainter(path)
    x = torch.rand(1, 9, 16, 16)
    with torch.inference_mode():
        torch.testing.assert_close(loaded.net(x), net(x))
