"""CUDA paths: the same answers on a GPU as on the CPU. Skipped where torch sees no CUDA device
(CI has none); run them on a GPU machine with ``pytest tests/test_cuda.py``."""

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

import monocle
from monocle.synth import render_sample
from monocle.train import train
from test_train import recipe_for, write_synth_folder

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


@pytest.fixture
def exact_fp32(monkeypatch):
    """cuDNN and cuBLAS may use TF32 for fp32 work, which rounds to 10-bit mantissas."""
    monkeypatch.setattr(torch.backends.cudnn, "allow_tf32", False)
    matmul = torch.get_float32_matmul_precision()
    torch.set_float32_matmul_precision("highest")
    yield
    torch.set_float32_matmul_precision(matmul)


@pytest.fixture(scope="module")
def room():
    return render_sample("indoor", 5, (120, 160))


@pytest.mark.parametrize("name", ["default", "fast"])
def test_shipped_model_on_cuda_matches_cpu(name, room, exact_fp32):
    cpu = monocle.load(name, device="cpu").infer(room["rgb"], K=room["K"]).values
    gpu = monocle.load(name, device="cuda").infer(room["rgb"], K=room["K"]).values
    np.testing.assert_allclose(gpu, cpu, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("precision, tolerance", [("fp16", 0.01), ("bf16", 0.03)])
def test_half_precision_on_cuda_stays_close_to_fp32(precision, tolerance, room):
    full = monocle.load("default", device="cuda").infer(room["rgb"]).values
    half = monocle.load("default", device="cuda", precision=precision).infer(room["rgb"]).values
    ratio = np.maximum(half / full, full / half)
    assert np.median(ratio - 1) < tolerance
    assert np.mean(ratio < 1.25) > 0.99  # delta1 of one against the other


def test_synth_engine_renders_the_same_scene_on_cuda():
    cpu = render_sample("indoor", 11, (60, 80), device="cpu")
    gpu = render_sample("indoor", 11, (60, 80), device="cuda")
    assert (cpu["valid"] == gpu["valid"]).mean() > 0.999
    both = cpu["valid"] & gpu["valid"]
    np.testing.assert_allclose(gpu["depth"][both], cpu["depth"][both], rtol=1e-3)
    assert np.abs(gpu["rgb"].astype(int) - cpu["rgb"].astype(int)).mean() < 1.0


def test_training_on_cuda_in_bf16_writes_loadable_cpu_weights(tmp_path):
    folder = write_synth_folder(tmp_path / "data")
    recipe = recipe_for(
        folder, tmp_path, "gpu", "trainer.accelerator=gpu", "trainer.precision=bf16-mixed"
    )
    result = train(recipe)
    weights = load_file(result.last)
    assert all(t.device.type == "cpu" and torch.isfinite(t).all() for t in weights.values())
    predictor = monocle.load(result.last, device="cpu")
    depth = predictor.infer(np.full((48, 64, 3), 128, np.uint8)).values
    assert depth.shape == (48, 64) and np.isfinite(depth).all() and (depth > 0).all()
