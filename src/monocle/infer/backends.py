"""Backends: the network call behind a :class:`~monocle.infer.Predictor`.

A backend maps a batch of pixels at the working size to one depth-like map per image:

- input: ``uint8`` tensor (B,3,h,w), RGB, on ``backend.device``;
- output: ``float32`` tensor (B,1,h',w') of kind ``backend.cfg.output_kind`` (any device; h', w'
  may differ from h, w for foreign ONNX models that predict at a lower resolution).

Feeding pixels rather than floats means every backend (torch, onnxruntime with the uint8-in
graph monocle exports, a foreign float-in ONNX) sees exactly the same input, so they agree.
"""

from __future__ import annotations

from typing import Protocol

import torch

from monocle.models.config import PretrainedConfig

PRECISIONS = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}


class Backend(Protocol):
    """What :class:`~monocle.infer.Predictor` needs from a network runner."""

    cfg: PretrainedConfig
    device: torch.device
    #: (H, W) the network only accepts, or None when any size (multiple of the config's) works.
    fixed_size: tuple[int, int] | None

    def __call__(self, pixels: torch.Tensor) -> torch.Tensor: ...


def output_key(cfg: PretrainedConfig) -> str:
    """The output a Predictor reads: ``"disparity"`` for disparity models, else ``"depth"``."""
    return "disparity" if cfg.output_kind == "disparity" else "depth"


def output_unit(cfg: PretrainedConfig) -> str:
    """Unit of that output: ``"m"`` for depth, ``"1/m"`` for disparity of a model with a metric
    range."""
    if cfg.output_kind != "disparity":
        return "m"
    return "1/m" if cfg.max_depth else ""


def resolve_device(device: str | torch.device | None) -> torch.device:
    if device in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' asked for but CUDA is not available here; use 'cpu'")
    return device


class TorchBackend:
    """A monocle ``nn.Module`` run eagerly by torch, in ``precision`` (autocast for fp16/bf16;
    fp16 is meant for CUDA, bf16 works on recent CPUs too)."""

    fixed_size = None

    def __init__(
        self,
        model: torch.nn.Module,
        *,
        device: str | torch.device | None = "auto",
        precision: str = "fp32",
    ) -> None:
        if precision not in PRECISIONS:
            raise ValueError(f"precision {precision!r} is unknown; use one of {list(PRECISIONS)}")
        cfg = getattr(model, "pretrained_cfg", None)
        if cfg is None:
            raise ValueError(
                "Predictor needs a monocle model (with .pretrained_cfg); "
                "build it with monocle.create_model or monocle.load"
            )
        self.cfg: PretrainedConfig = cfg
        self.device = resolve_device(device)
        self.precision = precision
        self.model = model.to(self.device).eval()

    @torch.inference_mode()
    def __call__(self, pixels: torch.Tensor) -> torch.Tensor:
        x = pixels.to(self.device).float() / 255
        with torch.autocast(
            self.device.type,
            dtype=PRECISIONS[self.precision],
            enabled=self.precision != "fp32",
        ):
            out = self.model(x)
        return out[output_key(self.cfg)].float()
