"""Occlusion-correct layered scatter: the core of the bokeh renderer, in linear light.

The scene is cut into layers by signed blur radius (equivalently disparity; front to back).
Each layer's pixels splat their aperture kernel (one FFT convolution per layer, at reduced
resolution when the blur is large) into premultiplied colour and alpha, and the layers are
composited front to back with "over":

- A layer is extended behind the nearer layers next to it: its coverage counts the nearer
  pixels inside its kernel, while its colour is the average of its own visible pixels. So a
  blurred background around a sharp subject keeps full opacity and its own colour: nothing of
  the subject and nothing farther leaks in.
- Light that still passes every layer (inside the blurred edge of a foreground in front of a
  sharper background) shows what is behind the nearest layer there, approximated by the
  visible farther content around it, extrapolated by push-pull at low resolution.

Memory is a few full-resolution planes plus one layer's bounding box, so 12 MP images need no
tiling. A layer of radius r >= 12 px is scattered at 1/d resolution, d the power of two with
r / d in [6, 12); layers of one d share a stack at that resolution and the stacks are merged
coarse to fine. This only softens bokeh edges by about d pixels, some 10 % of the radius.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from monocle.apps.bokeh.aperture import aperture_kernel

LOWRES_RADIUS = 6.0  # layers blurred more than twice this are scattered at reduced resolution
RELATIVE_STEP = 0.12  # layer width in radius: 1 px, growing to 12 % of the radius for big blurs
GATE_ALPHA = 0.05  # a layer extends behind nearer pixels only where its own alpha passes this
CAT_EYE_ZONES = 4  # with cat's eye, the frame is cut into this many zones per side
BEHIND_SIZE = 256  # long side of the grid that estimates what lies behind each layer


def radius_edges(max_radius: float) -> list[float]:
    """Layer boundaries on |radius|: 0.5, 1.5, ... then a relative step; covers ``max_radius``."""
    edges = [0.5]
    while edges[-1] <= max_radius:
        edges.append(edges[-1] + max(1.0, RELATIVE_STEP * edges[-1]))
    return edges


def layer_keys(signed_radius: torch.Tensor) -> torch.Tensor:
    """int64 (H, W) layer of each pixel: 0 in focus, -k in front, +k behind; ascending = far."""
    magnitude = signed_radius.abs()
    edges = torch.tensor(radius_edges(float(magnitude.max())), device=signed_radius.device)
    return torch.bucketize(magnitude, edges, right=True) * torch.sign(signed_radius).long()


def fft_convolve(planes: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """Zero-padded 'same' convolution of (C, h, w) planes with an odd (k, k) kernel."""
    _, height, width = planes.shape
    reach = kernel.shape[0] // 2
    size = (_fft_size(height + 2 * reach), _fft_size(width + 2 * reach))
    spectrum = torch.fft.rfft2(planes, s=size) * torch.fft.rfft2(kernel, s=size)
    return torch.fft.irfft2(spectrum, s=size)[:, reach : reach + height, reach : reach + width]


def _fft_size(length: int) -> int:
    """The smallest length >= ``length`` with no prime factor above 5 (fast for pocketfft)."""
    while True:
        rest = length
        for prime in (2, 3, 5):
            while rest % prime == 0:
                rest //= prime
        if rest == 1:
            return length
        length += 1


def lowres_factor(radius: float) -> int:
    """Resolution divisor d for a layer of this blur radius: a power of two, r/d in [6, 12)."""
    if radius < 2 * LOWRES_RADIUS:
        return 1
    return 2 ** int(math.log2(radius / LOWRES_RADIUS))


@dataclass(frozen=True)
class Layer:
    key: int  # 0 in focus, < 0 in front, > 0 behind; ascending is front to back
    radius: float  # mean |blur radius| of the layer's pixels, 0 for the focus layer
    box: tuple[int, int, int, int]  # top, bottom, left, right pixel (inclusive)


def layer_table(keys: torch.Tensor, magnitude: torch.Tensor) -> list[Layer]:
    """The layers present, front to back, with their mean |radius| and bounding box."""
    height, width = keys.shape
    offset = int(keys.min())
    index = keys.long() - offset
    count = int(index.max()) + 1
    pixels = torch.bincount(index.flatten(), minlength=count)
    radius = torch.bincount(index.flatten(), magnitude.flatten(), minlength=count)
    # Which layers occur in each row and column: small (rows x layers) histograms, no sort.
    row_ids = torch.arange(height, device=keys.device)[:, None] * count + index
    col_ids = torch.arange(width, device=keys.device)[None, :] * count + index
    in_row = torch.bincount(row_ids.flatten(), minlength=height * count).view(height, count) > 0
    in_col = torch.bincount(col_ids.flatten(), minlength=width * count).view(width, count) > 0

    def span(present: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        positions = torch.arange(len(present), device=keys.device)[:, None].expand_as(present)
        first = torch.where(present, positions, len(present)).amin(0)
        return first, torch.where(present, positions, -1).amax(0)

    (top, bottom), (left, right) = span(in_row), span(in_col)
    table = torch.stack([torch.arange(count, device=keys.device) + offset, pixels, top, bottom,
                         left, right], 1).cpu().tolist()  # fmt: skip
    mean = (radius / pixels.clamp(min=1)).cpu().tolist()
    return [Layer(k, mean[i] if k != 0 else 0.0, (t, b, le, ri))
            for i, (k, n, t, b, le, ri) in enumerate(table) if n > 0]  # fmt: skip


def _cat_eye_offset(zone: tuple[int, int], shape: tuple[int, int], radius: float,
                    strength: float) -> tuple[float, float]:  # fmt: skip
    """Offset between the two vignetting shapes for a zone: radial, growing to the corner."""
    height, width = shape
    cy = (zone[0] + 0.5) * height / CAT_EYE_ZONES - height / 2
    cx = (zone[1] + 0.5) * width / CAT_EYE_ZONES - width / 2
    half_diagonal = math.hypot(height, width) / 2
    return (strength * radius * cx / half_diagonal, strength * radius * cy / half_diagonal)


class _Stack:
    """Front-to-back "over" accumulation at 1/factor resolution."""

    def __init__(self, colour: torch.Tensor, transmit: torch.Tensor, factor: int) -> None:
        self.colour, self.transmit, self.factor = colour, transmit, factor

    @classmethod
    def empty(cls, like: torch.Tensor, factor: int) -> _Stack:
        _, height, width = like.shape
        size = (math.ceil(height / factor), math.ceil(width / factor))
        return cls(like.new_zeros((3, *size)), like.new_ones((1, *size)), factor)

    def add(self, region: tuple[slice, slice], premultiplied: torch.Tensor,
            alpha: torch.Tensor) -> None:  # fmt: skip
        rows, cols = region
        self.colour[:, rows, cols] += self.transmit[:, rows, cols] * premultiplied
        self.transmit[:, rows, cols] *= 1 - alpha

    def at(self, factor: int, size: tuple[int, int]) -> torch.Tensor:
        """(4, *size) colour and transmittance upsampled to 1/factor resolution."""
        planes = torch.cat([self.colour, self.transmit])
        if factor == self.factor:
            return planes
        scale = self.factor // factor
        up = F.interpolate(planes[None], scale_factor=scale, mode="bilinear")[0]
        return up[:, : size[0], : size[1]]


def _over(front: _Stack, back: _Stack) -> _Stack:
    """``front`` over ``back``, at the finer of their resolutions."""
    fine = front if front.factor <= back.factor else back
    size = tuple(fine.colour.shape[1:])
    f, b = front.at(fine.factor, size), back.at(fine.factor, size)
    return _Stack(f[:3] + f[3:] * b[:3], f[3:] * b[3:], fine.factor)


def render_linear(
    linear: torch.Tensor,
    signed_radius: torch.Tensor,
    *,
    blades: int = 0,
    rotation: float = 0.0,
    cat_eye: float = 0.0,
) -> torch.Tensor:
    """Depth-of-field image in linear light.

    Args:
        linear: (3, H, W) float linear RGB (may exceed 1 for recovered highlights).
        signed_radius: (H, W) blur radius in pixels, < 0 in front of focus, > 0 behind.
        blades: aperture blade count, 0 for a disc.
        rotation: polygon rotation in radians.
        cat_eye: 0 (none) .. 1 (strong) optical vignetting towards the frame edge.

    Returns:
        (3, H, W) float linear RGB on the same device.
    """
    keys = layer_keys(signed_radius)
    layers = layer_table(keys, signed_radius.abs())
    keys = keys.to(torch.int16)
    options = {"blades": blades, "rotation": rotation, "cat_eye": cat_eye}
    # Layers blurred at the same reduced resolution are contiguous in depth; each run gets its
    # own stack, and the stacks are merged coarse to fine, so only two full-size upsamples.
    full = _Stack.empty(linear, 1)
    front: list[_Stack] = []
    back: list[_Stack] = []
    for layer in layers:
        factor = lowres_factor(layer.radius)
        side = full if factor == 1 else front if layer.key < 0 else back
        if side is not full and (not side or side[-1].factor != factor):
            side.append(_Stack.empty(linear, factor))
        stack = full if side is full else side[-1]
        region, premultiplied, alpha = _splat_layer(linear, keys, layer, factor, options)
        stack.add(region, premultiplied, alpha)
    while len(back) > 1:
        back[-2:] = [_over(back[-2], back[-1])]
    while len(front) > 1:
        front[:2] = [_over(front[0], front[1])]
    for stack in back:
        full = _over(full, stack)
    for stack in front:
        full = _over(stack, full)
    return full.colour + full.transmit * behind_estimate(linear, keys)


def _splat_layer(linear, keys, layer, factor, options):
    """One layer splatted at 1/factor resolution: (rows, cols) slices, premultiplied, alpha."""
    _, height, width = linear.shape
    top, bottom, left, right = (v // factor for v in layer.box)
    radius = layer.radius / factor
    reach = math.ceil(radius + 0.5) if radius >= 0.5 else 0
    # Read the box plus two reaches (its own splat, plus the nearer pixels that splat extends
    # over), in cells of `factor` pixels; beyond the frame the edge pixels repeat.
    y0, y1 = (top - 2 * reach) * factor, (bottom + 2 * reach + 1) * factor
    x0, x1 = (left - 2 * reach) * factor, (right + 2 * reach + 1) * factor
    cy0, cy1, cx0, cx1 = max(0, y0), min(height, y1), max(0, x0), min(width, x1)
    crop = keys[cy0:cy1, cx0:cx1]
    mine = crop == layer.key
    planes = linear.new_empty((5, y1 - y0, x1 - x0))
    inner = planes[:, cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0]
    torch.mul(linear[:, cy0:cy1, cx0:cx1], mine, out=inner[:3])
    inner[3] = mine
    inner[4] = crop < layer.key
    _replicate_edges(planes, (cy0 - y0, cy1 - y0, cx0 - x0, cx1 - x0))
    if factor > 1:
        planes = F.avg_pool2d(planes[None], factor)[0]
    splat = _splat(planes, radius, layer.key < 0, (y0 // factor, x0 // factor), factor,
                   (height, width), options) if reach else _unmoved(planes)  # fmt: skip
    # Keep the box plus one reach, inside the (low-resolution) frame.
    cells_h, cells_w = math.ceil(height / factor), math.ceil(width / factor)
    oy0, oy1 = max(0, top - reach), min(cells_h, bottom + reach + 1)
    ox0, ox1 = max(0, left - reach), min(cells_w, right + reach + 1)
    ry, rx = oy0 - (top - 2 * reach), ox0 - (left - 2 * reach)
    splat = splat[:, ry : ry + oy1 - oy0, rx : rx + ox1 - ox0]
    premultiplied, alpha = _extend_behind_nearer(splat)
    return (slice(oy0, oy1), slice(ox0, ox1)), premultiplied, alpha


def _replicate_edges(planes: torch.Tensor, inner: tuple[int, int, int, int]) -> None:
    """Fill ``planes`` outside rows top:bottom, cols left:right by repeating the edge, in place."""
    top, bottom, left, right = inner
    planes[:, :, :left] = planes[:, :, left : left + 1]
    planes[:, :, right:] = planes[:, :, right - 1 : right]
    planes[:, :top] = planes[:, top : top + 1]
    planes[:, bottom:] = planes[:, bottom - 1 : bottom]


def _unmoved(planes: torch.Tensor) -> torch.Tensor:
    return torch.cat([planes[:4], planes[3:4] + planes[4:5]])


def _splat(planes, radius, in_front, origin, factor, shape, options):
    """(5, h, w): splat colour, alpha (by zone with cat's eye) and alpha counting nearer pixels."""
    kernel_args = {"blades": options["blades"], "rotation": options["rotation"], "flip": in_front}
    kernel = aperture_kernel(radius, **kernel_args, device=planes.device)
    if options["cat_eye"] <= 0:
        splat = fft_convolve(planes, kernel)
        return torch.cat([splat[:4], splat[3:4] + splat[4:5]])
    nearer = fft_convolve(planes[4:], kernel)
    _, h, w = planes.shape
    # The zone of each cell, from its first pixel; cells outside the frame take the edge's.
    cells = torch.arange(max(h, w), device=planes.device)
    cell_rows = ((cells[:h] + origin[0]) * factor).clamp(0, shape[0] - 1)
    cell_cols = ((cells[:w] + origin[1]) * factor).clamp(0, shape[1] - 1)
    zone_rows = (cell_rows * CAT_EYE_ZONES // shape[0])[:, None]
    zone_cols = (cell_cols * CAT_EYE_ZONES // shape[1])[None, :]
    splat = torch.zeros_like(planes[:4])
    for zy in range(CAT_EYE_ZONES):
        for zx in range(CAT_EYE_ZONES):
            inside = (zone_rows == zy) & (zone_cols == zx)
            if not bool((planes[3] * inside).any()):
                continue
            offset = _cat_eye_offset((zy, zx), shape, radius * factor, options["cat_eye"])
            zone_kernel = aperture_kernel(radius, **kernel_args, cat_eye=(offset[0] / factor,
                                          offset[1] / factor), device=planes.device)  # fmt: skip
            splat += fft_convolve(planes[:4] * inside, zone_kernel)
    return torch.cat([splat, splat[3:4] + nearer])


def _extend_behind_nearer(splat: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Premultiplied colour and alpha of a splatted layer, extended behind nearer pixels."""
    alpha = splat[3:4].clamp(min=0.0)
    covered = splat[4:5].clamp(min=0.0)
    gate = (alpha / GATE_ALPHA).clamp(max=1.0)
    extended = (alpha + (covered - alpha).clamp(min=0.0) * gate).clamp(max=1.0)
    colour = splat[:3].clamp(min=0.0) / alpha.clamp(min=1e-6)
    return colour * extended, extended


def push_pull_fill(colour: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Fill (C, h, w) premultiplied ``colour`` where ``weight`` (1, h, w) in [0, 1] is low.

    Known cells keep their average colour; empty ones get the coarser levels' colour.
    """
    _, height, width = colour.shape
    own = colour / weight.clamp(min=1e-6)
    if height == 1 and width == 1:
        return own
    coarse_colour = F.avg_pool2d(colour[None], 2, ceil_mode=True, count_include_pad=False)[0]
    coarse_weight = F.avg_pool2d(weight[None], 2, ceil_mode=True, count_include_pad=False)[0]
    coarse = push_pull_fill(coarse_colour, coarse_weight)
    up = F.interpolate(coarse[None], size=(height, width), mode="bilinear")[0]
    known = (4 * weight).clamp(max=1.0)
    return own * known + up * (1 - known)


def behind_estimate(linear: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
    """(3, H, W): for each pixel, the visible content farther than its own layer, filled in.

    Computed on a grid of at most ``BEHIND_SIZE`` cells per side: per layer the average colour
    and share of each cell, then back to front a push-pull fill of everything farther, kept in
    the cells where the layer is present (the nearest layer present wins).
    """
    _, height, width = linear.shape
    step = max(1, math.ceil(max(height, width) / BEHIND_SIZE))
    grid_h, grid_w = math.ceil(height / step), math.ceil(width / step)
    # Cell statistics from every stride-th pixel: 16 samples per cell are plenty for a fill.
    stride = max(1, step // 4)
    sampled_rows = torch.arange(0, height, stride, device=keys.device)
    sampled_cols = torch.arange(0, width, stride, device=keys.device)
    keys, linear = keys[::stride, ::stride], linear[:, ::stride, ::stride]
    offset = int(keys.min())
    index = (keys - offset).flatten().long()
    present = torch.bincount(index) > 0
    inverse = (torch.cumsum(present, 0) - 1)[index]
    layers = int(present.sum())
    cell = ((sampled_rows // step)[:, None] * grid_w + (sampled_cols // step)[None, :]).flatten()
    slot = inverse * (grid_h * grid_w) + cell
    cells = layers * grid_h * grid_w
    counts = torch.zeros(cells, device=keys.device).index_add_(0, slot, torch.ones_like(slot,
                                                               dtype=linear.dtype))  # fmt: skip
    sums = torch.zeros(cells, 3, device=keys.device).index_add_(0, slot, linear.flatten(1).T)
    per_cell = math.ceil(step / stride) ** 2
    share = counts.view(layers, 1, grid_h, grid_w) / per_cell
    colour = sums.T.reshape(3, layers, grid_h, grid_w).transpose(0, 1) / per_cell
    behind = push_pull_fill(colour[-1], share[-1])
    farther_colour, farther_share = colour[-1], share[-1]
    for layer in range(layers - 2, -1, -1):
        filled = push_pull_fill(farther_colour, farther_share.clamp(max=1.0))
        behind = torch.where(share[layer] > 0, filled, behind)
        farther_colour = farther_colour + colour[layer]
        farther_share = farther_share + share[layer]
    return F.interpolate(behind[None], size=(height, width), mode="bilinear")[0]
