"""Training the inpainting network on the synth engine's exact background layers.

Each example is a synthetic portrait or room rendered with its background layer (the scene
without people and movable objects). The photo is layered exactly as the pipeline layers it
(exact depth, the circle path's synthesis region); the network sees the photo with the hole
blanked plus the depth channels, and learns the true background colour on the hole pixels the
background layer reveals (where it lies behind the photo's surface).

A plain torch loop rather than :mod:`monocle.train`'s Lightning recipes: the model is tiny,
trains in minutes on a CPU from an in-memory tensor, and has none of a depth recipe's
data, loss or metric machinery to share.

    python -m monocle.apps.photo3d.inpaint_train      # the shipped weights: 150 samples per
                                                      # preset, 12 minutes (1548 steps here)
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import torch

from monocle.apps.photo3d.depth_input import planar_depth
from monocle.apps.photo3d.inpaint_net import SHIPPED_WEIGHTS, InpaintNet, network_input
from monocle.apps.photo3d.layers import build_layers
from monocle.apps.photo3d.paths import camera_path
from monocle.depthmap import DepthMap

REVEAL_MARGIN = 1.02  # background farther than the photo's surface by 2 %: truly hidden


def _unchanged(rgb, hole, disparity, background):
    return rgb


def revealed_background(sample: dict) -> np.ndarray:
    """bool (H, W): where the engine's background layer is what a moved camera would see
    behind the photo's surface: it lies farther by :data:`REVEAL_MARGIN`, or the photo shows
    sky there (so does the background layer).

    Elsewhere the background layer repeats the photo (a wall corner is in both) and is no
    answer for what the foreground hides. ``sample`` has the depth/valid and background_*
    keys of :func:`monocle.synth.render_sample`.
    """
    behind = sample["background_depth"] > REVEAL_MARGIN * sample["depth"]
    return (sample["background_valid"] & behind) | ~sample["valid"]


def training_example(sample: dict) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(input (6,H,W), target (3,H,W) in [0,1], loss mask (1,H,W)) of one synth sample.

    ``sample`` has the keys of :func:`monocle.synth.render_sample`: rgb, depth, valid, K,
    background_rgb, background_depth, background_valid.
    """
    size = sample["rgb"].shape[:2]
    z, _ = planar_depth(DepthMap(sample["depth"], "metric", valid=sample["valid"]), size)
    path = camera_path("circle", sample["K"], near_depth=float(z.min()))
    layers = build_layers(sample["rgb"], z, sample["K"], path, margin=0, inpainter=_unchanged)
    mask = layers.hole & revealed_background(sample)
    inputs = network_input(
        sample["rgb"], layers.hole, layers.disparity, layers.background_disparity
    )[0]
    target = torch.as_tensor(sample["background_rgb"], dtype=torch.float32).permute(2, 0, 1)
    return inputs, target / 255.0, torch.as_tensor(mask, dtype=torch.float32)[None]


def synth_examples(
    presets: Iterable[str] = ("portrait", "indoor"),
    count: int = 70,
    first_seed: int = 1000,
    size: tuple[int, int] = (96, 128),
    progress: Callable[[int, int], None] | None = None,
) -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """``count`` examples per preset from seeds ``first_seed``... (benchmarks use seeds < 1000)."""
    from monocle.synth import render_sample

    presets = list(presets)
    examples = []
    for p_index, preset in enumerate(presets):
        for index in range(count):
            sample = render_sample(preset, first_seed + index, size)
            example = training_example(sample)
            if example[2].sum() > 0:
                examples.append(example)
            if progress is not None:
                progress(p_index * count + index + 1, len(presets) * count)
    return examples


def train(
    examples: list,
    *,
    minutes: float = 5.0,
    batch_size: int = 8,
    crop: tuple[int, int] = (64, 96),
    width: int = 16,
    learning_rate: float = 1e-3,
    gradient_weight: float = 0.0,
    seed: int = 0,
    progress: Callable[[int, float], None] | None = None,
) -> tuple[InpaintNet, dict]:
    """Train for ``minutes`` of wall time; returns the network and a summary dict.

    Loss: L1 on the revealed hole pixels (mean over them), plus ``gradient_weight`` times a
    gradient L1 so fills keep the context's texture instead of averaging it away (texture a
    fill guesses wrong costs PSNR, so 0 suits the benchmark). Random ``crop`` windows and
    horizontal flips augment.
    """
    torch.manual_seed(seed)
    inputs = torch.stack([e[0] for e in examples])
    targets = torch.stack([e[1] for e in examples])
    masks = torch.stack([e[2] for e in examples])
    net = InpaintNet(width=width)
    optimiser = torch.optim.Adam(net.parameters(), lr=learning_rate)
    deadline = time.perf_counter() + 60.0 * minutes
    step, losses = 0, []
    while time.perf_counter() < deadline:
        pick = torch.randint(len(inputs), (batch_size,))
        top = int(torch.randint(inputs.shape[-2] - crop[0] + 1, ()))
        left = int(torch.randint(inputs.shape[-1] - crop[1] + 1, ()))
        window = (..., slice(top, top + crop[0]), slice(left, left + crop[1]))
        x, y, m = inputs[pick][window], targets[pick][window], masks[pick][window]
        if torch.rand(()) < 0.5:
            x, y, m = x.flip(-1), y.flip(-1), m.flip(-1)
        out = net(x)
        hole = x[:, 3:4]
        pred = out * hole + x[:, :3] * (1 - hole)
        l1 = ((pred - y).abs() * m).sum() / (3 * m.sum()).clamp(min=1)
        grad = sum(
            ((pred.diff(dim=d) - y.diff(dim=d)).abs() * m.narrow(d, 1, m.shape[d] - 1)).sum()
            for d in (-1, -2)
        ) / (3 * m.sum()).clamp(min=1)
        loss = l1 + gradient_weight * grad
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        losses.append(float(l1.detach()))
        step += 1
        if progress is not None and step % 50 == 0:
            progress(step, float(np.mean(losses[-50:])))
    summary = {"steps": step, "final_l1": float(np.mean(losses[-50:])), "examples": len(inputs)}
    return net.eval(), summary


def save(net: InpaintNet, summary: dict, path: str | Path = SHIPPED_WEIGHTS, default=False):
    """Write ``path`` (.safetensors) and its .json (width, training summary, ``default``)."""
    from safetensors.torch import save_file

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    width = net.enc1[0].conv.out_channels // 2
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(path))
    meta = {"width": width, "default": bool(default), "training": summary}
    path.with_suffix(".json").write_text(json.dumps(meta, indent=1) + "\n")
    return path


if __name__ == "__main__":
    import argparse

    from monocle.cli.synth import parse_size

    parser = argparse.ArgumentParser(description="train the photo3d inpainting network")
    parser.add_argument("--samples", type=int, default=150, help="synth samples per preset")
    parser.add_argument("--minutes", type=float, default=12.0)
    parser.add_argument("--size", type=parse_size, default=(96, 128), help="example size, HxW")
    parser.add_argument("--crop", type=parse_size, default=(64, 96), help="training window, HxW")
    parser.add_argument("--gradient-weight", type=float, default=0.0)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--out", default=str(SHIPPED_WEIGHTS))
    args = parser.parse_args()
    data = synth_examples(count=args.samples, size=args.size)
    model, info = train(
        data, minutes=args.minutes, crop=args.crop, learning_rate=args.lr,
        gradient_weight=args.gradient_weight,
    )  # fmt: skip
    print(save(model, info, args.out), info)
