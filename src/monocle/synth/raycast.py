"""Batched ray casting with screen-space culling.

Testing every ray against every primitive costs rays x primitives. Instead rays are binned into
2D cells (image tiles for camera rays, light-space cells for shadow rays; see
:mod:`monocle.synth.culling`) and each primitive covers a conservative rectangle of cells.
Rays of a cell are grouped in fixed-size packets; candidate (packet, primitive) pairs are built
with ragged ``repeat_interleave`` expansion — no Python loop over pixels — and intersected in
one broadcast call per primitive kind. The nearest
hit per ray is a ``scatter_reduce(amin)`` over a 64-bit key (float32 bits of t, then the
primitive index), which is exact and order independent, so results are deterministic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from monocle.synth.primitives import INTERSECT, take
from monocle.synth.scene import Scene

PRIM_BITS = 21
PRIM_MASK = (1 << PRIM_BITS) - 1
NO_HIT = torch.iinfo(torch.int64).max
PAIR_BUDGET = 1 << 21
_CORNER_SIGNS = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], float)


@dataclass
class PackedScene:
    """A scene's primitives as tensors on one device (P primitives)."""

    kind: torch.Tensor  # (P,) int64
    origin: torch.Tensor  # (P,3)
    frame: torch.Tensor  # (P,3,3)
    size: torch.Tensor  # (P,3)
    material: torch.Tensor  # (P,) int64
    instance: torch.Tensor  # (P,) int64
    semantic: torch.Tensor  # (P,) int64
    foreground: torch.Tensor  # (P,) bool
    casts_shadow: torch.Tensor  # (P,) bool
    box_centre: np.ndarray  # (P,3) float64 oriented bounding boxes, for culling on the host
    box_axes: np.ndarray  # (P,3,3) columns
    box_half: np.ndarray  # (P,3)

    def box_corners(self) -> np.ndarray:
        """(P,8,3) world corners of every primitive's oriented bounding box."""
        local = _CORNER_SIGNS[None] * self.box_half[:, None, :]
        return self.box_centre[:, None, :] + np.einsum("pij,pkj->pki", self.box_axes, local)

    def __len__(self) -> int:
        return int(self.kind.shape[0])


def pack(scene: Scene, device: torch.device) -> PackedScene:
    if len(scene) >= 1 << PRIM_BITS:
        raise ValueError(f"scene has {len(scene)} primitives; the limit is {1 << PRIM_BITS}")
    count = len(scene)
    kind = np.asarray(scene.kind, dtype=np.int64).reshape(count)
    origin = np.asarray(scene.origin, dtype=np.float64).reshape(count, 3)
    frame = np.asarray(scene.frame, dtype=np.float64).reshape(count, 3, 3)
    size = np.asarray(scene.size, dtype=np.float64).reshape(count, 3)
    # Oriented bounding boxes: exact for boxes and quads, tight for the rest.
    centre, half = origin.copy(), size.copy()
    half[kind == 0, 2] = 0.0
    sphere, segment = kind == 2, kind >= 3
    half[sphere] = size[sphere, :1]
    radius, length = size[segment, 0], size[segment, 1]
    centre[segment] = origin[segment] + frame[segment, :, 2] * (0.5 * length)[:, None]
    half[segment] = np.stack([radius, radius, 0.5 * length + radius], axis=1)

    def as_tensor(values, dtype):
        return torch.as_tensor(np.asarray(values), dtype=dtype, device=device)

    return PackedScene(
        kind=as_tensor(kind, torch.int64),
        origin=as_tensor(origin, torch.float32),
        frame=as_tensor(frame, torch.float32),
        size=as_tensor(size, torch.float32),
        material=as_tensor(scene.material, torch.int64).reshape(count),
        instance=as_tensor(scene.instance, torch.int64).reshape(count),
        semantic=as_tensor(scene.semantic, torch.int64).reshape(count),
        foreground=as_tensor(scene.foreground, torch.bool).reshape(count),
        casts_shadow=as_tensor(scene.casts_shadow, torch.bool).reshape(count),
        box_centre=centre,
        box_axes=frame,
        box_half=half,
    )


@dataclass
class Binning:
    """Rays binned into ``n_cells`` cells, and cell rectangles covered by primitives.

    ``ray_cell`` (N,) int64 with ``n_cells`` for inactive rays; ``rects`` (R,6) int64 rows
    (primitive, first_cell_of_face, u0, u1, v0, v1) with inclusive bounds on a ``grid_u`` wide
    grid; ``packet`` rays are tested together against a primitive.
    """

    ray_cell: torch.Tensor
    rects: torch.Tensor
    n_cells: int
    grid_u: int
    packet: int = 16


def _ragged(lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """For lengths (K,): owner (sum,) index of each element and its position inside its run."""
    owner = torch.repeat_interleave(torch.arange(lengths.shape[0], device=lengths.device), lengths)
    starts = torch.cumsum(lengths, 0) - lengths
    return owner, torch.arange(owner.shape[0], device=lengths.device) - starts[owner]


@dataclass
class Packets:
    """Rays grouped by cell into fixed-size packets; ``rays`` (K,size) holds ray indices, padded
    with N (a dummy ray). Each packet is tested against a primitive as one broadcast block, so
    primitive parameters are gathered once per packet, not once per ray."""

    rays: torch.Tensor
    first: torch.Tensor  # (n_cells,) index of each cell's first packet
    count: torch.Tensor  # (n_cells,) packets per cell


def make_packets(binning: Binning) -> Packets:
    size, n = binning.packet, binning.ray_cell.shape[0]
    device = binning.ray_cell.device
    active = binning.ray_cell < binning.n_cells
    counts = torch.bincount(binning.ray_cell[active], minlength=binning.n_cells)
    # Radix sort runs on narrow keys several times faster; cell ids (and n_cells for
    # inactive rays) fit in 16 bits at training sizes.
    narrow = torch.int16 if binning.n_cells < 1 << 15 else torch.int32
    order = torch.argsort(binning.ray_cell.to(narrow), stable=True)
    starts = torch.cumsum(counts, 0) - counts
    per_cell = (counts + size - 1) // size
    cell, within = _ragged(per_cell)
    slot = within[:, None] * size + torch.arange(size, device=device)
    rays = take(order, (take(starts, cell)[:, None] + slot).clamp(max=max(n - 1, 0))) if n else slot
    rays = torch.where(slot < counts[cell][:, None], rays, n)
    return Packets(rays=rays, first=torch.cumsum(per_cell, 0) - per_cell, count=per_cell)


def candidate_pairs(binning: Binning, packets: Packets, budget: int = PAIR_BUDGET):
    """Yield chunks (packet_index (M,), primitive_index (M,)) of candidate pairs, M*size of a
    packet <= ~budget rays."""
    device = binning.ray_cell.device
    rects = binning.rects
    if rects.shape[0] == 0:
        return
    width = rects[:, 3] - rects[:, 2] + 1
    owner, within = _ragged(width * (rects[:, 5] - rects[:, 4] + 1))
    r = rects[owner]
    cell = r[:, 1] + (r[:, 4] + within // width[owner]) * binning.grid_u + r[:, 2]
    cell = cell + within % width[owner]
    in_cell = packets.count[cell]
    keep = in_cell > 0
    prim, cell, in_cell = r[keep, 0], cell[keep], in_cell[keep]
    if prim.numel() == 0:
        return
    total = torch.cumsum(in_cell, 0)
    per_chunk = max(1, budget // binning.packet)
    n_chunks = max(1, math.ceil(int(total[-1]) / per_chunk))
    bounds = torch.searchsorted(
        total, torch.arange(1, n_chunks, device=device, dtype=total.dtype) * per_chunk
    ).tolist()
    for lo, hi in zip([0, *bounds], [*bounds, int(prim.shape[0])], strict=True):
        if hi <= lo:
            continue
        pair_owner, pair_within = _ragged(in_cell[lo:hi])
        first = take(take(packets.first, cell[lo:hi]), pair_owner)
        yield first + pair_within, take(prim[lo:hi], pair_owner)


def pair_distances(packed: PackedScene, o, d, packets, prims):
    """Hit distances (M,P) of packets against primitives, +inf on a miss. ``o`` is (K,P,3)
    per-packet origins or (1,1,3) when every ray starts at the same point; ``d`` (K,P,3)."""
    t = torch.full((packets.shape[0], d.shape[1]), float("inf"), device=d.device)
    kinds = take(packed.kind, prims)
    for kind, intersect in enumerate(INTERSECT):
        select = torch.nonzero(kinds == kind).squeeze(1)
        if select.numel() == 0:
            continue
        p, k = take(prims, select)[:, None], take(packets, select)
        hits = intersect(
            o if o.shape[0] == 1 else take(o, k),
            take(d, k),
            take(packed.origin, p),
            take(packed.frame, p),
            take(packed.size, p),
        )
        t.index_copy_(0, select, hits)
    return t


def _packet_rays(o, d, binning: Binning):
    """Packets and the packet-major ray origins / directions (a dummy ray pads the end)."""
    packets = make_packets(binning)
    pad_d = take(torch.cat([d, d.new_tensor([[0.0, 0.0, 1.0]])]), packets.rays)
    shared = o.shape[0] > 1 and o.stride(0) == 0  # camera rays: one eye, expanded
    pad_o = o[:1, None] if shared else take(torch.cat([o, o.new_zeros((1, 3))]), packets.rays)
    return packets, pad_o, pad_d


def nearest_hits(packed: PackedScene, o, d, binning: Binning, layers: list[torch.Tensor]):
    """Nearest hit per ray for each primitive subset in ``layers`` ((P,) bool masks).

    Returns one int64 key tensor (N,) per layer: ``NO_HIT`` or ``(t bits << 21) | primitive``;
    decode with :func:`decode_keys`.
    """
    n = o.shape[0]
    keys = [torch.full((n + 1,), NO_HIT, dtype=torch.int64, device=o.device) for _ in layers]
    packets, pad_o, pad_d = _packet_rays(o, d, binning)
    complete = [bool(layer.all()) for layer in layers]
    for packet, prims in candidate_pairs(binning, packets):
        t = pair_distances(packed, pad_o, pad_d, packet, prims)
        # Flat positions of the hits, then gathers: cheaper than boolean-mask indexing.
        found = torch.nonzero(torch.isfinite(t).view(-1)).squeeze(1)
        rays = take(take(packets.rays, packet).view(-1), found)
        prim_of_hit = take(prims, torch.div(found, t.shape[1], rounding_mode="floor"))
        key = (take(t.view(-1), found).view(torch.int32).to(torch.int64) << PRIM_BITS) | prim_of_hit
        for layer, everything, layer_keys in zip(layers, complete, keys, strict=True):
            if everything:
                layer_keys.scatter_reduce_(0, rays, key, "amin")
            else:
                use = torch.nonzero(take(layer, prim_of_hit)).squeeze(1)
                layer_keys.scatter_reduce_(0, take(rays, use), take(key, use), "amin")
    return [k[:n] for k in keys]


def decode_keys(keys: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """keys (N,) -> (hit bool (N,), t float32 (N,) inf on miss, primitive int64 (N,) -1)."""
    hit = keys != NO_HIT
    bits = torch.where(hit, keys >> PRIM_BITS, torch.full_like(keys, 0x7F800000))
    t = bits.to(torch.int32).view(torch.float32)
    prim = torch.where(hit, keys & PRIM_MASK, torch.full_like(keys, -1))
    return hit, t, prim


def any_hits(packed: PackedScene, o, d, t_max: torch.Tensor, binning: Binning) -> torch.Tensor:
    """(N,) bool: does the ray hit anything with t < t_max (N,)?"""
    n = o.shape[0]
    blocked = torch.zeros(n + 1, dtype=torch.bool, device=o.device)
    packets, pad_o, pad_d = _packet_rays(o, d, binning)
    limit = take(torch.cat([t_max, t_max.new_zeros(1)]), packets.rays)
    for packet, prims in candidate_pairs(binning, packets):
        t = pair_distances(packed, pad_o, pad_d, packet, prims)
        found = torch.nonzero((t < take(limit, packet)).view(-1)).squeeze(1)
        blocked.index_fill_(0, take(take(packets.rays, packet).view(-1), found), True)
    return blocked[:n]
