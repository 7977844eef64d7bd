"""Is data loading the bottleneck? Loader throughput beside a small training step, at 480x640.

Writes a temporary synthetic folder (64 samples in the monocle-synth format, random smooth
content), reads it through a DataLoader with 2 workers with and without the training
augmentations, and times a training step of a small conv net on CPU at the same size. Results
go to bench/results/data.json and bench/results/data.md. Measured numbers only.

Run: .venv/bin/python bench/data.py
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from monocle.data import (
    ColorJitter,
    Compose,
    RandomHorizontalFlip,
    RandomResizedCrop,
    RandomRotation,
    SyntheticFolderDataset,
)
from monocle.io import write_depth, write_image

HEIGHT, WIDTH, SAMPLES, BATCH, WORKERS = 480, 640, 64, 8, 2
RESULTS = Path(__file__).resolve().parent / "results"


def smooth_noise(rng: np.random.Generator, channels: int) -> np.ndarray:
    """Photo-like content: coarse noise upsampled plus fine grain, in [0, 1]."""
    coarse = rng.random((HEIGHT // 16, WIDTH // 16, channels)).astype(np.float32)
    image = cv2.resize(coarse, (WIDTH, HEIGHT), interpolation=cv2.INTER_CUBIC)
    image = image.reshape(HEIGHT, WIDTH, channels) + rng.normal(0, 0.02, (HEIGHT, WIDTH, channels))
    return np.clip(image, 0.0, 1.0).astype(np.float32)


def write_folder(root: Path) -> None:
    rng = np.random.default_rng(0)
    K = [[500.0, 0.0, (WIDTH - 1) / 2], [0.0, 500.0, (HEIGHT - 1) / 2], [0.0, 0.0, 1.0]]
    manifest = {"format": "monocle-synth", "version": 1, "preset": "bench", "height": HEIGHT}
    manifest.update({"width": WIDTH, "seed": 0, "count": SAMPLES, "classes": ["a", "b"]})
    (root / "monocle_synth.json").write_text(json.dumps(manifest))
    for index in range(SAMPLES):
        stem = f"{index:06d}"
        write_image(root / f"{stem}.rgb.png", (smooth_noise(rng, 3) * 255).astype(np.uint8))
        depth = 0.5 + 9.0 * smooth_noise(rng, 1)[..., 0]
        write_depth(root / f"{stem}.depth.png", depth, kind="metric", unit="m", K=K)
        normals = smooth_noise(rng, 3) * 2 - 1
        normals /= np.linalg.norm(normals, axis=-1, keepdims=True) + 1e-6
        codes = np.rint((normals + 1) / 2 * 65535).astype(np.uint16)
        cv2.imwrite(str(root / f"{stem}.normals.png"), codes)
        cv2.imwrite(str(root / f"{stem}.semantic.png"), (depth > 5).astype(np.uint8))
        info = {"K": K, "pose": np.eye(4).tolist(), "preset": "bench", "seed": index}
        info.update({"category": "bench", "baseline": 0.1, "max_depth": 10.0})
        (root / f"{stem}.json").write_text(json.dumps(info))


def loader_throughput(root: Path, transform, epochs: int = 2) -> dict:
    dataset = SyntheticFolderDataset(root, extras=("normals", "segmentation"), transform=transform)
    loader = DataLoader(
        dataset, batch_size=BATCH, shuffle=True, num_workers=WORKERS, persistent_workers=True
    )
    next(iter(loader))  # start the workers outside the timing
    start, seen = time.perf_counter(), 0
    for _ in range(epochs):
        for batch in loader:
            seen += batch["image"].shape[0]
    seconds = time.perf_counter() - start
    return {
        "samples": seen,
        "seconds": round(seconds, 3),
        "samples_per_s": round(seen / seconds, 2),
    }


class SmallNet(nn.Module):
    """A ~50 k parameter encoder-decoder: a floor for what any real depth net costs per step."""

    def __init__(self) -> None:
        super().__init__()

        def block(cin: int, cout: int, stride: int) -> nn.Sequential:
            return nn.Sequential(
                nn.Conv2d(cin, cout, 3, stride, 1), nn.BatchNorm2d(cout), nn.ReLU()
            )

        self.encoder = nn.Sequential(block(3, 16, 2), block(16, 32, 2), block(32, 64, 2))
        self.decoder = nn.Sequential(
            nn.Upsample(scale_factor=2), block(64, 32, 1),
            nn.Upsample(scale_factor=2), block(32, 16, 1),
            nn.Upsample(scale_factor=2), nn.Conv2d(16, 1, 3, 1, 1), nn.Softplus(),
        )  # fmt: skip

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(image))


def train_step_time(steps: int = 3) -> dict:
    torch.manual_seed(0)
    net = SmallNet()
    optimizer = torch.optim.SGD(net.parameters(), lr=1e-3, momentum=0.9)
    image = torch.rand(BATCH, 3, HEIGHT, WIDTH)
    depth = torch.rand(BATCH, 1, HEIGHT, WIDTH) * 9 + 0.5

    def step() -> None:
        optimizer.zero_grad()
        loss = (net(image) - depth).abs().mean()
        loss.backward()
        optimizer.step()

    step()  # warm-up
    start = time.perf_counter()
    for _ in range(steps):
        step()
    seconds = (time.perf_counter() - start) / steps
    return {
        "parameters": sum(p.numel() for p in net.parameters()),
        "seconds_per_step": round(seconds, 3),
        "samples_per_s": round(BATCH / seconds, 2),
    }


def main() -> None:
    augment = Compose(
        [
            RandomResizedCrop((HEIGHT, WIDTH), scale=(1.0, 1.25)),
            RandomHorizontalFlip(),
            RandomRotation(5.0),
            ColorJitter(),
        ]
    )
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        start = time.perf_counter()
        write_folder(root)
        write_seconds = time.perf_counter() - start
        plain = loader_throughput(root, None)
        augmented = loader_throughput(root, augment)
    train = train_step_time()
    slowest_loader = min(plain["samples_per_s"], augmented["samples_per_s"])
    result = {
        "setup": {
            "size": [HEIGHT, WIDTH],
            "samples": SAMPLES,
            "batch": BATCH,
            "workers": WORKERS,
            "cpu_count": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
            "torch": torch.__version__,
            "python": platform.python_version(),
            "note": "CPU shared with other jobs while measured; numbers are indicative",
        },
        "write_folder_s": round(write_seconds, 2),
        "loader_decode_only": plain,
        "loader_with_augmentation": augmented,
        "train_step_small_net": train,
        "loading_is_bottleneck": slowest_loader < train["samples_per_s"],
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "data.json").write_text(json.dumps(result, indent=2) + "\n")
    rows = [
        ("loader, decode only (2 workers)", plain["samples_per_s"]),
        ("loader, decode + augmentation (2 workers)", augmented["samples_per_s"]),
        (f"train step, small conv net ({train['parameters']} params, CPU)", train["samples_per_s"]),
    ]
    lines = [
        f"# Data loading vs training step, {HEIGHT}x{WIDTH}, batch {BATCH}",
        "",
        f"CPU shared with other jobs while measured ({os.cpu_count()} cores); indicative only.",
        "",
        "| what | samples/s |",
        "|---|---|",
        *[f"| {name} | {rate} |" for name, rate in rows],
        "",
        "Loading is the bottleneck."
        if result["loading_is_bottleneck"]
        else "Loading keeps up with the training step.",
        "",
    ]
    (RESULTS / "data.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
