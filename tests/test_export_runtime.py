"""monocle.load on exported and foreign ONNX files; the `monocle export` / `bench` commands."""

from __future__ import annotations

import argparse
import json
import warnings

import numpy as np
import pytest
import torch
from torch import nn

from monocle.checkpoint import save_checkpoint
from monocle.cli import bench as bench_cli
from monocle.cli import export as export_cli
from monocle.cli.options import parse_size
from monocle.export import OnnxModelError, export_onnx
from monocle.infer import load
from monocle.models import create_model

OVERRIDES = {"decoder_channels": [16, 16, 16, 16, 16], "input_size": [64, 80]}


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    torch.manual_seed(0)
    model = create_model("fastdepth", **OVERRIDES)
    folder = tmp_path_factory.mktemp("ckpt")
    return save_checkpoint(folder / "tiny", model, model_name="fastdepth", overrides=OVERRIDES)


def test_onnx_predictor_equals_checkpoint_predictor(checkpoint, tmp_path):
    path = export_onnx(checkpoint, tmp_path / "tiny.onnx")
    onnx_predictor, torch_predictor = load(path), load(checkpoint, device="cpu")
    assert onnx_predictor.cfg == torch_predictor.cfg
    rng = np.random.default_rng(0)
    # 64x80 is the model's own size (no resize); 50x70 and 90x60 are resized both ways.
    images = [rng.integers(0, 256, shape, np.uint8) for shape in ((64, 80, 3), (50, 70, 3),
                                                                  (90, 60, 3))]  # fmt: skip
    K = np.array([[50, 0, 34.5], [0, 50, 24.5], [0, 0, 1]], np.float32)
    for image in images:
        got, expected = onnx_predictor.infer(image, K=K), torch_predictor.infer(image, K=K)
        assert got.kind == expected.kind == "metric" and got.unit == "m"
        assert got.shape == image.shape[:2] and np.allclose(got.K, K)
        np.testing.assert_allclose(got.values, expected.values, rtol=1e-4)
    batch = onnx_predictor.infer_batch(images[:2])
    np.testing.assert_allclose(batch[1].values, onnx_predictor.infer(images[1]).values, rtol=1e-5)
    with pytest.raises(AttributeError, match="OnnxBackend, which has no torch model"):
        _ = onnx_predictor.model
    with pytest.raises(ValueError, match="precision is fixed when it is exported"):
        load(path, precision="fp16")


class _Brightness(nn.Module):
    """A 'depth model' with a golden answer: depth = 1 + 2 * mean RGB in [0,1], (B,H,W)."""

    def __init__(self, channels_last: bool = False) -> None:
        super().__init__()
        self.channel = 3 if channels_last else 1

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return 1 + 2 * image.mean(dim=self.channel)


def _export_foreign(module: nn.Module, path, example, names, dynamic: bool) -> None:
    inputs, outputs = names
    axes = {name: {0: "b", 1: "h", 2: "w"} for name in (*inputs, *outputs)} if dynamic else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, example, str(path), dynamo=False, input_names=inputs,
                          output_names=outputs, dynamic_axes=axes, opset_version=17)  # fmt: skip


def test_foreign_onnx_with_one_image_input_and_one_output_works(tmp_path):
    # Static float NCHW input, (B,H,W) output: monocle must feed exactly 48x64 RGB in [0,1].
    static = tmp_path / "static.onnx"
    _export_foreign(_Brightness(), static, (torch.rand(1, 3, 48, 64),), (["x"], ["out"]), False)
    with pytest.warns(UserWarning, match="not exported by monocle.*float RGB in \\[0,1\\], NCHW"):
        predictor = load(static)
    assert predictor.backend.fixed_size == (48, 64) and predictor.kind == "metric"
    image = np.random.default_rng(1).integers(0, 256, (48, 64, 3), np.uint8)
    expected = 1 + 2 * image.astype(np.float64).mean(axis=2) / 255
    np.testing.assert_allclose(predictor.infer(image).values, expected, rtol=1e-5)
    # Dynamic NHWC input, output named as inverse depth: any size, disparity.
    nhwc = tmp_path / "nhwc.onnx"
    _export_foreign(_Brightness(channels_last=True), nhwc, (torch.rand(1, 48, 64, 3),),
                    (["pixels"], ["inverse_depth"]), True)  # fmt: skip
    with pytest.warns(UserWarning, match="NHWC.*'inverse_depth' is disparity"):
        predictor = load(nhwc)
    assert predictor.backend.fixed_size is None and predictor.kind == "disparity"
    depth = predictor.infer(np.full((30, 50, 3), 51, np.uint8))  # 51/255 = 0.2 everywhere
    assert depth.shape == (30, 50) and depth.kind == "disparity"
    np.testing.assert_allclose(depth.values, 1.4, rtol=1e-5)


class _TwoInputs(nn.Module):
    def forward(self, image: torch.Tensor, focal: torch.Tensor) -> torch.Tensor:
        return image.mean(dim=1) * focal


class _TwoOutputs(nn.Module):
    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return image.mean(dim=1), image.amax(dim=1)


def test_foreign_onnx_that_does_not_fit_says_why(tmp_path):
    two_in = tmp_path / "two_in.onnx"
    _export_foreign(_TwoInputs(), two_in, (torch.rand(1, 3, 8, 8), torch.ones(1)),
                    (["image", "focal"], ["depth"]), False)  # fmt: skip
    with pytest.raises(OnnxModelError, match=r"has 2 inputs \(image, focal\).*exactly one image"):
        load(two_in)
    two_out = tmp_path / "two_out.onnx"
    _export_foreign(_TwoOutputs(), two_out, (torch.rand(1, 3, 8, 8),), (["image"], ["a", "b"]),
                    False)  # fmt: skip
    with pytest.raises(OnnxModelError, match=r"has 2 outputs \(a, b\)"):
        load(two_out)
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a protobuf")
    with pytest.raises(OnnxModelError, match="onnxruntime cannot load it"):
        load(broken)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser()
    subparsers = parser.add_subparsers()
    export_cli.register(subparsers)
    bench_cli.register(subparsers)
    return parser


def test_export_command_writes_a_loadable_model(checkpoint, tmp_path, capsys):
    out = tmp_path / "cli.onnx"
    args = _parser().parse_args(["export", "--model", str(checkpoint), "--out", str(out)])
    assert args.run(args) == 0
    assert "output 'depth' (B,1,H,W) metric [m]" in capsys.readouterr().out
    image = np.random.default_rng(2).integers(0, 256, (64, 80, 3), np.uint8)
    expected = load(checkpoint, device="cpu").infer(image).values
    np.testing.assert_allclose(load(out).infer(image).values, expected, rtol=1e-4)
    bad = _parser().parse_args(["export", "--model", str(checkpoint), "--out", str(tmp_path / "x"),
                                "--format", "ort", "--precision", "fp16"])  # fmt: skip
    with pytest.raises(ValueError, match="cannot hold precision 'fp16'"):
        bad.run(bad)


@pytest.mark.slow  # spawns a process per runtime (~10 s each on 2 busy cores)
def test_bench_command_measures_and_scores(checkpoint, tmp_path, capsys):
    report = tmp_path / "bench.json"
    command = ["bench", "--model", str(checkpoint), "--size", "128x160", "--backends",
               "torch_eager,ort_fp32", "--runs", "2", "--warmup", "0", "--test", "1"]  # fmt: skip
    args = _parser().parse_args([*command, "--json", str(report)])
    assert args.run(args) == 0
    result = json.loads(report.read_text())["results"][0]
    # A 128x160 frame runs the 64x80-trained network at its pixel count, rounded to 32s:
    # 128 * 0.5 = 64 and 160 * 0.5 = 80 -> 64 (round half to even).
    assert result["size"] == [128, 160] and result["working_size"] == [64, 64]
    eager, ort_fp32 = result["rows"]
    for row in (eager, ort_fp32):
        assert row["error"] is None and row["median_ms"] > 0 and row["model_rss_mib"] >= 0
        # fps is rounded to 0.1 and median_ms to 0.01 ms (0.3% of a 3 ms run)
        assert row["fps"] == pytest.approx(1000 / row["median_ms"], rel=3e-3, abs=0.051)
        assert 0 <= row["delta1"] <= 1
    assert ort_fp32["delta1"] == pytest.approx(eager["delta1"], abs=1e-3)
    assert result["gflop"] > 0 and "ort_fp32" in capsys.readouterr().out
    with pytest.raises(argparse.ArgumentTypeError, match="HEIGHTxWIDTH"):
        parse_size("640")
