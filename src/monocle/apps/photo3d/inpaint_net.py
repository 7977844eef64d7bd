"""A small context-aware inpainting network for the synthesis region.

A four-level U-Net of gated convolutions (Yu et al., "Free-Form Image Inpainting with Gated
Convolution", ICCV 2019): every layer learns a soft mask next to its features, so the unknown
pixels do not pollute the known ones. Its input is the photo with the hole blanked, the hole
mask, two depth channels (the visible disparity and the background disparity filled by the
Poisson solve, so it knows which side of an edge is background) and OpenCV's fill of the hole.
It predicts a correction to that classical fill; the last layer starts at zero, so an untrained
network *is* the classical method and training departs from it only where that lowers the
training loss. The hole already excludes the foreground (see :func:`.fill.inpaint_hole`): the
network sees background context only.

Weights ship in ``weights/inpaint.safetensors`` with ``inpaint.json``; the JSON's ``"default"``
says whether the network beat OpenCV's inpainting inside disocclusions on bench/photo3d.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from monocle.apps.photo3d.fill import inpaint_classical

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
SHIPPED_WEIGHTS = WEIGHTS_DIR / "inpaint.safetensors"
IN_CHANNELS = 9  # masked RGB, hole mask, visible and background disparity, classical fill
DISPARITY_SCALE = 3.0  # normalised disparity spans (0, 3]


class GatedConv(nn.Module):
    """conv(x) * sigmoid(gate(x)), ELU on the features; keeps the spatial size / stride."""

    def __init__(self, cin: int, cout: int, stride: int = 1, dilation: int = 1):
        super().__init__()
        self.conv = nn.Conv2d(cin, 2 * cout, 3, stride, padding=dilation, dilation=dilation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features, gate = self.conv(x).chunk(2, dim=1)
        return F.elu(features) * torch.sigmoid(gate)


class InpaintNet(nn.Module):
    """(B, 9, H, W) -> (B, 3, H, W) colours in [0, 1]: the classical fill (channels 6-8) plus
    a learned correction; H and W multiples of 4."""

    def __init__(self, width: int = 16):
        super().__init__()
        w = width
        self.enc1 = nn.Sequential(GatedConv(IN_CHANNELS, w), GatedConv(w, w))
        self.enc2 = nn.Sequential(GatedConv(w, 2 * w, stride=2), GatedConv(2 * w, 2 * w))
        self.middle = nn.Sequential(
            GatedConv(2 * w, 4 * w, stride=2),
            GatedConv(4 * w, 4 * w, dilation=2),
            GatedConv(4 * w, 4 * w, dilation=4),
            GatedConv(4 * w, 4 * w, dilation=8),
        )
        self.dec2 = GatedConv(6 * w, 2 * w)
        self.dec1 = GatedConv(3 * w, w)
        self.out = nn.Conv2d(w, 3, 3, padding=1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e1 = self.enc1(x)
        e2 = self.enc2(e1)
        m = self.middle(e2)
        d2 = self.dec2(torch.cat([F.interpolate(m, size=e2.shape[-2:]), e2], dim=1))
        d1 = self.dec1(torch.cat([F.interpolate(d2, size=e1.shape[-2:]), e1], dim=1))
        return (x[:, 6:9] + self.out(d1)).clamp(0.0, 1.0)


def network_input(
    rgb: np.ndarray, hole: np.ndarray, disparity: np.ndarray, background: np.ndarray
) -> torch.Tensor:
    """(1, 9, H, W) float32 input from uint8 rgb (H,W,3), bool hole and two disparities."""
    known = torch.as_tensor(~hole, dtype=torch.float32)[None]
    colour = torch.as_tensor(rgb, dtype=torch.float32).permute(2, 0, 1) / 255.0
    classical = torch.as_tensor(inpaint_classical(rgb, hole), dtype=torch.float32)
    planes = [
        colour * known,
        1.0 - known,
        torch.as_tensor(disparity, dtype=torch.float32)[None] / DISPARITY_SCALE,
        torch.as_tensor(background, dtype=torch.float32)[None] / DISPARITY_SCALE,
        classical.permute(2, 0, 1) / 255.0,
    ]
    return torch.cat(planes)[None]


def run_network(net: InpaintNet, inputs: torch.Tensor) -> torch.Tensor:
    """Apply ``net`` to (B, 9, H, W) of any size (padded to a multiple of 4 by reflection)."""
    height, width = inputs.shape[-2:]
    pad_h, pad_w = (-height) % 4, (-width) % 4
    mode = "reflect" if min(height, width) > 4 else "replicate"
    padded = F.pad(inputs, (0, pad_w, 0, pad_h), mode=mode)
    return net(padded)[..., :height, :width]


class LearnedInpainter:
    """Callable inpainter (rgb, hole, disparity, background disparity) -> rgb, like
    :func:`.layers.classical_inpainter`. Only the hole's bounding box (plus context) runs."""

    def __init__(self, net: InpaintNet, context: int = 24):
        self.net = net.eval()
        self.context = context

    def __call__(self, rgb, hole, disparity, background) -> np.ndarray:
        if not hole.any():
            return rgb.copy()
        rows, cols = np.nonzero(hole)
        top, left = max(rows.min() - self.context, 0), max(cols.min() - self.context, 0)
        bottom = min(rows.max() + self.context + 1, hole.shape[0])
        right = min(cols.max() + self.context + 1, hole.shape[1])
        box = (slice(top, bottom), slice(left, right))
        with torch.inference_mode():
            out = run_network(
                self.net, network_input(rgb[box], hole[box], disparity[box], background[box])
            )
        colours = (out[0].permute(1, 2, 0).numpy() * 255.0).round().clip(0, 255)
        filled = rgb.copy()
        filled[box] = np.where(hole[box][..., None], colours.astype(np.uint8), rgb[box])
        return filled


def load_inpainter(path: str | Path = SHIPPED_WEIGHTS) -> LearnedInpainter:
    """The trained network at ``path`` (``.safetensors`` with a ``.json`` beside it)."""
    from safetensors.torch import load_file

    path = Path(path)
    if not path.exists():
        raise ValueError(
            f"no inpainting network weights at {path}; train them with "
            "`python -m monocle.apps.photo3d.inpaint_train` or use inpaint='classical'"
        )
    config = json.loads(path.with_suffix(".json").read_text())
    net = InpaintNet(width=int(config.get("width", 16)))
    net.load_state_dict(load_file(str(path)))
    return LearnedInpainter(net)


def shipped_is_default() -> bool:
    """Whether the shipped network beat classical inpainting (its JSON says so)."""
    meta = SHIPPED_WEIGHTS.with_suffix(".json")
    if not (SHIPPED_WEIGHTS.exists() and meta.exists()):
        return False
    return bool(json.loads(meta.read_text()).get("default", False))
