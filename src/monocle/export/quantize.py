"""int8: onnxruntime static QDQ quantisation, per-channel weights, calibrated on pixels.

Activations are uint8 and weights int8 (onnxruntime's fast path on x86 and ARM); activation
ranges come from running the fp32 graph on calibration images, fed exactly as a runtime feeds
them: uint8 RGB at the model's input size. Each range spans the 0.001st to 99.999th percentile
of the values seen rather than their minimum and maximum: a few outliers then no longer stretch
a range and coarsen its 256 steps for every other value (on 96 held-out rooms, MinMax cost the
shipped `default` 1.1 points of δ1 against fp32, percentiles 0.5; docs/edge.md).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
# Held-out seeds: training recipes draw synth scenes from small seeds.
CALIBRATION_SEED = 1_000_000
CALIBRATION_PERCENTILE = 99.999


def _fit(rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Centre-crop ``rgb`` (H,W,3) to the aspect of ``size`` and resize: (3,h,w) uint8."""
    import cv2

    height, width = rgb.shape[:2]
    target = size[0] / size[1]
    if height / width > target:
        keep = round(width * target)
        rgb = rgb[(height - keep) // 2 : (height - keep) // 2 + keep]
    else:
        keep = round(height / target)
        rgb = rgb[:, (width - keep) // 2 : (width - keep) // 2 + keep]
    rgb = cv2.resize(rgb, (size[1], size[0]), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(rgb.transpose(2, 0, 1))


def calibration_images(
    source: str | Path | Sequence[Any] | None, count: int, size: tuple[int, int]
) -> list[np.ndarray]:
    """Up to ``count`` uint8 (3,H,W) calibration images at ``size``.

    ``source``: None (monocle.synth indoor renders), a folder of images, or a sequence of
    images (anything :func:`monocle.read_image` takes).
    """
    from monocle.io import read_image

    if count <= 0:
        raise ValueError(f"calibration needs at least one image, got calib_samples={count}")
    if source is None:
        from monocle.synth import render_sample

        renders = (render_sample("indoor", CALIBRATION_SEED + i, size)["rgb"] for i in range(count))
        return [_fit(rgb, size) for rgb in renders]
    if isinstance(source, str | Path):
        folder = Path(source)
        if not folder.is_dir():
            raise NotADirectoryError(
                f"{folder}: calibration folder not found; give a folder of images"
            )
        files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise ValueError(
                f"{folder}: no calibration images ({', '.join(IMAGE_SUFFIXES)}) in this folder; "
                "add a few dozen photos like the ones the model will see, or leave the "
                "calibration folder out to use monocle.synth renders"
            )
        source = files[:count]
    return [_fit(read_image(image), size) for image in list(source)[:count]]


def _reader(images: list[np.ndarray], input_name: str):
    from onnxruntime.quantization import CalibrationDataReader

    class PixelReader(CalibrationDataReader):
        def __init__(self) -> None:
            self.batches: Iterator[dict[str, np.ndarray]] = iter(
                {input_name: image[None]} for image in images
            )

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self.batches, None)

    return PixelReader()


def quantize_int8(
    source: str | Path, target: str | Path, images: list[np.ndarray], input_name: str = "image"
) -> Path:
    """Quantise the fp32 ONNX ``source`` to int8 QDQ ``target``, calibrated on ``images``
    (uint8 (3,H,W) each, as from :func:`calibration_images`)."""
    from onnxruntime.quantization import (
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    if not images:
        raise ValueError("int8 quantisation needs at least one calibration image")
    with tempfile.TemporaryDirectory(prefix="monocle-int8-") as tmp:
        # Folds constants and fuses Conv+BN-like patterns first, as onnxruntime recommends.
        prepared = Path(tmp) / "prepared.onnx"
        quant_pre_process(str(source), str(prepared), skip_symbolic_shape=True)
        quantize_static(
            str(prepared),
            str(target),
            _reader(images, input_name),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            calibrate_method=CalibrationMethod.Percentile,
            extra_options={"CalibPercentile": CALIBRATION_PERCENTILE},
        )
    return Path(target)
