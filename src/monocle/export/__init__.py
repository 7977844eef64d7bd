"""Edge deployment: ONNX / ORT export (fp32, fp16, int8) and the onnxruntime backend.

>>> from monocle.export import export_onnx
>>> export_onnx("runs/fast/best.safetensors", "fast.onnx", precision="int8")
>>> monocle.infer.load("fast.onnx").infer("photo.jpg")   # same DepthMap, run by onnxruntime
"""

from monocle.export.onnx import FORMATS, PixelInput, build_metadata, check_format, export_onnx
from monocle.export.quantize import calibration_images, quantize_int8
from monocle.export.runtime import OnnxBackend, OnnxModelError, read_metadata

__all__ = [
    "FORMATS",
    "OnnxBackend",
    "OnnxModelError",
    "PixelInput",
    "build_metadata",
    "calibration_images",
    "check_format",
    "export_onnx",
    "quantize_int8",
    "read_metadata",
]
