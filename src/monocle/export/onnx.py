"""Export a monocle model to ONNX (fp32, fp16, int8) or ORT format, pixels in, depth out.

The exported graph takes ``image``: uint8 (B,3,H,W) RGB, any batch, height and width, and
returns ``depth`` (or ``disparity``): float32 (B,1,H,W). The uint8 -> [0,1] conversion is in the
graph and the model normalises and pads inside its own forward, so a runtime user only feeds
pixels. The model's pretrained config is stored as JSON in the ONNX ``metadata_props`` (key
``"monocle"``), next to a few flat keys that tools such as Netron show as they are.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from monocle.export.runtime import METADATA_FORMAT, METADATA_KEY
from monocle.infer.backends import output_key, output_unit
from monocle.models.config import PretrainedConfig

FORMATS = {"onnx": ("fp32", "fp16", "int8"), "ort": ("fp32", "int8")}
INPUT_NAME = "image"


class PixelInput(nn.Module):
    """``model`` behind the preprocessing a runtime would otherwise have to copy.

    Shape: uint8 (B,3,H,W) RGB -> float32 (B,1,H,W) ``model(image / 255)[key]``.
    """

    def __init__(self, model: nn.Module, key: str) -> None:
        super().__init__()
        self.model = model
        self.key = key

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.model(image.float() / 255)[self.key]


def check_format(format: str, precision: str) -> None:
    """Raise a clear error unless ``format`` can hold a model in ``precision``."""
    if format not in FORMATS:
        hint = " (TFLite: see docs/edge.md)" if format.lower() in ("tflite", "litert") else ""
        raise ValueError(f"format {format!r} is unknown{hint}; use one of {', '.join(FORMATS)}")
    if precision not in FORMATS[format]:
        why = (
            "; fp16 is meant for GPU/NPU runtimes, which load .onnx (use --format onnx)"
            if (format, precision) == ("ort", "fp16")
            else ""
        )
        raise ValueError(
            f"format {format!r} cannot hold precision {precision!r}{why}; "
            f"{format} holds {', '.join(FORMATS[format])}"
        )


def resolve_model(model_or_checkpoint: nn.Module | str | Path) -> nn.Module:
    """An eval-mode monocle module from a module, a checkpoint path or a registered name with
    trained weights."""
    if isinstance(model_or_checkpoint, nn.Module):
        model = model_or_checkpoint
    else:
        from monocle.infer import load_model

        model = load_model(model_or_checkpoint)
    if getattr(model, "pretrained_cfg", None) is None:
        raise ValueError(
            "export needs a monocle model (with .pretrained_cfg); build it with "
            "monocle.create_model or load a checkpoint"
        )
    return model.cpu().eval()


def build_metadata(cfg: PretrainedConfig, precision: str) -> dict[str, str]:
    """ONNX ``metadata_props``: the full record under ``"monocle"`` plus flat readable keys."""
    import monocle

    record = {
        "format": METADATA_FORMAT,
        "version": 1,
        "monocle_version": monocle.__version__,
        "architecture": cfg.architecture,
        "precision": precision,
        "input": {"name": INPUT_NAME, "dtype": "uint8", "layout": "NCHW", "color": "RGB"},
        "output": {"name": output_key(cfg), "kind": cfg.output_kind, "unit": output_unit(cfg)},
        "pretrained_cfg": cfg.to_dict(),
    }
    flat = {
        "architecture": cfg.architecture,
        "output_kind": cfg.output_kind,
        "unit": output_unit(cfg),
        "min_depth": str(cfg.min_depth),
        "max_depth": str(cfg.max_depth),
        "input_size": f"{cfg.input_size[0]}x{cfg.input_size[1]}",
        "size_multiple": str(cfg.size_multiple),
        "license": cfg.license,
        "monocle_version": monocle.__version__,
    }
    if cfg.canonical_focal is not None:
        flat["canonical_focal"] = str(cfg.canonical_focal)
    return {METADATA_KEY: json.dumps(record), **flat}


def _trace(wrapper: PixelInput, path: Path, size: tuple[int, int], dynamo: bool, opset: int):
    example = (torch.zeros(1, 3, *size, dtype=torch.uint8),)
    key = wrapper.key
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the exporters' deprecation and tracer notes
        if dynamo:
            axes = {0: "batch", 2: "height", 3: "width"}
            # The dynamo exporter reports its progress on stdout; a library stays quiet.
            with contextlib.redirect_stdout(io.StringIO()):
                torch.onnx.export(wrapper, example, str(path), dynamo=True,
                                  input_names=[INPUT_NAME], output_names=[key],
                                  dynamic_shapes={INPUT_NAME: axes}, opset_version=opset,
                                  external_data=False)  # fmt: skip
        else:
            axes = {0: "batch", 2: "height", 3: "width"}
            torch.onnx.export(wrapper, example, str(path), dynamo=False,
                              input_names=[INPUT_NAME], output_names=[key],
                              dynamic_axes={INPUT_NAME: axes, key: axes},
                              opset_version=opset)  # fmt: skip


def _write_metadata(path: Path, metadata: dict[str, str]) -> None:
    import onnx

    model = onnx.load(str(path))
    del model.metadata_props[:]
    for key, value in metadata.items():
        model.metadata_props.add(key=key, value=value)
    model.producer_name = "monocle"
    onnx.save(model, str(path))


def to_fp16(source: Path, target: Path) -> None:
    """fp16 weights and compute, with fp32 outputs and the uint8 input kept (keep_io_types)."""
    import onnx

    try:  # the maintained converter, where installed
        from onnxconverter_common.float16 import convert_float_to_float16
    except ImportError:  # onnxruntime ships a copy of the same converter
        from onnxruntime.transformers.float16 import convert_float_to_float16

    model = convert_float_to_float16(onnx.load(str(source)), keep_io_types=True)
    onnx.save(model, str(target))


def to_ort(source: Path, target: Path) -> None:
    """ORT format for onnxruntime's mobile builds, optimised as
    ``onnxruntime.tools.convert_onnx_models_to_ort`` does by default (all optimisations except
    the x86-only NCHWc layout, so the file runs on ARM too)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.optimized_model_filepath = str(target)
    options.add_session_config_entry("session.save_model_format", "ORT")
    options.log_severity_level = 3
    ort.InferenceSession(str(source), options, providers=["CPUExecutionProvider"],
                         disabled_optimizers=["NchwcTransformer"])  # fmt: skip


def export_onnx(
    model_or_checkpoint: nn.Module | str | Path,
    path: str | Path,
    *,
    precision: str = "fp32",
    format: str = "onnx",
    calibration: str | Path | Sequence[Any] | None = None,
    calib_samples: int = 32,
    dynamo: bool = False,
    opset: int = 17,
) -> Path:
    """Export a model (module, checkpoint path, or registered name with weights) to ``path``.

    Args:
        precision: ``"fp32"``, ``"fp16"`` (fp32 input/output, fp16 inside: for GPU/NPU
            runtimes; onnxruntime on CPU is usually slower with it) or ``"int8"`` (static QDQ,
            per-channel weights, calibrated on ``calibration``).
        format: ``"onnx"``, or ``"ort"`` (written to ``path.with_suffix(".ort")``; fp32/int8).
        calibration: int8 only. None: ``calib_samples`` monocle.synth indoor renders; a folder
            of images; or a sequence of images (anything :func:`monocle.read_image` takes).
        dynamo: use the dynamo exporter instead of the TorchScript one (opset >= 18).
        opset: ONNX opset of the exported graph.

    Returns:
        The path written.
    """
    check_format(format, precision)
    if precision != "int8" and calibration is not None:
        raise ValueError(f"calibration images are for precision 'int8', not {precision!r}")
    model = resolve_model(model_or_checkpoint)
    cfg: PretrainedConfig = model.pretrained_cfg
    if precision == "int8":  # before tracing, so a bad calibration folder fails at once
        from monocle.export.quantize import calibration_images, quantize_int8

        images = calibration_images(calibration, calib_samples, cfg.input_size)
    path = Path(path)
    target = path.with_suffix(".ort") if format == "ort" else path
    target.parent.mkdir(parents=True, exist_ok=True)
    # Built in a scratch folder and moved at the end: a failed export leaves no partial file.
    with tempfile.TemporaryDirectory(prefix="monocle-export-") as tmp:
        fp32 = Path(tmp) / "fp32.onnx"
        # eval() on the wrapper too: the exporter restores the wrapper's mode afterwards, and a
        # fresh module is in training mode, which would switch the user's model to training.
        wrapper = PixelInput(model, output_key(cfg)).eval()
        _trace(wrapper, fp32, cfg.input_size, dynamo, opset)
        onnx_path = Path(tmp) / f"{precision}.onnx"
        if precision == "fp16":
            to_fp16(fp32, onnx_path)
        elif precision == "int8":
            quantize_int8(fp32, onnx_path, images)
        _write_metadata(onnx_path, build_metadata(cfg, precision))
        if format == "ort":
            to_ort(onnx_path, Path(tmp) / "model.ort")
            onnx_path = Path(tmp) / "model.ort"
        shutil.move(onnx_path, target)
    return target
