"""Depth discontinuities: where the pixel grid is cut into layers.

Everything here works on *normalised disparity* ``D = 3 * z_min / z`` (methods.md §2: the
disparity of 3d-photo-inpainting, whose maximum is 3), so one threshold fits metric and
relative depth alike. A pair of neighbouring pixels is cut when the disparity step between
them exceeds ``DEPTH_THRESHOLD`` *beyond the local slope*: disparity is affine on a plane, so a
slanted floor makes equal steps every pixel and is never cut, while a real depth edge makes one
step unlike the steps on either side of it. (A plain |step| test cuts grazing floors and walls at
small image sizes, where one pixel spans a large disparity change.)
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

DEPTH_THRESHOLD = 0.04  # methods.md §2 `depth_threshold`
MIN_SEGMENT = 12  # methods.md §2 `redundant_number`, at 3d-photo-inpainting's 960-px long side
REFERENCE_LONG_SIDE = 960
SHARPEN_ITERATIONS = 5  # methods.md §2 `sparse_iter`
# Colour snapping (see snap_edges_to_colour), chosen on rendered portraits with the shipped
# model's depth (seeds 100-105, never the benchmark's): SSIM inside disocclusions rose from
# 0.526 to 0.550-0.556 for any sigma from 0.15 to 0.6, and only to 0.529 without the colour
# weight (a plain spatial median).
SNAP_SIGMA_COLOUR = 0.4  # RGB distance in [0, 1] units
SNAP_HALF_WINDOW = 4
SNAP_BAND = 3
SNAP_REACH = 3
SNAP_ITERATIONS = 3
SNAP_REFERENCE_LONG_SIDE = 256  # one window step per pixel up to here, wider steps above

# Pair offsets (dy, dx) from the first pixel of a pair to the second one.
OFFSETS = {"right": (0, 1), "down": (1, 0), "down_right": (1, 1), "down_left": (1, -1)}


def neighbour(values: np.ndarray, dy: int, dx: int, fill=0) -> np.ndarray:
    """``out[y, x] = values[y + dy, x + dx]``, ``fill`` where that is outside the grid."""
    height, width = values.shape[:2]
    out = np.full_like(values, fill)
    ys, yd = slice(max(dy, 0), height + min(dy, 0)), slice(max(-dy, 0), height + min(-dy, 0))
    xs, xd = slice(max(dx, 0), width + min(dx, 0)), slice(max(-dx, 0), width + min(-dx, 0))
    out[yd, xd] = values[ys, xs]
    return out


def inside(shape: tuple[int, int], dy: int, dx: int) -> np.ndarray:
    """bool (H, W): whether pixel ``p + (dy, dx)`` exists."""
    return neighbour(np.ones(shape, dtype=bool), dy, dx, fill=False)


def mirrored(values: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """``out[y, x] = values[y + dy, x + dx]``, mirrored past the border (reflect padding)."""
    height, width = values.shape
    pad = max(abs(dy), abs(dx))
    padded = np.pad(values, pad, mode="reflect") if pad else values
    return padded[pad + dy : pad + dy + height, pad + dx : pad + dx + width]


@dataclass
class Cuts:
    """Which neighbouring pixel pairs are separated by a depth discontinuity.

    ``pairs[name]`` is bool (H, W), True at ``p`` when the pair (p, p + OFFSETS[name]) is cut;
    always False where the second pixel is outside the image.
    """

    pairs: dict[str, np.ndarray]

    @property
    def shape(self) -> tuple[int, int]:
        return self.pairs["right"].shape  # type: ignore[return-value]

    def edge_pixels(self) -> np.ndarray:
        """bool (H, W): pixels on either side of any cut pair."""
        edge = np.zeros(self.shape, dtype=bool)
        for name, (dy, dx) in OFFSETS.items():
            cut = self.pairs[name]
            edge |= cut | neighbour(cut, -dy, -dx, fill=False)
        return edge

    def count(self) -> int:
        return int(sum(int(cut.sum()) for cut in self.pairs.values()))


def normalized_disparity(depth: np.ndarray) -> np.ndarray:
    """(H, W) depth > 0 -> ``3 * min(depth) / depth`` (max 3, scale-free)."""
    return (3.0 * float(depth.min()) / depth).astype(np.float32)


def scaled_min_segment(size: tuple[int, int]) -> int:
    """``MIN_SEGMENT`` pixels at the reference 960-px long side, scaled to this image."""
    return max(2, round(MIN_SEGMENT * max(size) / REFERENCE_LONG_SIDE))


def step_excess(disparity: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """(H, W): how far the step from p to q = p + (dy, dx) departs from the steps beside it.

    ``min(|step - step before|, |step - step after|)``: a slope (equal steps) or a crease (the
    step matches one side) gives 0, a depth edge gives the size of the jump. Past the image
    border the disparity is mirrored (reflect padding), so a border pair beside an edge is
    judged by its inner side alone; 0 where q is outside.
    """
    d = disparity.astype(np.float32)
    q = mirrored(d, dy, dx)
    step = q - d
    before = np.abs(step - (d - mirrored(d, -dy, -dx)))
    after = np.abs(step - (mirrored(d, 2 * dy, 2 * dx) - q))
    excess = np.where(inside(d.shape, dy, dx), np.minimum(before, after), 0.0)
    return excess.astype(np.float32)


def find_cuts(
    disparity: np.ndarray,
    threshold: float = DEPTH_THRESHOLD,
    min_segment: int | None = None,
    subject: np.ndarray | None = None,
) -> Cuts:
    """Cut pairs of ``disparity`` (H, W) whose step exceeds ``threshold`` beyond the slope.

    Edge pixels form 8-connected segments; segments under ``min_segment`` pixels (default scaled
    from methods.md §2's 12 px at 960 px) are noise and their cuts are dropped. ``subject``
    (bool (H, W)) adds cuts along the mask boundary, whatever the depth says there.
    """
    if min_segment is None:
        min_segment = scaled_min_segment(disparity.shape)
    pairs = {name: step_excess(disparity, dy, dx) > threshold for name, (dy, dx) in OFFSETS.items()}
    cuts = Cuts(pairs)
    edge = cuts.edge_pixels()
    labels, count = ndimage.label(edge, structure=np.ones((3, 3), dtype=bool))
    if count:
        sizes = np.bincount(labels.ravel(), minlength=count + 1)
        kept = (sizes >= min_segment)[labels] & edge
        for name, (dy, dx) in OFFSETS.items():
            pairs[name] &= kept | neighbour(kept, dy, dx, fill=False)
    if subject is not None and subject.any() and not subject.all():
        for name, (dy, dx) in OFFSETS.items():
            other = neighbour(subject, dy, dx, fill=False)
            pairs[name] |= (subject != other) & inside(subject.shape, dy, dx)
    return Cuts(pairs)


def sharpen_disparity(
    disparity: np.ndarray,
    threshold: float = DEPTH_THRESHOLD,
    iterations: int = SHARPEN_ITERATIONS,
) -> np.ndarray:
    """Snap pixels that float between two depth layers onto the nearer layer's value.

    A pixel floats when, along two directions or more, the pairs on both sides of it are
    discontinuities
    (see :func:`step_excess`) and its disparity lies between its two neighbours': a sliver on a
    silhouette (a sphere seen at grazing angle, a blurred or resampled edge) that belongs to
    neither layer. It takes the value of the closer neighbour, ties going to the far side so
    silhouettes do not grow; iterated, ramps become steps. Smooth surfaces, even steep ones,
    and one-pixel structures in front of one background stay untouched. Stands in for
    3d-photo-inpainting's bilateral median (methods.md §2): only edge pixels change.
    """
    # Work on a mirrored copy so border pixels have neighbours in every direction.
    d = np.pad(disparity.astype(np.float32), 2, mode="reflect")
    for _ in range(iterations):
        votes = np.zeros(d.shape, dtype=np.int32)
        closest = np.full(d.shape, np.inf, dtype=np.float32)
        target = d.copy()
        for dy, dx in OFFSETS.values():
            after_cut = step_excess(d, dy, dx) > threshold
            before_cut = neighbour(after_cut, -dy, -dx, fill=False)
            before, after = mirrored(d, -dy, -dx), mirrored(d, dy, dx)
            between = (np.minimum(before, after) < d) & (d < np.maximum(before, after))
            floating = before_cut & after_cut & between
            votes += floating
            closer = np.where(np.abs(after - d) < np.abs(d - before), after, before)
            better = floating & (np.abs(closer - d) < closest)
            closest = np.where(better, np.abs(closer - d), closest)
            target = np.where(better, closer, target)
        # A pixel between layers along one diagonal only is a corner where three surfaces
        # meet, not a blurred edge: blurred edges float along two directions or more.
        target = np.where(votes >= 2, target, d)
        if np.array_equal(target, d):
            break
        d = np.pad(target[2:-2, 2:-2], 2, mode="reflect")
    return np.ascontiguousarray(d[2:-2, 2:-2])


def snap_edges_to_colour(
    disparity: np.ndarray,
    image: np.ndarray,
    blurred: np.ndarray,
    threshold: float = DEPTH_THRESHOLD,
    sigma_colour: float = SNAP_SIGMA_COLOUR,
    iterations: int = SNAP_ITERATIONS,
) -> np.ndarray:
    """Move soft depth edges onto the photo's colour edges.

    Predicted depth blurs a silhouette over a few pixels and sharpening puts the step in the
    middle of that blur, not where the person ends, so the foreground layer keeps a rim of
    background (or loses a rim of itself) that the moving camera then drags along. Near every
    cut, each pixel takes the weighted median of the disparities in a 9x9 window, weighted by
    how alike its colour and theirs are (Gaussian in RGB distance, ``sigma_colour``): it joins
    the layer whose colours it shares, if that layer touches it. A joint bilateral median
    guided by the photo, where 3d-photo-inpainting's bilateral median (methods.md §2) is
    guided by depth alone. The window is flat, not Gaussian, so a rim is outvoted by the
    larger same-coloured area beyond it; ties go to the far side, as in
    :func:`sharpen_disparity`. A median only picks disparities that are already there, so no
    pixel lands between two layers.

    Only pixels within ``SNAP_REACH`` of ``blurred`` change: a crisp depth edge is left as it
    is even where the colours do not tell its sides apart (a median there would round its
    corners off). The window, band and reach grow in steps of ``long side /
    SNAP_REFERENCE_LONG_SIDE`` pixels, so an upsampled prediction's wider blur is covered at
    the same cost per edge pixel.

    Args:
        disparity: float32 (H, W) sharpened normalised disparity (see
            :func:`normalized_disparity`, :func:`sharpen_disparity`).
        image: uint8 (H, W, 3) photo of the same size.
        blurred: bool (H, W), where the depth was soft: the pixels sharpening moved.
    """
    step = max(1, round(max(disparity.shape) / SNAP_REFERENCE_LONG_SIDE))
    offsets = np.arange(-SNAP_HALF_WINDOW, SNAP_HALF_WINDOW + 1) * step
    dy, dx = (grid.ravel() for grid in np.meshgrid(offsets, offsets, indexing="ij"))
    colour = image.astype(np.float32) / 255.0
    height, width = disparity.shape
    d = disparity.astype(np.float32).copy()
    movable = ndimage.binary_dilation(blurred, iterations=SNAP_REACH * step)
    for _ in range(iterations):
        edge = find_cuts(d, threshold).edge_pixels()
        band = ndimage.binary_dilation(edge, iterations=SNAP_BAND * step) & movable
        if not band.any():
            break
        ys, xs = np.nonzero(band)
        qy = np.clip(ys[:, None] + dy, 0, height - 1)
        qx = np.clip(xs[:, None] + dx, 0, width - 1)
        likeness = ((colour[qy, qx] - colour[ys, xs][:, None]) ** 2).sum(-1)
        weights = np.exp(-likeness / (2.0 * sigma_colour**2))
        values = d[qy, qx]
        order = np.argsort(values, axis=1)
        cumulative = np.cumsum(np.take_along_axis(weights, order, axis=1), axis=1)
        median = (cumulative < 0.5 * cumulative[:, -1:]).sum(axis=1)
        snapped = np.take_along_axis(values, order, axis=1)[np.arange(len(ys)), median]
        # Join only a layer that touches the pixel: the median of three layers can be the
        # middle one where it is not adjacent, which would leave an island.
        touching = np.zeros(len(ys), dtype=bool)
        for (oy, ox), sign in itertools.product(OFFSETS.values(), (1, -1)):
            near = d[np.clip(ys + sign * oy, 0, height - 1), np.clip(xs + sign * ox, 0, width - 1)]
            touching |= np.abs(near - snapped) <= threshold
        snapped = np.where(touching, snapped, d[ys, xs])
        if np.array_equal(snapped, d[ys, xs]):
            break
        d[ys, xs] = snapped
    return d
