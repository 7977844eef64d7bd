"""Evaluation protocols: the crop and depth range a benchmark scores, as one frozen value.

Crops are stored as fractions of the image so one protocol applies at any resolution. A fraction
``f`` of a side of ``n`` pixels becomes the index ``int(f * n + 1e-9)``: truncation towards zero,
as the KITTI reference code (monodepth2, the Monocular-Depth-Estimation-Toolbox) does with
``int(0.40810811 * H)``; the 1e-9 only absorbs float representation error, so that exact ratios
such as 471/480 land on their integer. The crop keeps rows ``[int(top*H), int(bottom*H))`` and
columns ``[int(left*W), int(right*W))``, Python slice semantics.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from monocle.metrics.validity import ArrayLike, valid_mask

_FLOAT_GUARD = 1e-9


@dataclass(frozen=True)
class Protocol:
    """What a benchmark scores: depths in (min_depth, max_depth) inside an optional crop.

    Attributes:
        name: protocol name, e.g. ``"nyu"``.
        min_depth: exclusive lower bound on ground-truth depth (metres); predictions are clamped
            to it by :meth:`clamp_prediction`.
        max_depth: exclusive upper bound on ground-truth depth (metres); predictions are clamped
            to it by :meth:`clamp_prediction`.
        crop: fractional (top, bottom, left, right) bounds of the scored window, or None for the
            whole image. See the module docstring for the rounding.
    """

    name: str
    min_depth: float
    max_depth: float
    crop: tuple[float, float, float, float] | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.min_depth < self.max_depth:
            raise ValueError(
                f"protocol {self.name!r}: need 0 <= min_depth < max_depth, got "
                f"min_depth={self.min_depth}, max_depth={self.max_depth}"
            )
        if self.crop is not None:
            if len(self.crop) != 4:
                raise ValueError(
                    f"protocol {self.name!r}: crop must be (top, bottom, left, right) fractions, "
                    f"got {self.crop}"
                )
            top, bottom, left, right = self.crop
            if not (0 <= top < bottom <= 1 and 0 <= left < right <= 1):
                raise ValueError(
                    f"protocol {self.name!r}: crop fractions need 0 <= top < bottom <= 1 and "
                    f"0 <= left < right <= 1, got {self.crop}"
                )

    @classmethod
    def custom(
        cls,
        min_depth: float,
        max_depth: float,
        crop: tuple[float, float, float, float] | None = None,
    ) -> Protocol:
        """A protocol named ``"custom"`` with the given range and optional fractional crop."""
        return cls("custom", float(min_depth), float(max_depth), crop)

    def crop_slices(self, height: int, width: int) -> tuple[slice, slice]:
        """Row and column slices of the scored window in an image of ``height`` x ``width``."""
        if self.crop is None:
            return slice(0, height), slice(0, width)
        top, bottom, left, right = self.crop

        def index(fraction: float, size: int) -> int:
            return int(fraction * size + _FLOAT_GUARD)

        return (
            slice(index(top, height), index(bottom, height)),
            slice(index(left, width), index(right, width)),
        )

    def mask(self, gt: ArrayLike, valid: ArrayLike | None = None) -> torch.Tensor:
        """Pixels this protocol scores: crop & depth range & :func:`valid_mask`.

        Args:
            gt: ground-truth depth, (H, W) or (1, H, W).
            valid: optional mask of the same shape.

        Returns:
            bool tensor with the shape of ``gt``.
        """
        mask = valid_mask(gt, valid, min_depth=self.min_depth, max_depth=self.max_depth)
        if self.crop is not None:
            rows, cols = self.crop_slices(mask.shape[-2], mask.shape[-1])
            window = torch.zeros_like(mask)
            window[..., rows, cols] = True
            mask &= window
        return mask

    def clamp_prediction(self, pred: torch.Tensor) -> torch.Tensor:
        """Clamp predicted depth to [min_depth, max_depth], as the reference evaluations do."""
        return pred.clamp(min=self.min_depth, max=self.max_depth)


PROTOCOLS: dict[str, Protocol] = {
    # Eigen crop rows 45:471, cols 41:601 of the 480x640 NYUv2 frame.
    "nyu": Protocol("nyu", 1e-3, 10.0, (45 / 480, 471 / 480, 41 / 640, 601 / 640)),
    "kitti_garg": Protocol(
        "kitti_garg", 1e-3, 80.0, (0.40810811, 0.99189189, 0.03594771, 0.96405229)
    ),
    "kitti_eigen": Protocol(
        "kitti_eigen", 1e-3, 80.0, (0.3324324, 0.91351351, 0.03594771, 0.96405229)
    ),
    "synth": Protocol("synth", 1e-3, 80.0, None),
}


def get_protocol(name: str) -> Protocol:
    """The named evaluation protocol: one of ``"nyu"``, ``"kitti_garg"``, ``"kitti_eigen"``,
    ``"synth"``. Use :meth:`Protocol.custom` for anything else."""
    try:
        return PROTOCOLS[name]
    except KeyError:
        raise ValueError(
            f"unknown evaluation protocol {name!r}; known: {sorted(PROTOCOLS)}, "
            "or build one with Protocol.custom(min_depth, max_depth)"
        ) from None
