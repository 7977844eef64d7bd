"""Every registered model: shapes at odd sizes, output contract, determinism, ONNX parity."""

from __future__ import annotations

import functools
import warnings

import numpy as np
import onnxruntime as ort
import pytest
import torch

from monocle.models import create_model, decode_ordinal, list_models
from monocle.models.blocks import GlobalContextBlock, SpatialAttentionBlock

# Width-reduced variants where a preset is wide; the code path is the preset's own.
SMALL = {
    "sanet_r34": {"decoder_channels": (16, 16, 32, 64)},
    "sanet_r50": {"decoder_channels": (16, 32, 64, 128)},
    "sanet_r101": {"decoder_channels": (16, 32, 64, 128)},
    "fcrn_r50": {"decoder_channels": (64, 32, 32, 16, 16)},
    "dpt_small": {"features": 32},
    "dorn_r18": {"num_bins": 8, "width": 32},
}
SIZES = [(1, 64, 80), (2, 61, 83), (1, 37, 50)]


def calibrate_batch_norm(model: torch.nn.Module, size: tuple[int, int] = (64, 80)) -> None:
    """Give BN running statistics realistic values, as training would: with the default
    (mean 0, var 1) an untrained deep ResNet in eval mode blows activations up to ~1e5."""
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.momentum = None  # cumulative average
    model.train()
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for _ in range(2):
            model(torch.rand(2, 3, *size, generator=generator))
    model.eval()


@functools.cache
def built(name: str) -> torch.nn.Module:
    torch.manual_seed(0)
    model = create_model(name, **SMALL.get(name, {}))
    calibrate_batch_norm(model)
    return model


@pytest.mark.parametrize("name", list_models())
@pytest.mark.parametrize("batch,height,width", SIZES)
def test_output_shapes_and_ranges(name, batch, height, width):
    model = built(name)
    with torch.no_grad():
        outputs = model(torch.rand(batch, 3, height, width))
    expected = {"depth"} | ({"ordinal_logits"} if name.startswith("dorn") else set())
    assert set(outputs) == expected
    depth = outputs["depth"]
    assert depth.shape == (batch, 1, height, width)
    cfg = model.pretrained_cfg
    assert bool(torch.isfinite(depth).all())
    assert cfg.min_depth <= float(depth.min()) and float(depth.max()) <= cfg.max_depth
    if name.startswith("dorn"):
        assert outputs["ordinal_logits"].shape == (batch, 16, height, width)


@pytest.mark.parametrize("name", list_models())
def test_eval_mode_is_deterministic(name):
    model = built(name)
    image = torch.rand(1, 3, 61, 83)
    with torch.no_grad():
        first, second = model(image), model(image)
    for key in first:
        assert torch.equal(first[key], second[key]), key


def test_sanet_extra_heads():
    model = create_model(
        "sanet_r18", decoder_channels=(8, 8, 16, 16), normals_head=True, segmentation_head=True
    ).eval()
    with torch.no_grad():
        outputs = model(torch.rand(2, 3, 61, 83))
    assert set(outputs) == {"depth", "normals", "segmentation"}
    assert outputs["normals"].shape == (2, 3, 61, 83)
    assert outputs["segmentation"].shape == (2, 1, 61, 83)
    torch.testing.assert_close(outputs["normals"].norm(dim=1), torch.ones(2, 61, 83))


def test_sanet_structure_and_ablations():
    full = create_model("sanet_r18")
    assert sum(isinstance(m, GlobalContextBlock) for m in full.modules()) == 4
    assert sum(isinstance(m, SpatialAttentionBlock) for m in full.modules()) == 4
    plain = create_model("sanet_r18", global_context=False, spatial_attention=False)
    assert not any(
        isinstance(m, GlobalContextBlock | SpatialAttentionBlock) for m in plain.modules()
    )
    # GCB starts as the identity: with shared weights, SANet with and without GCB agree.
    torch.manual_seed(0)
    with_gcb = create_model("sanet_r18", decoder_channels=(8, 8, 16, 16)).eval()
    without = create_model("sanet_r18", decoder_channels=(8, 8, 16, 16), global_context=False)
    without.load_state_dict(with_gcb.state_dict(), strict=False)
    image = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(with_gcb(image)["depth"], without.eval()(image)["depth"])


@pytest.mark.parametrize("kind", ["log_depth", "disparity"])
def test_output_kind_override(kind):
    model = create_model("unet_r18", output_kind=kind, decoder_channels=(8, 8, 16, 16)).eval()
    with torch.no_grad():
        outputs = model(torch.rand(1, 3, 45, 50))
    if kind == "log_depth":
        assert set(outputs) == {"log_depth", "depth"}
        torch.testing.assert_close(outputs["depth"], outputs["log_depth"].exp())
    else:
        assert set(outputs) == {"disparity"}
        assert bool((outputs["disparity"] > 0).all())


def test_dorn_rejects_non_metric_output():
    with pytest.raises(ValueError, match="output_kind='disparity' is not supported"):
        create_model("dorn_r18", output_kind="disparity")


def _export(model: torch.nn.Module, path, names: list[str]) -> None:
    axes = {0: "batch", 2: "height", 3: "width"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation/tracer notes
        torch.onnx.export(
            model,
            (torch.rand(1, 3, 64, 80),),
            str(path),
            dynamo=False,
            input_names=["image"],
            output_names=names,
            dynamic_axes={"image": axes} | dict.fromkeys(names, axes),
            opset_version=17,
        )


# sanet_r50/r101 share sanet_r18's code path and fcrn_r50's Bottleneck encoder; their exports
# (7 s each on 2 cores) run with the slow tests.
ONNX_CASES = [
    pytest.param(name, marks=pytest.mark.slow) if name in ("sanet_r50", "sanet_r101") else name
    for name in list_models()
]


@pytest.mark.parametrize("name", ONNX_CASES)
def test_onnx_export_matches_torch(name, tmp_path):
    """onnxruntime equals torch within 1e-4 of each output's range, at the trace size and at
    a different, odd size with another batch size (dynamic axes)."""
    model = built(name)
    with torch.no_grad():
        names = list(model(torch.rand(1, 3, 64, 80)))
    _export(model, tmp_path / f"{name}.onnx", names)
    session = ort.InferenceSession(
        str(tmp_path / f"{name}.onnx"), providers=["CPUExecutionProvider"]
    )
    generator = torch.Generator().manual_seed(2)
    for batch, height, width in [(1, 64, 80), (2, 61, 83)]:
        image = torch.rand(batch, 3, height, width, generator=generator)
        with torch.no_grad():
            expected = model(image)
        got = dict(zip(names, session.run(None, {"image": image.numpy()}), strict=True))
        for key in names:
            reference = expected[key].numpy()
            assert got[key].shape == reference.shape, key
            if key == "depth" and "ordinal_logits" in got:
                # Decoded depth is piecewise constant: check it is the decode of ORT's logits.
                thresholds = model.ordinal.thresholds
                decoded = decode_ordinal(torch.from_numpy(got["ordinal_logits"]), thresholds)
                np.testing.assert_allclose(got[key], decoded.numpy(), rtol=1e-6)
                continue
            scale = float(np.abs(reference).max())
            np.testing.assert_allclose(
                got[key], reference, rtol=1e-4, atol=1e-4 * scale, err_msg=f"{name}: {key}"
            )
