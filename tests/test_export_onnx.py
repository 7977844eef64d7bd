"""monocle's export path: pixels-in graphs equal torch for every model, metadata round-trips,
fp16 / ORT format / dynamo options work, bad requests fail clearly."""

from __future__ import annotations

import functools

import numpy as np
import onnx
import pytest
import torch

from monocle.export import OnnxBackend, export_onnx, read_metadata
from monocle.export.runtime import METADATA_KEY
from monocle.infer import Predictor, load
from monocle.models import create_model, list_models
from test_models_architectures import SMALL, calibrate_batch_norm

TRACE = (64, 80)


@functools.cache
def small_model(name: str) -> torch.nn.Module:
    """The registered model, narrow where its preset is wide, traced at a small input size."""
    torch.manual_seed(0)
    model = create_model(name, input_size=TRACE, **SMALL.get(name, {}))
    calibrate_batch_norm(model, TRACE)
    return model


def torch_outputs(model: torch.nn.Module, pixels: np.ndarray) -> dict[str, np.ndarray]:
    with torch.no_grad():
        outputs = model(torch.from_numpy(pixels).float() / 255)
    return {key: value.numpy() for key, value in outputs.items()}


def torch_on_pixels(model: torch.nn.Module, pixels: np.ndarray) -> np.ndarray:
    key = "disparity" if model.pretrained_cfg.output_kind == "disparity" else "depth"
    return torch_outputs(model, pixels)[key]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """name -> fp32 ONNX of :func:`small_model` (exported once per module)."""
    folder = tmp_path_factory.mktemp("onnx")
    return functools.cache(lambda name: export_onnx(small_model(name), folder / f"{name}.onnx"))


# The export path (wrapper, metadata, runtime) is the same for every model, and the raw graphs
# are already checked per model by the models' own ONNX test: the fast set covers the shipped
# architectures (sanet_mbv2, fastdepth), the GCB/SAB SANet and a plain U-Net; the rest (and the
# discrete DORN decoding) run with the slow tests.
FAST = ("fastdepth", "sanet_mbv2", "sanet_r18", "unet_r18")
CASES = [name if name in FAST else pytest.param(name, marks=pytest.mark.slow)
         for name in list_models()]  # fmt: skip


@pytest.mark.parametrize("name", CASES)
def test_pixels_in_graph_equals_torch_at_traced_and_untraced_sizes(name, exported):
    model = small_model(name)
    backend = OnnxBackend(exported(name))
    assert not model.training  # exporting leaves the model as it was
    assert backend.input.type == "tensor(uint8)" and backend.fixed_size is None
    rng = np.random.default_rng(0)
    for shape in [(1, 3, *TRACE), (2, 3, 61, 83)]:  # the second: other batch, odd, untraced
        pixels = rng.integers(0, 256, shape, dtype=np.uint8)
        outputs = torch_outputs(model, pixels)
        expected = torch_on_pixels(model, pixels)
        got = backend(torch.from_numpy(pixels)).numpy()
        assert got.shape == expected.shape == (shape[0], 1, *shape[2:])
        if "ordinal_logits" in outputs:
            # Ordinal decoding is piecewise constant: where a logit lies within rounding of 0
            # either bin is right. Everywhere else the decoded depth must agree.
            decided = (np.abs(outputs["ordinal_logits"]) > 1e-3).all(axis=1, keepdims=True)
            assert decided.mean() > 0.5
            np.testing.assert_allclose(got[decided], expected[decided], rtol=1e-5)
            continue
        scale = float(np.abs(expected).max())
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * scale, err_msg=name)


def test_metadata_round_trips(tmp_path):
    model = create_model("unet_r18", output_kind="disparity", license="CC-BY-4.0",
                         decoder_channels=(8, 8, 16, 16), input_size=TRACE).eval()  # fmt: skip
    path = export_onnx(model, tmp_path / "disp.onnx")
    metadata = read_metadata(path)
    assert metadata["pretrained_cfg"] == model.pretrained_cfg.to_dict()
    assert metadata["output"] == {"name": "disparity", "kind": "disparity", "unit": "1/m"}
    assert metadata["precision"] == "fp32" and metadata["architecture"] == "unet_r18"
    backend = OnnxBackend(path)
    assert backend.cfg == model.pretrained_cfg and backend.assumptions == []
    flat = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    assert flat["license"] == "CC-BY-4.0" and flat["input_size"] == "64x80"
    assert flat["output_kind"] == "disparity" and METADATA_KEY in flat
    assert [o.name for o in onnx.load(str(path)).graph.output] == ["disparity"]


def test_canonical_camera_model_scales_with_K_through_onnxruntime(tmp_path):
    model = create_model("unet_r18", output_kind="log_depth", canonical_focal=50.0,
                         decoder_channels=(8, 8, 16, 16), input_size=TRACE).eval()  # fmt: skip
    path = export_onnx(model, tmp_path / "canonical.onnx")
    flat = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    assert flat["canonical_focal"] == "50.0"
    exported, eager = load(path), Predictor(model, device="cpu")
    assert exported.cfg == model.pretrained_cfg
    image = np.random.default_rng(0).integers(0, 256, (*TRACE, 3), dtype=np.uint8)
    K = np.array([[100.0, 0, 40], [0, 100.0, 32], [0, 0, 1]])
    # The focal the network sees is the photo's rescaled to the working size, 64x64 for this
    # 64x80 photo: the axes scale by 1 and 0.8, so the geometric mean, 100 * sqrt(0.8) px.
    assert eager.working_size(TRACE) == (64, 64)
    scale = 100.0 * 0.8**0.5 / 50.0
    expected = scale * eager.infer(image).values
    np.testing.assert_allclose(eager.infer(image, K=K).values, expected, rtol=1e-6)
    np.testing.assert_allclose(exported.infer(image, K=K).values, expected, rtol=1e-4)


def test_fp16_keeps_uint8_input_and_float32_output(tmp_path):
    model = small_model("fastdepth")
    path = export_onnx(model, tmp_path / "fp16.onnx", precision="fp16")
    graph = onnx.load(str(path)).graph
    assert graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.UINT8
    assert graph.output[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    assert any(t.data_type == onnx.TensorProto.FLOAT16 for t in graph.initializer)
    pixels = np.random.default_rng(1).integers(0, 256, (1, 3, *TRACE), dtype=np.uint8)
    got = OnnxBackend(path)(torch.from_numpy(pixels)).numpy()
    expected = torch_on_pixels(model, pixels)
    # fp16 keeps ~3 significant digits per op: through this random-weight network torch's own
    # .half() is off by 1.2% on average (8.6% at worst); the converted graph must do as well.
    relative = np.abs(got - expected) / np.abs(expected)
    assert relative.mean() < 0.01 and relative.max() < 0.1
    assert read_metadata(path)["precision"] == "fp16"


def test_ort_format_runs_and_keeps_metadata(tmp_path):
    model = small_model("sanet_mbv2")
    path = export_onnx(model, tmp_path / "model.onnx", format="ort")
    assert path == tmp_path / "model.ort" and path.is_file()
    assert not (tmp_path / "model.onnx").exists()
    assert read_metadata(path)["pretrained_cfg"] == model.pretrained_cfg.to_dict()
    pixels = np.random.default_rng(2).integers(0, 256, (1, 3, 61, 83), dtype=np.uint8)
    got = OnnxBackend(path)(torch.from_numpy(pixels)).numpy()
    expected = torch_on_pixels(model, pixels)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


@pytest.mark.slow  # the dynamo exporter takes ~30 s on 2 cores
def test_dynamo_exporter_matches_torch(tmp_path):
    model = small_model("fastdepth")
    path = export_onnx(model, tmp_path / "dynamo.onnx", dynamo=True, opset=18)
    pixels = np.random.default_rng(3).integers(0, 256, (2, 3, 61, 83), dtype=np.uint8)
    got = OnnxBackend(path)(torch.from_numpy(pixels)).numpy()
    expected = torch_on_pixels(model, pixels)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


@pytest.mark.parametrize(
    "name, batched_expected",
    [("sanet_r18", False), ("sanet_mbv2", False),
     # The control: ViT attention is batched MatMul, and the check must see it.
     pytest.param("dpt_small", True, marks=pytest.mark.slow)],
)  # fmt: skip
def test_gcb_and_sab_export_without_batched_matmul(name, batched_expected, exported):
    """TFLite rejects batched (rank > 2) MatMul; SANet's attention blocks must not emit one."""
    graph = onnx.shape_inference.infer_shapes(onnx.load(str(exported(name)))).graph
    ranks = {v.name: len(v.type.tensor_type.shape.dim) for v in graph.value_info}
    ranks.update({t.name: len(t.dims) for t in graph.initializer})
    matmuls = [n for n in graph.node if n.op_type in ("MatMul", "Gemm", "Einsum")]
    # A rank shape inference could not find (missing or 0) counts as batched: no free passes.
    batched = [n.name for n in matmuls if any(not 0 < ranks.get(i, 0) <= 2 for i in n.input)]
    assert bool(batched) == batched_expected
    if name.startswith("sanet"):
        assert sum(n.op_type == "Softmax" for n in graph.node) == 4  # the GCBs are in the graph


def test_bad_requests_fail_clearly(tmp_path):
    model = small_model("fastdepth")
    with pytest.raises(ValueError, match=r"known model.*fastdepth"):
        export_onnx("no_such_model", tmp_path / "x.onnx")
    with pytest.raises(ValueError, match=r"'ort' cannot hold precision 'fp16'.*--format onnx"):
        export_onnx(model, tmp_path / "x.ort", format="ort", precision="fp16")
    with pytest.raises(ValueError, match=r"cannot hold precision 'bf16'"):
        export_onnx(model, tmp_path / "x.onnx", precision="bf16")
    with pytest.raises(ValueError, match=r"TFLite: see docs/edge\.md"):
        export_onnx(model, tmp_path / "x.tflite", format="tflite")
    with pytest.raises(ValueError, match="calibration images are for precision 'int8'"):
        export_onnx(model, tmp_path / "x.onnx", calibration=tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("no pictures here")
    with pytest.raises(ValueError, match="no calibration images"):
        export_onnx(model, tmp_path / "x.onnx", precision="int8", calibration=empty)
    with pytest.raises(NotADirectoryError, match="calibration folder not found"):
        export_onnx(model, tmp_path / "x.onnx", precision="int8", calibration=tmp_path / "nope")
    assert not list(tmp_path.glob("x.*"))  # failed exports leave no partial file
