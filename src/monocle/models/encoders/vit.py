"""ViT-S/16 with timm parameter names (cls_token, pos_embed, patch_embed.proj, blocks.N...)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from monocle.models.blocks.dpt_blocks import tokens_to_map
from monocle.models.encoders.base import ImageNetEncoder


def resample_position_grid(pos_embed: Tensor, grid: int, height: int, width: int) -> Tensor:
    """Bicubically resize the patch part of a ViT position embedding to a new token grid.

    Args:
        pos_embed: (1, 1+grid*grid, D) with the class-token embedding first.
        grid: side of the stored square token grid.
        height, width: target token grid.
    Returns: (1, height*width, D) patch position embeddings (class token excluded).
    """
    patches = tokens_to_map(pos_embed[:, 1:], grid, grid)
    patches = F.interpolate(patches, size=(height, width), mode="bicubic", align_corners=False)
    return patches.flatten(2).transpose(1, 2)


class Attention(nn.Module):
    def __init__(self, dim: int, num_heads: int) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: Tensor) -> Tensor:
        q, k, v = self.qkv(x).unflatten(-1, (3, self.num_heads, -1)).permute(2, 0, 3, 1, 4)
        out = F.scaled_dot_product_attention(q, k, v)  # (B, heads, N, head_dim)
        return self.proj(out.transpose(1, 2).flatten(2))


class Mlp(nn.Module):
    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc2(self.act(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, dim: int, num_heads: int, mlp_ratio: float) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, num_heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class PatchEmbed(nn.Module):
    def __init__(self, patch_size: int, dim: int) -> None:
        super().__init__()
        self.proj = nn.Conv2d(3, dim, patch_size, stride=patch_size)

    def forward(self, x: Tensor) -> Tensor:
        return self.proj(x)


class VisionTransformerEncoder(ImageNetEncoder):
    """timm ``vit_small_patch16_224`` without ``head``.

    Returns the tokens after blocks ``out_indices`` (DPT's hooks 2, 5, 8, 11) as (B,D,H/16,W/16)
    maps; :meth:`forward_tokens` keeps the class token for DPT's readout. The position
    embedding is stored for ``img_size`` and resampled bicubically to any input grid. The final
    ``norm`` is kept so ImageNet checkpoints load strictly, though DPT does not use it.
    """

    classifier_keys = ("head.weight", "head.bias")

    def __init__(
        self,
        img_size: int = 224,
        patch_size: int = 16,
        embed_dim: int = 384,
        depth: int = 12,
        num_heads: int = 6,
        mlp_ratio: float = 4.0,
        out_indices: Sequence[int] = (2, 5, 8, 11),
    ) -> None:
        super().__init__()
        self.name = "vit_small_patch16"
        self.imagenet_url = "https://huggingface.co/timm/vit_small_patch16_224.augreg_in21k_ft_in1k"
        self.patch_size = patch_size
        self.out_indices = tuple(out_indices)
        grid = img_size // patch_size
        self.grid_size = grid
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, 1 + grid * grid, embed_dim))
        self.patch_embed = PatchEmbed(patch_size, embed_dim)
        self.blocks = nn.ModuleList(Block(embed_dim, num_heads, mlp_ratio) for _ in range(depth))
        self.norm = nn.LayerNorm(embed_dim, eps=1e-6)
        self.channels = (embed_dim,) * len(self.out_indices)
        self.reductions = (patch_size,) * len(self.out_indices)
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        nn.init.normal_(self.cls_token, std=1e-6)
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.trunc_normal_(module.weight, std=0.02)
                nn.init.zeros_(module.bias)

    def forward_tokens(self, x: Tensor) -> tuple[list[Tensor], int, int]:
        """Args: x (B,3,H,W), H and W multiples of the patch size.
        Returns: tokens (B, 1+h*w, D) after each ``out_indices`` block, and the grid h, w."""
        patches = self.patch_embed(x)
        height, width = patches.shape[-2:]
        tokens = patches.flatten(2).transpose(1, 2)
        tokens = tokens + resample_position_grid(self.pos_embed, self.grid_size, height, width)
        cls = (self.cls_token + self.pos_embed[:, :1]).expand(tokens.shape[0], -1, -1)
        tokens = torch.cat([cls, tokens], dim=1)
        outputs = []
        for index, block in enumerate(self.blocks):
            tokens = block(tokens)
            if index in self.out_indices:
                outputs.append(tokens)
        return outputs, height, width

    def forward(self, x: Tensor, stage_adapters: Sequence[nn.Module] | None = None) -> list[Tensor]:
        if stage_adapters is not None:
            raise ValueError(f"encoder {self.name!r} does not support stage_adapters")
        tokens, height, width = self.forward_tokens(x)
        return [tokens_to_map(t[:, 1:], height, width) for t in tokens]

    def adapt_state_dict(self, state_dict: dict[str, Tensor]) -> dict[str, Tensor]:
        # Checkpoints trained at another resolution (e.g. 384) carry a larger grid.
        pos_embed = state_dict.get("pos_embed")
        if pos_embed is not None and pos_embed.shape != self.pos_embed.shape:
            source_grid = math.isqrt(pos_embed.shape[1] - 1)
            patches = resample_position_grid(pos_embed, source_grid, self.grid_size, self.grid_size)
            state_dict = {**state_dict, "pos_embed": torch.cat([pos_embed[:, :1], patches], 1)}
        return state_dict
