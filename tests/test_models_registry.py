"""Registry, pretrained config and the input contract shared by every model."""

from __future__ import annotations

import json

import pytest
import torch

from monocle.models import (
    DepthModel,
    PretrainedConfig,
    create_model,
    get_config,
    is_model,
    list_models,
    register_model,
)

ALL_MODELS = [
    "dorn_r18", "dpt_small", "fastdepth", "fcrn_r50", "sanet_mbv2", "sanet_r101", "sanet_r18",
    "sanet_r34", "sanet_r50", "unet_r18",
]  # fmt: skip


def test_every_brief_model_is_registered():
    assert list_models() == ALL_MODELS
    assert list_models("sanet_*") == [m for m in ALL_MODELS if m.startswith("sanet_")]
    assert is_model("fastdepth") and not is_model("fastdepth2")


def test_unknown_model_lists_valid_names_and_close_matches():
    with pytest.raises(ValueError, match=r"sanet_r19.*Did you mean.*sanet_r18.*Valid.*dpt_small"):
        create_model("sanet_r19")


def test_unknown_encoder_override_lists_valid_encoders():
    with pytest.raises(ValueError, match=r"resnet42.*mobilenet_v2.*vit_small_patch16"):
        create_model("unet_r18", encoder="resnet42")


def test_incompatible_encoder_is_a_clear_error():
    with pytest.raises(ValueError, match="needs a CNN encoder"):
        create_model("unet_r18", encoder="vit_small_patch16")
    with pytest.raises(ValueError, match="needs a ViT encoder"):
        create_model("dpt_small", encoder="resnet18")


def test_unknown_option_names_the_valid_ones():
    with pytest.raises(ValueError, match=r"\['decoder_width'\].*decoder_channels"):
        create_model("unet_r18", decoder_width=8)


def test_none_overrides_are_ignored():
    model = create_model("unet_r18", encoder=None, max_depth=None)
    assert model.pretrained_cfg == get_config("unet_r18")


def test_registering_a_name_twice_fails():
    def sanet_r18(**overrides):
        raise AssertionError("must not replace the registered sanet_r18")

    with pytest.raises(ValueError, match="'sanet_r18' is already registered"):
        register_model(sanet_r18)
    # The original still builds (the stand-in above would raise).
    assert (
        create_model("sanet_r18", decoder_channels=(8, 8, 8, 8)).pretrained_cfg.architecture
        == "sanet_r18"
    )


@pytest.mark.parametrize("name", ALL_MODELS)
def test_get_config_matches_the_built_model(name):
    cfg = get_config(name)
    assert cfg.architecture == name
    assert cfg.output_kind == "metric" and cfg.weights is None
    # get_config builds on the meta device: no weights are allocated.
    assert get_config(name, max_depth=80.0).max_depth == 80.0


def test_overrides_reach_config_and_model():
    model = create_model("unet_r18", encoder="mobilenet_v2", max_depth=80.0).eval()
    assert model.pretrained_cfg.encoder == "mobilenet_v2"
    assert model.pretrained_cfg.max_depth == 80.0
    with torch.no_grad():
        depth = model(torch.rand(1, 3, 40, 40))["depth"]
    assert float(depth.max()) <= 80.0 and float(depth.min()) >= 0.1
    assert create_model("unet_r18").pretrained_cfg == get_config("unet_r18")


@pytest.mark.parametrize("name", ["sanet_mbv2", "fastdepth"])
def test_channels_last_changes_the_layout_not_the_answer(name, tmp_path):
    from monocle.checkpoint import load_checkpoint, save_checkpoint

    torch.manual_seed(0)
    fast = create_model(name).eval()
    assert fast.pretrained_cfg.channels_last
    conv = next(m for m in fast.modules() if isinstance(m, torch.nn.Conv2d))
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)
    assert not conv.weight.is_contiguous()
    plain = create_model(name, channels_last=False).eval()
    plain.load_state_dict(fast.state_dict())
    image = torch.rand(2, 3, 64, 96)
    with torch.no_grad():
        torch.testing.assert_close(fast(image)["depth"], plain(image)["depth"])
    # safetensors refuses non-contiguous tensors; saving must not trip over the layout.
    save_checkpoint(tmp_path / "m", fast, model_name=name)
    restored = load_checkpoint(tmp_path / "m")
    assert all(
        torch.equal(a, b)
        for a, b in zip(restored.state_dict().values(), fast.state_dict().values(), strict=True)
    )


def test_config_round_trips_through_json():
    cfg = get_config("dpt_small", output_kind="disparity")
    restored = PretrainedConfig.from_dict(json.loads(json.dumps(cfg.to_dict())))
    assert restored == cfg
    assert isinstance(restored.input_size, tuple)


def test_canonical_focal_scales_depth_with_the_focal_length():
    cfg = get_config("fastdepth", output_kind="log_depth", canonical_focal=120.0)
    assert PretrainedConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg
    assert cfg.depth_scale(240.0) == 2.0 and cfg.depth_scale(60.0) == 0.5
    assert get_config("fastdepth").depth_scale(240.0) == 1.0  # no canonical camera
    with pytest.raises(ValueError, match="canonical_focal must be a positive focal"):
        get_config("fastdepth", canonical_focal=-5.0)
    with pytest.raises(ValueError, match="output_kind 'disparity'"):
        get_config("fastdepth", output_kind="disparity", canonical_focal=120.0)


def test_config_rejects_bad_values_and_unknown_keys():
    with pytest.raises(ValueError, match="output_kind"):
        get_config("unet_r18", output_kind="depth")
    with pytest.raises(ValueError, match="min_depth"):
        get_config("unet_r18", min_depth=5.0, max_depth=1.0)
    with pytest.raises(ValueError, match=r"unknown PretrainedConfig key\(s\) \['colour'\]"):
        PretrainedConfig.from_dict({**get_config("unet_r18").to_dict(), "colour": "red"})


class _Echo(DepthModel):
    """Returns its normalised, padded input so the base contract can be checked exactly."""

    def predict(self, x):
        return {"depth": x[:, :1], "padded_height": x[:, :1] * 0 + x.shape[-2]}


def test_base_normalises_pads_and_crops_back():
    cfg = PretrainedConfig(
        architecture="echo",
        encoder="none",
        input_size=(8, 8),
        size_multiple=16,
        mean=(0.5, 0.0, 0.0),
        std=(0.25, 1.0, 1.0),
    )
    image = torch.rand(2, 3, 13, 21)
    outputs = _Echo(cfg)(image)
    assert outputs["depth"].shape == (2, 1, 13, 21)
    torch.testing.assert_close(outputs["depth"], (image[:, :1] - 0.5) / 0.25)
    assert bool((outputs["padded_height"] == 16).all())


@pytest.mark.parametrize("shape", [(1, 2, 32, 32), (1, 4, 32, 32), (1, 1, 3, 32, 32), (3, 32, 32)])
def test_bad_input_shape_is_a_clear_error(shape):
    model = create_model("fastdepth").eval()
    with pytest.raises(ValueError, match=r"expected \(B,3,H,W\) RGB in \[0,1\], got shape"):
        model(torch.rand(*shape))


def test_integer_input_is_a_clear_error():
    model = create_model("fastdepth").eval()
    with pytest.raises(TypeError, match="float"):
        model(torch.zeros(1, 3, 32, 32, dtype=torch.uint8))
