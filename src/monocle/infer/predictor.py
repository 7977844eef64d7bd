"""Predictor: any image in, a DepthMap out, for any registered model, checkpoint or ONNX file."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from monocle.depthmap import DepthMap
from monocle.infer.backends import Backend, TorchBackend, output_unit
from monocle.io import read_image

#: Largest working size, in multiples of the pixel count a model was trained at. A 16:9 frame
#: at the trained short side needs 1.4x; wider frames get fewer rows instead (a 3.3:1 KITTI
#: frame runs at 96x320, not 128x416, which scored lower on synthetic 3.3:1 streets).
MAX_PIXELS_FACTOR = 1.5


def working_size(
    image_size: tuple[int, int], input_size: tuple[int, int], multiple: int
) -> tuple[int, int]:
    """The size an image is resized to before the network sees it.

    Keeps the image's aspect ratio with its short side at the short side the model was trained
    at, each side rounded to the model's size multiple (Depth Anything and MiDaS size their
    inputs the same way): a model trained at 128x160 sees a 4:3 photo at 128x160, a 16:9 frame
    at 128x224 and a portrait photo at 160x128. Holding the pixel count instead squeezed wide
    frames into fewer rows than training ever showed (16:9 at 96x192). Wider frames are held
    to :data:`MAX_PIXELS_FACTOR` times the trained pixel count, so a 1x1000 strip cannot ask
    for a 128x128000 input.
    """
    h, w = image_size
    scale = min(input_size) / min(h, w)
    budget = MAX_PIXELS_FACTOR * input_size[0] * input_size[1]
    scale = min(scale, math.sqrt(budget / (h * w)))
    return (
        max(multiple, round(h * scale / multiple) * multiple),
        max(multiple, round(w * scale / multiple) * multiple),
    )


def working_focal(K: np.ndarray, image_size: tuple[int, int], size: tuple[int, int]) -> float:
    """The focal length in pixels of the working size ``size`` for an image of ``image_size``
    with intrinsics ``K``.

    Rounding the working size to the model's multiple stretches the two axes differently (a
    4:3 photo becomes 128x160, 6.7% wider than tall), and a stretched picture has no single
    focal. The geometric mean of the two axes' focals is the one of a picture with the same
    pixel area; the horizontal focal alone made every 4:3 photo's depth about 6% too near.
    """
    scale_y, scale_x = size[0] / image_size[0], size[1] / image_size[1]
    return math.sqrt(float(K[0, 0]) * scale_x * float(K[1, 1]) * scale_y)


def flip_average(pred: torch.Tensor, mirrored: torch.Tensor, kind: str) -> torch.Tensor:
    """One prediction from a prediction and the mirrored image's prediction flipped back
    (both (B,1,H,W)): the geometric mean for depth (the mean in log depth), the arithmetic
    mean for disparity."""
    return (pred + mirrored) / 2 if kind == "disparity" else (pred * mirrored).sqrt()


class Predictor:
    """Runs a depth network on images of any size and returns :class:`DepthMap` s.

    The image is resized (aspect kept, antialiased) to the short side the model was trained
    at (:func:`working_size`), rounded back to 8-bit pixels, handed to the backend, and the
    prediction is resized back to the image's own size.

    ``backend``: a :class:`~monocle.infer.backends.Backend` (e.g. ``TorchBackend``,
    ``monocle.export.OnnxBackend``) or a monocle ``nn.Module``, which is wrapped in a
    ``TorchBackend`` with ``device`` and ``precision`` (``"fp32"``, ``"fp16"`` or ``"bf16"``;
    these two arguments apply to modules only).

    ``flip=True`` is test-time augmentation: the network also sees the mirrored image, and the
    two predictions are averaged (depth geometrically, i.e. in log depth; disparity
    arithmetically), as monodepth2's post-processing and the MDE Toolbox's flip test do. It
    costs a second forward pass.
    """

    def __init__(
        self,
        backend: Backend | torch.nn.Module,
        *,
        device: str | torch.device | None = "auto",
        precision: str = "fp32",
        batch_size: int = 4,
        flip: bool = False,
    ) -> None:
        if isinstance(backend, torch.nn.Module):
            backend = TorchBackend(backend, device=device, precision=precision)
        self.backend = backend
        self.cfg = backend.cfg
        self.batch_size = batch_size
        self.flip = flip

    @property
    def model(self) -> torch.nn.Module:
        """The torch module behind a torch backend."""
        model = getattr(self.backend, "model", None)
        if model is None:
            raise AttributeError(
                f"this Predictor runs a {type(self.backend).__name__}, which has no torch model"
            )
        return model

    @property
    def device(self) -> torch.device:
        return self.backend.device

    @property
    def kind(self) -> str:
        return "disparity" if self.cfg.output_kind == "disparity" else "metric"

    def infer(self, image, K: np.ndarray | None = None) -> DepthMap:
        """Depth of one image (anything :func:`monocle.read_image` takes).

        ``K``: intrinsics in pixels of this image; it is attached to the result so that
        ``to_points`` works. For a model with a canonical focal (``cfg.canonical_focal``) K
        also sets the metric scale; without K such a model assumes its canonical camera.
        """
        return self.infer_batch([image], None if K is None else [K])[0]

    def infer_batch(self, images: Sequence, Ks: Sequence | None = None) -> list[DepthMap]:
        """Depth of several images; images that share a working size run as one batch."""
        if Ks is not None and len(Ks) != len(images):
            raise ValueError(f"infer_batch got {len(images)} images but {len(Ks)} intrinsics")
        rgbs = [read_image(image) for image in images]
        groups: dict[tuple[int, int], list[int]] = defaultdict(list)
        for i, rgb in enumerate(rgbs):
            groups[self.working_size(rgb.shape[:2])].append(i)
        results: list[DepthMap | None] = [None] * len(rgbs)
        unit = output_unit(self.cfg)
        for size, indices in groups.items():
            for start in range(0, len(indices), self.batch_size):
                chunk = indices[start : start + self.batch_size]
                outputs = self._forward([rgbs[i] for i in chunk], size)
                for i, values in zip(chunk, outputs, strict=True):
                    K = None if Ks is None else Ks[i]
                    depth = DepthMap(values, kind=self.kind, unit=unit, K=K)
                    if depth.K is not None and self.cfg.canonical_focal is not None:
                        focal = working_focal(depth.K, rgbs[i].shape[:2], size)
                        depth.values = depth.values * np.float32(self.cfg.depth_scale(focal))
                    results[i] = depth
        return results  # type: ignore[return-value]

    def working_size(self, image_size: tuple[int, int]) -> tuple[int, int]:
        """(h, w) the backend sees for an image of ``image_size``."""
        fixed = getattr(self.backend, "fixed_size", None)
        if fixed is not None:
            return fixed
        return working_size(image_size, self.cfg.input_size, self.cfg.size_multiple)

    @torch.inference_mode()
    def _forward(self, rgbs: list[np.ndarray], size: tuple[int, int]) -> list[np.ndarray]:
        batch = []
        for rgb in rgbs:
            # as_tensor copies read-only arrays (decoded images can be), from_numpy would warn.
            x = torch.as_tensor(np.array(rgb, copy=not rgb.flags.writeable))
            x = x.to(self.device).permute(2, 0, 1)[None].float()
            if x.shape[-2:] != size:
                x = F.interpolate(x, size=size, mode="bilinear", antialias=True)
            batch.append(x.round_().clamp_(0, 255).to(torch.uint8))
        pixels = torch.cat(batch)
        pred = self.backend(pixels)
        if self.flip:
            pred = flip_average(pred, self.backend(pixels.flip(-1)).flip(-1), self.kind)
        return [
            F.interpolate(p[None], size=rgb.shape[:2], mode="bilinear")[0, 0].cpu().numpy()
            for p, rgb in zip(pred, rgbs, strict=True)
        ]
