"""Blocks: golden values and agreement with hand-written references of the published formulas."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from monocle.models.base import pad_to_multiple
from monocle.models.blocks import (
    FeatureFusionBlock,
    GlobalContextBlock,
    NNConv5,
    OrdinalDepthHead,
    Reassemble,
    SpatialAttentionBlock,
    UpProjection,
    decode_ordinal,
    ordinal_log_probabilities,
    sid_thresholds,
    unpool2x,
)
from monocle.models.heads import DepthOutput


@pytest.mark.parametrize("per_channel_mask", [True, False])
def test_gcb_is_identity_at_init(per_channel_mask):
    torch.manual_seed(0)
    block = GlobalContextBlock(8, ratio=0.25, per_channel_mask=per_channel_mask)
    x = torch.randn(2, 8, 5, 7)
    assert torch.equal(block(x), x)


@pytest.mark.parametrize("per_channel_mask", [True, False])
def test_gcb_matches_formula(per_channel_mask):
    torch.manual_seed(0)
    block = GlobalContextBlock(6, ratio=0.5, per_channel_mask=per_channel_mask)
    torch.nn.init.normal_(block.channel_add_conv[-1].weight)
    x = torch.randn(2, 6, 4, 5)
    # α = softmax_HW(W_k x) per channel (depthwise mask) or shared (1-channel mask).
    wk, bk = block.conv_mask.weight, block.conv_mask.bias
    if per_channel_mask:
        mask = x * wk.view(1, 6, 1, 1) + bk.view(1, 6, 1, 1)
    else:
        mask = torch.einsum("bchw,c->bhw", x, wk.view(6)).unsqueeze(1) + bk
    alpha = mask.flatten(2).softmax(-1)
    context = (alpha * x.flatten(2)).sum(-1)  # (B, C)
    w1, ln, w2 = block.channel_add_conv[0], block.channel_add_conv[1], block.channel_add_conv[3]
    hidden = context @ w1.weight.view(3, 6).T + w1.bias
    hidden = (hidden - hidden.mean(1, keepdim=True)) / torch.sqrt(
        hidden.var(1, unbiased=False, keepdim=True) + ln.eps
    )
    hidden = F.relu(hidden * ln.weight.view(3) + ln.bias.view(3))
    added = hidden @ w2.weight.view(6, 3).T + w2.bias
    expected = x + added[:, :, None, None]
    torch.testing.assert_close(block(x), expected, rtol=1e-5, atol=1e-5)


def test_sab_matches_formula():
    torch.manual_seed(0)
    block = SpatialAttentionBlock(4)
    g, x = torch.randn(2, 4, 5, 6), torch.randn(2, 4, 5, 6)
    conv3, conv1 = block.att[0], block.att[2]
    assert conv3.weight.shape == (2, 8, 3, 3) and conv1.weight.shape == (1, 2, 1, 1)
    hidden = F.relu(F.conv2d(torch.cat([g, x], 1), conv3.weight, conv3.bias, padding=1))
    att = F.relu(F.conv2d(hidden, conv1.weight, conv1.bias))
    torch.testing.assert_close(block(g, x), att * x)


def test_sab_zero_attention_blocks_the_skip():
    block = SpatialAttentionBlock(4)
    torch.nn.init.constant_(block.att[2].bias, -1e6)  # ReLU(negative) = 0 everywhere
    assert torch.equal(
        block(torch.randn(1, 4, 3, 3), torch.randn(1, 4, 3, 3)), torch.zeros(1, 4, 3, 3)
    )


def test_sid_thresholds_golden():
    # alpha = 1: no shift, t_i = 10^(i/2).
    torch.testing.assert_close(sid_thresholds(1.0, 10.0, 2), torch.tensor([1.0, 10**0.5, 10.0]))
    # alpha = 0.5: ξ = 0.5, t_i = 8^(i/3) - 0.5.
    torch.testing.assert_close(sid_thresholds(0.5, 7.5, 3), torch.tensor([0.5, 1.5, 3.5, 7.5]))
    thresholds = sid_thresholds(0.1, 10.0, 80)
    widths = thresholds.diff()
    assert thresholds.shape == (81,) and bool((widths.diff() > 0).all())


def test_sid_thresholds_rejects_bad_range():
    with pytest.raises(ValueError, match="alpha"):
        sid_thresholds(2.0, 1.0, 4)


def _ordinal_logits(answers: list[list[float]]) -> torch.Tensor:
    """Per pixel, per bin k, the 'deeper' logit z_{2k+1} with z_{2k} = 0. -> (1, 2K, 1, P)."""
    deeper = torch.tensor(answers).T  # (K, P)
    return torch.stack([torch.zeros_like(deeper), deeper], 1).reshape(1, -1, 1, deeper.shape[1])


def test_ordinal_decode_hand_made_map():
    thresholds = torch.tensor([0.5, 1.5, 3.5, 7.5])  # bin centres 1.0, 2.5, 5.5
    logits = _ordinal_logits(
        [
            [-2.0, -1.0, -3.0],  # no "deeper" answer: l = 0
            [4.0, -1.0, -3.0],  # deeper than t_1: l = 1
            [4.0, 2.0, -3.0],  # l = 2
            [4.0, 2.0, 1.0],  # l = 3 is clamped to the last bin
            [0.0, -1.0, -1.0],  # a tie is P = 0.5, which counts: l = 1
        ]
    )
    depth = decode_ordinal(logits, thresholds)
    assert depth.shape == (1, 1, 1, 5)
    torch.testing.assert_close(depth.flatten(), torch.tensor([1.0, 2.5, 5.5, 5.5, 2.5]))
    head = OrdinalDepthHead(3, 0.5, 7.5)
    assert torch.equal(head(logits)["depth"], depth)


def test_ordinal_decode_rejects_wrong_channel_count():
    with pytest.raises(ValueError, match="2K = 6"):
        decode_ordinal(torch.zeros(1, 5, 2, 2), torch.tensor([0.5, 1.5, 3.5, 7.5]))


def test_ordinal_log_probabilities_golden():
    logits = _ordinal_logits([[math.log(3.0), 0.0]])  # P^0 = 3/4, P^1 = 1/2
    log_p, log_not = ordinal_log_probabilities(logits)
    assert log_p.shape == (1, 2, 1, 1)
    torch.testing.assert_close(log_p.exp().flatten(), torch.tensor([0.75, 0.5]))
    torch.testing.assert_close(log_not.exp().flatten(), torch.tensor([0.25, 0.5]))


def test_unpool2x_golden():
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]]).view(1, 1, 2, 2)
    expected = torch.tensor(
        [[1, 0, 2, 0], [0, 0, 0, 0], [3, 0, 4, 0], [0, 0, 0, 0]], dtype=torch.float32
    )
    assert torch.equal(unpool2x(x)[0, 0], expected)


def test_block_shapes():
    x = torch.randn(2, 8, 5, 7)
    assert UpProjection(8, 4)(x).shape == (2, 4, 10, 14)
    assert NNConv5(8, 4)(x).shape == (2, 4, 10, 14)
    assert FeatureFusionBlock(8)(x, x).shape == (2, 8, 10, 14)
    assert FeatureFusionBlock(8, with_skip=False)(x).shape == (2, 8, 10, 14)
    tokens = torch.randn(2, 1 + 4 * 6, 16)
    for scale, size in [(4, (16, 24)), (2, (8, 12)), (1, (4, 6)), (0.5, (2, 3))]:
        assert Reassemble(16, 12, 8, scale)(tokens, 4, 6).shape == (2, 8, *size)


def test_nnconv5_upsamples_nearest():
    block = NNConv5(3, 2).eval()
    out = block(torch.randn(1, 3, 4, 4))
    # Nearest upsampling: each 2x2 cell holds one value.
    assert torch.equal(out[..., ::2, ::2], out[..., 1::2, 1::2])


def test_depth_output_kinds():
    raw = torch.tensor([0.0, 50.0, -50.0]).view(1, 1, 1, 3)
    metric = DepthOutput("metric", 0.5, 10.0)(raw)["depth"].flatten()
    torch.testing.assert_close(metric, torch.tensor([5.25, 10.0, 0.5]))
    log_out = DepthOutput("log_depth", 0.1, 10.0)(raw[..., :1])
    torch.testing.assert_close(log_out["depth"].flatten(), torch.tensor([1.0]))  # sqrt(0.1 * 10)
    disparity = DepthOutput("disparity", 0.1, 10.0)(raw)
    assert set(disparity) == {"disparity"}
    torch.testing.assert_close(disparity["disparity"][0, 0, 0, 0], torch.tensor(math.log(2.0)))


def test_pad_to_multiple_replicates_edges():
    x = torch.randn(1, 2, 61, 83)
    padded = pad_to_multiple(x, 32)
    assert padded.shape == (1, 2, 64, 96)
    assert torch.equal(padded[..., :61, :83], x)
    assert torch.equal(padded[..., 63, :83], x[..., 60, :])
    assert torch.equal(padded[..., :61, 95], x[..., :, 82])
    assert pad_to_multiple(x[..., :32, :64], 32).shape == (1, 2, 32, 64)
