"""``SyntheticDataset``: a torch Dataset that renders samples on the fly (the data contract)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from monocle.synth.presets import check_preset, render_sample
from monocle.synth.render import check_size


def _image(rgb: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(rgb.transpose(2, 0, 1))).float() / 255.0


def _plane(values: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(values))[None]


def sample_to_item(sample: dict, item_id: str) -> dict:
    """Convert a :func:`~monocle.synth.render_sample` dict to a data-contract item."""
    meta = sample["meta"]
    item = {
        "image": _image(sample["rgb"]),
        "depth": _plane(sample["depth"]),
        "valid": _plane(sample["valid"]),
        "K": torch.from_numpy(np.asarray(sample["K"], dtype=np.float32)),
        "normals": torch.from_numpy(np.ascontiguousarray(sample["normals"].transpose(2, 0, 1))),
        "segmentation": _plane(sample["semantic"].astype(np.int64)),
        "instance": _plane(sample["instance"].astype(np.int64)),
        "pose": torch.from_numpy(np.asarray(sample["pose"], dtype=np.float32)),
        "meta": {
            "dataset": f"synth/{meta['preset']}",
            "id": item_id,
            "depth_kind": "metric",
            "max_depth": meta["max_depth"],
            "category": meta["category"] or "",  # "" not None, so default_collate works
            "seed": meta["seed"],
        },
    }
    if "background_rgb" in sample:
        item["background_image"] = _image(sample["background_rgb"])
        item["background_depth"] = _plane(sample["background_depth"])
        item["background_valid"] = _plane(sample["background_valid"])
    if "right_rgb" in sample:
        item["image_right"] = _image(sample["right_rgb"])
        item["depth_right"] = _plane(sample["right_depth"])
        item["baseline"] = torch.tensor(float(sample["baseline"]))
    if "frames" in sample:
        item["frames"] = torch.from_numpy(sample["frames"].transpose(0, 3, 1, 2).copy()) / 255.0
        item["frame_depths"] = torch.from_numpy(sample["frame_depths"])[:, None]
        item["frame_valid"] = torch.from_numpy(sample["frame_valid"])[:, None]
        item["poses"] = torch.from_numpy(sample["poses"])
        item["motion_masks"] = torch.from_numpy(sample["motion_masks"])[:, None]
    return item


class SyntheticDataset(Dataset):
    """``n`` procedurally rendered items; item ``i`` is ``render_sample(preset_i, seed + i)``.

    ``preset`` may be a list: item i then uses ``preset[i % len(preset)]``. ``transform`` is
    applied to each item dict. Rendering happens in ``__getitem__`` (use DataLoader workers).
    ``background=False`` leaves out the background layer keys and renders faster.
    """

    def __init__(
        self,
        preset: str | Sequence[str] = "indoor",
        n: int = 1000,
        size: tuple[int, int] = (240, 320),
        seed: int = 0,
        transform: Callable[[dict], dict] | None = None,
        device: str | torch.device = "cpu",
        background: bool = True,
    ):
        self.presets = [preset] if isinstance(preset, str) else list(preset)
        if not self.presets:
            raise ValueError("preset list is empty; give at least one preset name")
        for name in self.presets:
            check_preset(name)
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        if seed < 0:
            raise ValueError(f"seed must be >= 0, got {seed}")
        self.n, self.size, self.seed = int(n), check_size(size), int(seed)
        self.transform, self.device, self.background = transform, device, background

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, index: int) -> dict:
        if not -self.n <= index < self.n:
            raise IndexError(f"index {index} out of range for {self.n} items")
        index %= self.n
        preset = self.presets[index % len(self.presets)]
        sample = render_sample(
            preset, self.seed + index, self.size, device=self.device, background=self.background
        )
        item = sample_to_item(sample, f"{preset}/{self.seed + index:06d}")
        return self.transform(item) if self.transform is not None else item
