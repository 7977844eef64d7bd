"""Predictor: any image in, a DepthMap out, for any registered model or checkpoint."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from monocle.depthmap import DepthMap
from monocle.io import read_image

PRECISIONS = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}


def resolve_device(device: str | torch.device | None) -> torch.device:
    if device in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' asked for but CUDA is not available here; use 'cpu'")
    return device


def working_size(
    image_size: tuple[int, int], input_size: tuple[int, int], multiple: int
) -> tuple[int, int]:
    """The size an image is resized to before the network sees it.

    Keeps the image's aspect ratio and the pixel count the model was trained at, rounded to the
    model's size multiple: a model trained on 240x320 sees a 3000x4000 photo at 240x320 and a
    portrait photo at 320x240.
    """
    h, w = image_size
    scale = math.sqrt(input_size[0] * input_size[1] / (h * w))
    return (
        max(multiple, round(h * scale / multiple) * multiple),
        max(multiple, round(w * scale / multiple) * multiple),
    )


class Predictor:
    """Runs a depth model on images of any size and returns :class:`DepthMap` s.

    The image is resized (aspect kept) to the pixel count the model was trained at, predicted,
    and the prediction resized back to the image's own size. ``precision`` is ``"fp32"``,
    ``"fp16"`` or ``"bf16"`` (autocast; fp16 is meant for CUDA, bf16 works on recent CPUs too).
    """

    def __init__(
        self,
        model: torch.nn.Module,
        *,
        device: str | torch.device | None = "auto",
        precision: str = "fp32",
        batch_size: int = 4,
    ) -> None:
        if precision not in PRECISIONS:
            raise ValueError(f"precision {precision!r} is unknown; use one of {list(PRECISIONS)}")
        cfg = getattr(model, "pretrained_cfg", None)
        if cfg is None:
            raise ValueError(
                "Predictor needs a monocle model (with .pretrained_cfg); "
                "build it with monocle.create_model or monocle.load"
            )
        self.cfg = cfg
        self.device = resolve_device(device)
        self.precision = precision
        self.batch_size = batch_size
        self.model = model.to(self.device).eval()

    @property
    def kind(self) -> str:
        return "disparity" if self.cfg.output_kind == "disparity" else "metric"

    def infer(self, image, K: np.ndarray | None = None) -> DepthMap:
        """Depth of one image (anything :func:`monocle.read_image` takes).

        ``K``: intrinsics in pixels of this image; it is attached to the result so that
        ``to_points`` works.
        """
        return self.infer_batch([image], None if K is None else [K])[0]

    def infer_batch(self, images: Sequence, Ks: Sequence | None = None) -> list[DepthMap]:
        """Depth of several images; images that share a working size run as one batch."""
        if Ks is not None and len(Ks) != len(images):
            raise ValueError(f"infer_batch got {len(images)} images but {len(Ks)} intrinsics")
        rgbs = [read_image(image) for image in images]
        groups: dict[tuple[int, int], list[int]] = defaultdict(list)
        for i, rgb in enumerate(rgbs):
            size = working_size(rgb.shape[:2], self.cfg.input_size, self.cfg.size_multiple)
            groups[size].append(i)
        results: list[DepthMap | None] = [None] * len(rgbs)
        for size, indices in groups.items():
            for start in range(0, len(indices), self.batch_size):
                chunk = indices[start : start + self.batch_size]
                outputs = self._forward([rgbs[i] for i in chunk], size)
                for i, values in zip(chunk, outputs, strict=True):
                    K = None if Ks is None else Ks[i]
                    results[i] = DepthMap(values, kind=self.kind, unit=self._unit(), K=K)
        return results  # type: ignore[return-value]

    def _unit(self) -> str:
        return (
            "1/m"
            if self.kind == "disparity" and self.cfg.max_depth
            else ("m" if self.kind == "metric" else "")
        )

    @torch.inference_mode()
    def _forward(self, rgbs: list[np.ndarray], size: tuple[int, int]) -> list[np.ndarray]:
        batch = []
        for rgb in rgbs:
            x = torch.from_numpy(rgb).to(self.device).permute(2, 0, 1)[None].float() / 255
            batch.append(F.interpolate(x, size=size, mode="bilinear", antialias=True))
        x = torch.cat(batch)
        with torch.autocast(
            self.device.type,
            dtype=PRECISIONS[self.precision],
            enabled=self.precision != "fp32",
        ):
            out = self.model(x)
        key = "disparity" if self.kind == "disparity" else "depth"
        pred = out[key].float()
        return [
            F.interpolate(p[None], size=rgb.shape[:2], mode="bilinear")[0, 0].cpu().numpy()
            for p, rgb in zip(pred, rgbs, strict=True)
        ]
