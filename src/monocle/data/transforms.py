"""Transforms over contract samples: deterministic resize/crop, reproducible random augmentation.

Every geometric transform updates K, depth and the valid mask together (see
:mod:`monocle.data.geometry` for the pixel convention and the nearest-valid rule). Every random
transform takes ``generator``: a ``torch.Generator``, an int seed (a private generator is made
from it), or None for torch's global RNG. With DataLoader workers, prefer None: each worker's
global RNG is seeded differently (and reproducibly, from the DataLoader's own generator), while
a generator passed here is copied into every worker with the same state, so all workers would
draw the same augmentations.

Recipes build a pipeline from plain data with :func:`build_transforms`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from monocle.data.base import DatasetError, Sample
from monocle.data.geometry import crop_sample, hflip_sample, resize_sample, rotate_sample

Generator = torch.Generator | int | None


def _make_generator(generator: Generator) -> torch.Generator | None:
    if isinstance(generator, int):
        return torch.Generator().manual_seed(generator)
    return generator


def _size_pair(size: int | Sequence[int], what: str) -> tuple[int, int]:
    pair = (size, size) if isinstance(size, int) else tuple(int(s) for s in size)
    if len(pair) != 2 or min(pair) < 1:
        raise DatasetError(f"{what}: size must be (height, width) of positive ints, got {size!r}")
    return pair


class _RandomTransform:
    def __init__(self, generator: Generator) -> None:
        self.generator = _make_generator(generator)

    def _uniform(self, low: float, high: float) -> float:
        return low + (high - low) * float(torch.rand((), generator=self.generator))

    def _integer(self, high: int) -> int:
        """Uniform in [0, high]."""
        return int(torch.randint(0, high + 1, (), generator=self.generator))


class Compose:
    """Apply transforms in order."""

    def __init__(self, transforms: Sequence[Callable[[Sample], Sample]]) -> None:
        self.transforms = list(transforms)

    def __call__(self, sample: Sample) -> Sample:
        for transform in self.transforms:
            sample = transform(sample)
        return sample

    def __repr__(self) -> str:
        return f"Compose({self.transforms!r})"


class Resize:
    """Resize to a fixed (H, W); K is scaled. See :func:`monocle.data.geometry.resize_sample`."""

    def __init__(self, size: int | Sequence[int]) -> None:
        self.size = _size_pair(size, "Resize")

    def __call__(self, sample: Sample) -> Sample:
        return resize_sample(sample, self.size)


class CenterCrop:
    """Cut the central (H, W) window; K's principal point shifts."""

    def __init__(self, size: int | Sequence[int]) -> None:
        self.size = _size_pair(size, "CenterCrop")

    def __call__(self, sample: Sample) -> Sample:
        height, width = sample["image"].shape[-2:]
        top, left = (height - self.size[0]) // 2, (width - self.size[1]) // 2
        return crop_sample(sample, top, left, *self.size)


class RandomResizedCrop(_RandomTransform):
    """Resize by a random factor, then cut a random (H, W) window.

    The factor is ``s_cover * U(scale)``, where ``s_cover`` is the smallest factor at which the
    image covers the window, so ``scale=(1, 1)`` is resize-to-cover plus a random crop.
    Depth values are not changed: K carries the zoom.
    """

    def __init__(
        self,
        size: int | Sequence[int],
        scale: Sequence[float] = (1.0, 1.5),
        generator: Generator = None,
    ) -> None:
        super().__init__(generator)
        self.size = _size_pair(size, "RandomResizedCrop")
        if len(scale) != 2 or not 1.0 <= scale[0] <= scale[1]:
            raise DatasetError(
                f"RandomResizedCrop: scale must be (low, high), 1 <= low <= high, got {scale!r}"
            )
        self.scale = (float(scale[0]), float(scale[1]))

    def __call__(self, sample: Sample) -> Sample:
        height, width = sample["image"].shape[-2:]
        cover = max(self.size[0] / height, self.size[1] / width)
        factor = cover * self._uniform(*self.scale)
        new_h = max(self.size[0], round(height * factor))
        new_w = max(self.size[1], round(width * factor))
        sample = resize_sample(sample, (new_h, new_w))
        top = self._integer(new_h - self.size[0])
        left = self._integer(new_w - self.size[1])
        return crop_sample(sample, top, left, *self.size)


class RandomHorizontalFlip(_RandomTransform):
    """Mirror with probability ``p``; K, normals and all spatial keys follow."""

    def __init__(self, p: float = 0.5, generator: Generator = None) -> None:
        super().__init__(generator)
        self.p = float(p)

    def __call__(self, sample: Sample) -> Sample:
        return hflip_sample(sample) if self._uniform(0.0, 1.0) < self.p else sample


class RandomRotation(_RandomTransform):
    """Roll the camera by U(-degrees, degrees) about its optical axis; K unchanged.

    Pixels rotated in from outside the image are invalid (depth 0, image black).
    """

    def __init__(self, degrees: float = 5.0, generator: Generator = None) -> None:
        super().__init__(generator)
        self.degrees = float(degrees)

    def __call__(self, sample: Sample) -> Sample:
        return rotate_sample(sample, self._uniform(-self.degrees, self.degrees))


class ColorJitter(_RandomTransform):
    """Random brightness, contrast, saturation and hue of the image(s); geometry untouched.

    Factors are drawn from U(1 - x, 1 + x): brightness scales the image, contrast and saturation
    blend with the mean grey level and the per-pixel grey (as torchvision does). Hue shifts by
    U(-hue, hue) turns (hue <= 0.5); it needs an HSV round trip that costs ~10x the rest, so it
    is off by default. The same draw applies to ``image``, ``background_image`` and
    ``image_right`` so the views stay photometrically consistent.
    """

    def __init__(
        self,
        brightness: float = 0.2,
        contrast: float = 0.2,
        saturation: float = 0.2,
        hue: float = 0.0,
        generator: Generator = None,
    ) -> None:
        super().__init__(generator)
        if not 0.0 <= hue <= 0.5:
            raise DatasetError(f"ColorJitter: hue must be in [0, 0.5] turns, got {hue}")
        self.brightness, self.contrast, self.saturation, self.hue = (
            float(brightness),
            float(contrast),
            float(saturation),
            float(hue),
        )

    def __call__(self, sample: Sample) -> Sample:
        from kornia import enhance

        brightness = self._uniform(1 - self.brightness, 1 + self.brightness)
        contrast = self._uniform(1 - self.contrast, 1 + self.contrast)
        saturation = self._uniform(1 - self.saturation, 1 + self.saturation)
        hue = self._uniform(-self.hue, self.hue) * 2.0 * torch.pi
        out = dict(sample)
        for key in ("image", "background_image", "image_right"):
            if key in sample:
                image = (sample[key] * brightness).clamp_(0.0, 1.0)
                image = enhance.adjust_contrast_with_mean_subtraction(image, contrast)
                image = enhance.adjust_saturation_with_gray_subtraction(image, saturation)
                if self.hue > 0:
                    image = enhance.adjust_hue(image.clamp(0.0, 1.0), hue)
                out[key] = image.clamp(0.0, 1.0)
        return out


TRANSFORMS: dict[str, type] = {
    "resize": Resize,
    "center_crop": CenterCrop,
    "random_resized_crop": RandomResizedCrop,
    "hflip": RandomHorizontalFlip,
    "rotate": RandomRotation,
    "color_jitter": ColorJitter,
}


def build_transforms(cfg: Sequence[dict[str, Any]] | dict[str, Any] | None) -> Compose | None:
    """Build a pipeline from a recipe.

    Args:
        cfg: a list of ``{"type": NAME, **arguments}`` (NAME in :data:`TRANSFORMS`), or
            ``{"transforms": [...], "seed": int}``. With a seed, each random transform gets its
            own generator seeded ``seed + position``; without, they use the global RNG.

    Returns:
        :class:`Compose`, or None for an empty or missing recipe.

    Example (YAML)::

        transforms:
          - {type: random_resized_crop, size: [240, 320], scale: [1.0, 1.5]}
          - {type: hflip, p: 0.5}
          - {type: rotate, degrees: 5}
          - {type: color_jitter, brightness: 0.2}
    """
    if not cfg:
        return None
    seed = None
    if isinstance(cfg, dict):
        unknown = set(cfg) - {"transforms", "seed"}
        if unknown:
            raise DatasetError(
                f"transform recipe: unknown keys {sorted(unknown)}; use 'transforms' and 'seed'"
            )
        seed, cfg = cfg.get("seed"), cfg.get("transforms") or []
    transforms = []
    for position, entry in enumerate(cfg):
        options = dict(entry)
        name = options.pop("type", None)
        if name not in TRANSFORMS:
            raise DatasetError(
                f"transform recipe entry {position}: unknown type {name!r}; valid types: "
                f"{', '.join(TRANSFORMS)}"
            )
        cls = TRANSFORMS[name]
        if seed is not None and issubclass(cls, _RandomTransform):
            options.setdefault("generator", int(seed) + position)
        try:
            transforms.append(cls(**options))
        except TypeError as err:
            raise DatasetError(f"transform recipe entry {position} ({name}): {err}") from None
    return Compose(transforms)
