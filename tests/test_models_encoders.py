"""Encoders: ImageNet key maps (torchvision/timm names), feature pyramids, weight loading."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import save_file

from monocle.models import create_encoder, list_encoders
from monocle.models.encoders.vit import resample_position_grid


def _bn(prefix: str, channels: int) -> dict[str, tuple[int, ...]]:
    return {
        f"{prefix}.weight": (channels,),
        f"{prefix}.bias": (channels,),
        f"{prefix}.running_mean": (channels,),
        f"{prefix}.running_var": (channels,),
        f"{prefix}.num_batches_tracked": (),
    }


def torchvision_resnet18_keys() -> dict[str, tuple[int, ...]]:
    """torchvision resnet18 state dict layout, written from its structure (122 entries)."""
    keys = {"conv1.weight": (64, 3, 7, 7), **_bn("bn1", 64)}
    in_channels = 64
    for layer, planes in enumerate((64, 128, 256, 512), start=1):
        for block in range(2):
            prefix = f"layer{layer}.{block}"
            keys[f"{prefix}.conv1.weight"] = (planes, in_channels if block == 0 else planes, 3, 3)
            keys |= _bn(f"{prefix}.bn1", planes)
            keys[f"{prefix}.conv2.weight"] = (planes, planes, 3, 3)
            keys |= _bn(f"{prefix}.bn2", planes)
            if block == 0 and layer > 1:
                keys[f"{prefix}.downsample.0.weight"] = (planes, in_channels, 1, 1)
                keys |= _bn(f"{prefix}.downsample.1", planes)
        in_channels = planes
    keys["fc.weight"], keys["fc.bias"] = (1000, 512), (1000,)
    return keys


def _random_state_dict(layout: dict[str, tuple[int, ...]]) -> dict[str, torch.Tensor]:
    torch.manual_seed(0)
    return {
        k: torch.tensor(7) if k.endswith("num_batches_tracked") else torch.randn(shape)
        for k, shape in layout.items()
    }


def test_resnet18_loads_a_torchvision_layout_strictly():
    layout = torchvision_resnet18_keys()
    assert len(layout) == 122
    encoder = create_encoder("resnet18")
    state_dict = _random_state_dict(layout)
    encoder.load_imagenet_state_dict(state_dict)
    loaded = encoder.state_dict()
    assert set(loaded) == set(layout) - {"fc.weight", "fc.bias"}
    for key, value in loaded.items():
        assert torch.equal(value, state_dict[key]), key


# Totals published by torchvision / timm for the full classifiers; ours lack only the classifier.
PUBLISHED_PARAMETERS = {
    "resnet18": (11_689_512, 512 * 1000 + 1000),
    "resnet34": (21_797_672, 512 * 1000 + 1000),
    "resnet50": (25_557_032, 2048 * 1000 + 1000),
    "resnet101": (44_549_160, 2048 * 1000 + 1000),
    "mobilenet_v2": (3_504_872, 1280 * 1000 + 1000),
    "vit_small_patch16": (22_050_664, 384 * 1000 + 1000),
}


@pytest.mark.parametrize("name", sorted(PUBLISHED_PARAMETERS))
def test_parameter_count_matches_the_original(name):
    total, classifier = PUBLISHED_PARAMETERS[name]
    encoder = create_encoder(name)
    assert sum(p.numel() for p in encoder.parameters()) == total - classifier


# Spot checks of names and shapes from torchvision's MobileNetV2 and timm's ViT-S/16.
ORIGINAL_KEYS = {
    "mobilenet_v2": {
        "features.0.0.weight": (32, 3, 3, 3),
        "features.0.1.running_var": (32,),
        "features.1.conv.0.0.weight": (32, 1, 3, 3),
        "features.1.conv.1.weight": (16, 32, 1, 1),
        "features.1.conv.2.bias": (16,),
        "features.2.conv.0.0.weight": (96, 16, 1, 1),
        "features.2.conv.1.0.weight": (96, 1, 3, 3),
        "features.2.conv.3.weight": (24,),
        "features.17.conv.2.weight": (320, 960, 1, 1),
        "features.18.0.weight": (1280, 320, 1, 1),
        "classifier.1.weight": (1000, 1280),
    },
    "vit_small_patch16": {
        "cls_token": (1, 1, 384),
        "pos_embed": (1, 197, 384),
        "patch_embed.proj.weight": (384, 3, 16, 16),
        "blocks.0.norm1.weight": (384,),
        "blocks.0.attn.qkv.weight": (1152, 384),
        "blocks.5.attn.proj.bias": (384,),
        "blocks.11.norm2.bias": (384,),
        "blocks.11.mlp.fc1.weight": (1536, 384),
        "blocks.11.mlp.fc2.weight": (384, 1536),
        "norm.weight": (384,),
        "head.weight": (1000, 384),
    },
}


@pytest.mark.parametrize("name", sorted(ORIGINAL_KEYS))
def test_original_key_names_and_imagenet_load(name):
    encoder = create_encoder(name)
    own = {k: tuple(v.shape) for k, v in encoder.state_dict().items()}
    for key, shape in ORIGINAL_KEYS[name].items():
        if key not in encoder.classifier_keys:
            assert own[key] == shape, key
    layout = own | {k: v for k, v in ORIGINAL_KEYS[name].items() if k in encoder.classifier_keys}
    layout |= {k: (1000,) for k in encoder.classifier_keys if k.endswith("bias")}
    state_dict = _random_state_dict(layout)
    encoder.load_imagenet_state_dict(state_dict)
    for key, value in encoder.state_dict().items():
        assert torch.equal(value, state_dict[key]), key


def test_mismatched_checkpoint_is_a_clear_error():
    encoder = create_encoder("resnet18")
    state_dict = _random_state_dict(torchvision_resnet18_keys())
    state_dict["layer1.0.conv3.weight"] = state_dict.pop("layer1.0.conv2.weight")
    with pytest.raises(ValueError, match=r"resnet18.*layer1\.0\.conv2\.weight.*layer1\.0\.conv3"):
        encoder.load_imagenet_state_dict(state_dict)


@pytest.mark.parametrize("name", list_encoders())
def test_feature_pyramid_matches_declared_channels(name):
    encoder = create_encoder(name).eval()
    with torch.no_grad():
        features = encoder(torch.randn(1, 3, 64, 96))
    assert len(features) == len(encoder.channels) == len(encoder.reductions)
    for feature, channels, reduction in zip(
        features, encoder.channels, encoder.reductions, strict=True
    ):
        assert feature.shape == (1, channels, 64 // reduction, 96 // reduction)


def test_resnet_output_stride_dilates_without_renaming():
    plain = create_encoder("resnet18")
    dilated = create_encoder("resnet18", output_stride=16)
    assert dilated.reductions == (2, 4, 8, 16, 16)
    assert {k: v.shape for k, v in plain.state_dict().items()} == {
        k: v.shape for k, v in dilated.state_dict().items()
    }
    assert dilated.eval()(torch.randn(1, 3, 64, 96))[4].shape == (1, 512, 4, 6)


def test_stage_adapters_run_inline():
    encoder = create_encoder("resnet18").eval()
    x = torch.randn(1, 3, 64, 64)
    identity = torch.nn.Identity()
    zero_stage_3 = [identity, identity, _Scale(0.0), identity, identity]
    with torch.no_grad():
        plain = encoder(x)
        adapted = encoder(x, stage_adapters=zero_stage_3)
    assert torch.equal(adapted[1], plain[1])
    assert torch.equal(adapted[2], torch.zeros_like(plain[2]))
    # Stage 4 consumed the adapted (zero) map, not the original one.
    assert not torch.allclose(adapted[3], plain[3])


class _Scale(torch.nn.Module):
    def __init__(self, factor: float) -> None:
        super().__init__()
        self.factor = factor

    def forward(self, x):
        return x * self.factor


def test_pretrained_true_never_downloads():
    with pytest.raises(RuntimeError, match=r"does not download.*resnet18-f37072fd\.pth"):
        create_encoder("resnet18", pretrained=True)


def test_pretrained_path_loads_torch_and_safetensors_files(tmp_path):
    state_dict = _random_state_dict(torchvision_resnet18_keys())
    torch.save(state_dict, tmp_path / "resnet18.pth")
    save_file(state_dict, tmp_path / "resnet18.safetensors")
    for file_name in ("resnet18.pth", "resnet18.safetensors"):
        encoder = create_encoder("resnet18", pretrained=tmp_path / file_name)
        assert torch.equal(encoder.conv1.weight, state_dict["conv1.weight"])
    with pytest.raises(FileNotFoundError, match=r"missing\.pth"):
        create_encoder("resnet18", pretrained=tmp_path / "missing.pth")


def test_unknown_encoder_and_option_are_clear_errors():
    with pytest.raises(ValueError, match=r"resnet19.*Did you mean.*resnet18.*mobilenet_v2"):
        create_encoder("resnet19")
    with pytest.raises(ValueError, match="output_stride"):
        create_encoder("mobilenet_v2", output_stride=16)


def test_vit_position_embedding_resampling():
    encoder = create_encoder("vit_small_patch16")
    pos = encoder.pos_embed.detach()
    # Same grid: bicubic resampling is the identity.
    torch.testing.assert_close(resample_position_grid(pos, 14, 14, 14), pos[:, 1:])
    # A 384-px checkpoint (24x24 grid) loads by resampling to the 14x14 grid.
    layout = {k: tuple(v.shape) for k, v in encoder.state_dict().items()}
    state_dict = _random_state_dict(layout | {"pos_embed": (1, 1 + 24 * 24, 384)})
    state_dict |= {"head.weight": torch.zeros(1000, 384), "head.bias": torch.zeros(1000)}
    encoder.load_imagenet_state_dict(state_dict)
    assert encoder.pos_embed.shape == (1, 197, 384)
    torch.testing.assert_close(encoder.pos_embed[:, 0], state_dict["pos_embed"][:, 0])
