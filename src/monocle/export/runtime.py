"""onnxruntime backend: run an exported (or foreign) ONNX / ORT-format depth model.

Models monocle exported carry their pretrained config in the ONNX metadata (see
:mod:`monocle.export.onnx`) and take uint8 RGB pixels. A model monocle did not write is
accepted when it has one image input and one depth output; what monocle has to assume about
it is listed in :attr:`OnnxBackend.assumptions` and issued as a warning.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch

from monocle.models.config import PretrainedConfig

METADATA_KEY = "monocle"
METADATA_FORMAT = "monocle-onnx"
# A foreign model with dynamic height/width is fed images with a short side of 384 (as MiDaS).
FOREIGN_INPUT_SIZE = (384, 384)
_INPUT_DTYPES = {"tensor(uint8)": np.uint8, "tensor(float)": np.float32,
                 "tensor(float16)": np.float16}  # fmt: skip


class OnnxModelError(ValueError):
    """An ONNX file monocle cannot run as a depth model; the message says why and what fits."""


def providers_for(device: str | torch.device | None) -> list[str]:
    """onnxruntime execution providers for a monocle ``device`` argument."""
    import onnxruntime as ort

    kind = "auto" if device in (None, "auto") else torch.device(device).type
    available = ort.get_available_providers()
    if kind == "cuda":
        if "CUDAExecutionProvider" not in available:
            raise ValueError(
                "device 'cuda' asked for but this onnxruntime has no CUDAExecutionProvider; "
                "install onnxruntime-gpu or use device='cpu'"
            )
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    if kind == "auto" and "CUDAExecutionProvider" in available:
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    return ["CPUExecutionProvider"]


def read_metadata(path: str | Path) -> dict[str, Any] | None:
    """The monocle metadata of an ``.onnx`` or ``.ort`` file, or None if monocle did not
    write it."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = _session(Path(path), options, ["CPUExecutionProvider"])
    return _metadata(session, Path(path))


def _session(path: Path, options, providers: list[str]):
    import onnxruntime as ort

    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such ONNX/ORT file; check the path")
    try:
        return ort.InferenceSession(str(path), options, providers=providers)
    except Exception as err:  # onnxruntime raises its own untyped errors for corrupt files
        raise OnnxModelError(
            f"{path}: onnxruntime cannot load it ({str(err).strip().splitlines()[0]}); "
            "re-export it with `monocle export`"
        ) from None


def _metadata(session, path: Path) -> dict[str, Any] | None:
    text = session.get_modelmeta().custom_metadata_map.get(METADATA_KEY)
    if text is None:
        return None
    try:
        metadata = json.loads(text)
    except json.JSONDecodeError as err:
        raise OnnxModelError(f"{path}: monocle metadata is not valid JSON ({err})") from None
    if metadata.get("format") != METADATA_FORMAT:
        raise OnnxModelError(f"{path}: metadata key 'monocle' is not {METADATA_FORMAT!r}")
    return metadata


def _static(dim: Any) -> int | None:
    return dim if isinstance(dim, int) and dim > 0 else None


class OnnxBackend:
    """A :class:`~monocle.infer.backends.Backend` running an ONNX or ORT-format file.

    Args:
        path: ``.onnx`` or ``.ort`` file.
        providers: onnxruntime execution providers (default: CPU).
        threads: intra-op threads (default: onnxruntime's choice, the physical cores).

    Attributes:
        cfg: the pretrained config from the metadata, or assumed defaults (foreign models).
        metadata: the monocle metadata dict, or None for foreign models.
        assumptions: what was assumed about a foreign model (empty for monocle's own).
    """

    device = torch.device("cpu")

    def __init__(
        self, path: str | Path, providers: list[str] | None = None, threads: int | None = None
    ) -> None:
        import onnxruntime as ort

        self.path = Path(path)
        options = ort.SessionOptions()
        options.log_severity_level = 3  # warnings about unused initialisers etc. are noise here
        if threads:
            options.intra_op_num_threads = threads
        self.session = _session(self.path, options, providers or ["CPUExecutionProvider"])
        self.metadata = _metadata(self.session, self.path)
        inputs, outputs = self.session.get_inputs(), self.session.get_outputs()
        if len(inputs) != 1:
            raise OnnxModelError(
                f"{self.path}: has {len(inputs)} inputs ({', '.join(i.name for i in inputs)}); "
                "monocle runs depth models with exactly one image input (B,3,H,W) and one depth "
                "output. Wrap the model so the other inputs are constants, then export again"
            )
        self.input = inputs[0]
        if self.input.type not in _INPUT_DTYPES:
            raise OnnxModelError(
                f"{self.path}: input {self.input.name!r} is {self.input.type}; monocle feeds "
                "uint8 pixels or float RGB in [0,1] (tensor(uint8), tensor(float), tensor(float16))"
            )
        self.input_dtype = _INPUT_DTYPES[self.input.type]
        self.channels_last = self._layout()
        self.assumptions: list[str] = []
        if self.metadata is not None:
            self.cfg = PretrainedConfig.from_dict(self.metadata["pretrained_cfg"])
            self.output_name = self.metadata["output"]["name"]
        else:
            self.cfg, self.output_name = self._foreign_config(outputs)
            warnings.warn(
                f"{self.path.name} was not exported by monocle; assuming "
                + "; ".join(self.assumptions),
                stacklevel=3,
            )
        shape = self.input.shape
        height, width = (shape[1], shape[2]) if self.channels_last else (shape[2], shape[3])
        static = (_static(height), _static(width))
        self.fixed_size = static if None not in static else None

    def _layout(self) -> bool:
        shape = self.input.shape
        if len(shape) != 4 or 3 not in (shape[1], shape[3]):
            raise OnnxModelError(
                f"{self.path}: input {self.input.name!r} has shape {shape}; monocle needs an "
                "RGB image batch (B,3,H,W) or (B,H,W,3)"
            )
        return shape[1] != 3 and shape[3] == 3

    def _foreign_config(self, outputs) -> tuple[PretrainedConfig, str]:
        if len(outputs) != 1:
            raise OnnxModelError(
                f"{self.path}: has {len(outputs)} outputs ({', '.join(o.name for o in outputs)}) "
                "and no monocle metadata saying which is depth; monocle runs foreign models with "
                "exactly one depth output (B,1,H,W) or (B,H,W)"
            )
        output = outputs[0]
        if len(output.shape) not in (3, 4):
            raise OnnxModelError(
                f"{self.path}: output {output.name!r} has shape {output.shape}; a depth output "
                "is (B,1,H,W) or (B,H,W)"
            )
        shape = self.input.shape
        dims = (shape[1], shape[2]) if self.channels_last else (shape[2], shape[3])
        fixed = (_static(dims[0]), _static(dims[1]))
        input_size = fixed if None not in fixed else FOREIGN_INPUT_SIZE
        is_disparity = any(word in output.name.lower() for word in ("disp", "inv"))
        kind = "disparity" if is_disparity else "metric"
        pixels = "uint8 RGB pixels" if self.input_dtype == np.uint8 else "float RGB in [0,1]"
        layout = "NHWC" if self.channels_last else "NCHW"
        self.assumptions = [
            f"input {self.input.name!r} takes {pixels}, {layout}, normalised inside the model",
            f"output {output.name!r} is {kind} "
            + ("(its name says disparity/inverse depth)" if is_disparity else "depth in metres"),
            f"input size {input_size[0]}x{input_size[1]}"
            + (" (fixed by the model)" if fixed == input_size else " pixels (monocle default)"),
        ]
        cfg = PretrainedConfig(
            architecture=f"onnx:{self.path.name}",
            encoder="unknown",
            input_size=input_size,
            size_multiple=1 if fixed == input_size else 32,
            output_kind=kind,
            license="unknown",
        )
        return cfg, output.name

    def __call__(self, pixels: torch.Tensor) -> torch.Tensor:
        x = pixels.cpu().numpy()
        if self.input_dtype != np.uint8:
            x = (x.astype(np.float32) / 255).astype(self.input_dtype)
        if self.channels_last:
            x = x.transpose(0, 2, 3, 1)
        (out,) = self.session.run([self.output_name], {self.input.name: np.ascontiguousarray(x)})
        out = torch.from_numpy(np.asarray(out, dtype=np.float32))
        return out[:, None] if out.ndim == 3 else out
