"""Pretrained configuration: everything needed to feed a model and read its output."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
OUTPUT_KINDS = ("metric", "log_depth", "disparity")


@dataclass(frozen=True)
class PretrainedConfig:
    """Preprocessing, output meaning and provenance of one registered model.

    Attributes:
        architecture: registered model name (e.g. ``"sanet_r18"``).
        encoder: encoder name as accepted by :func:`monocle.models.create_encoder`.
        input_size: (H, W) the model was (or is meant to be) trained at.
        size_multiple: inputs are padded to a multiple of this inside ``forward``.
        mean, std: per-channel RGB normalisation applied inside ``forward`` to [0, 1] input.
        output_kind: ``"metric"`` (depth in metres), ``"log_depth"`` (natural log of metres,
            plus ``depth``) or ``"disparity"`` (relative inverse depth, no ``depth`` key).
        min_depth, max_depth: metric range in metres; bounds the metric depth activation.
        license: license of the weights named by ``weights``.
        weights: safetensors file name or URL of trained weights, or None (random init).
        canonical_focal: focal length in pixels, at the network's working resolution, of the
            camera the network predicts depth for (Metric3D's canonical camera). One photo
            cannot tell a wide lens on a big room from a long lens on a small one; a model with
            a canonical focal leaves that to the intrinsics: depth seen by a camera of focal f
            is the network's depth times ``f / canonical_focal`` (see :meth:`depth_scale`).
            None: the network predicts depth directly.
        channels_last: build the network in channels-last memory format. It runs faster on
            CPU (and with CUDA mixed precision) for depthwise and ResNet-18 style networks
            (bench/train.py measures both layouts), slower for ResNet-50 bottlenecks; the
            results are the same to float rounding. Its weights are then not
            contiguous: save them with :func:`monocle.checkpoint.save_checkpoint` (or call
            ``.contiguous()`` first).
    """

    architecture: str
    encoder: str
    input_size: tuple[int, int]
    size_multiple: int = 32
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    output_kind: str = "metric"
    min_depth: float = 0.1
    max_depth: float = 10.0
    license: str = "MIT"
    weights: str | None = None
    canonical_focal: float | None = None
    channels_last: bool = False

    def __post_init__(self) -> None:
        # JSON round trips turn tuples into lists; store tuples so configs stay hashable.
        for name in ("input_size", "mean", "std"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        if len(self.input_size) != 2 or min(self.input_size) <= 0:
            raise ValueError(f"input_size must be (H, W) positive, got {self.input_size}")
        if len(self.mean) != 3 or len(self.std) != 3 or min(self.std) <= 0:
            raise ValueError(f"mean/std need 3 values with std > 0, got {self.mean}, {self.std}")
        if self.size_multiple <= 0:
            raise ValueError(f"size_multiple must be positive, got {self.size_multiple}")
        if self.output_kind not in OUTPUT_KINDS:
            raise ValueError(f"output_kind must be one of {OUTPUT_KINDS}, got {self.output_kind!r}")
        if not 0 < self.min_depth < self.max_depth:
            raise ValueError(
                f"need 0 < min_depth < max_depth, got min_depth={self.min_depth}, "
                f"max_depth={self.max_depth}"
            )
        if self.canonical_focal is not None and (
            self.output_kind == "disparity" or not self.canonical_focal > 0
        ):
            raise ValueError(
                "canonical_focal must be a positive focal length in pixels for a metric or "
                f"log_depth model, got {self.canonical_focal} with output_kind "
                f"{self.output_kind!r}"
            )

    def depth_scale(self, focal):
        """Factor from the network's depth to the depth a camera of focal length ``focal``
        (pixels at the network's working resolution; a float or a tensor) sees: ``focal /
        canonical_focal``, or 1 for a model without a canonical focal."""
        return 1.0 if self.canonical_focal is None else focal / self.canonical_focal

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (tuples become lists); inverse of :meth:`from_dict`."""
        return {
            key: list(value) if isinstance(value, tuple) else value
            for key, value in asdict(self).items()
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PretrainedConfig:
        """Rebuild a config from :meth:`to_dict` output; unknown keys are an error."""
        known = {field.name for field in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(
                f"unknown PretrainedConfig key(s) {unknown}; valid keys: {sorted(known)}"
            )
        return cls(**data)
