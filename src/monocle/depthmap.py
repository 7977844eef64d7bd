"""DepthMap: a depth map that says what it is.

Every depth that leaves monocle is a :class:`DepthMap`, so a user never has to guess whether a
number is metres, an unknown-scale depth or an inverse depth.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from monocle.io import DEPTH_KINDS, colorize, read_depth, write_depth, write_ply

KINDS = DEPTH_KINDS
_DEFAULT_UNITS = {"metric": "m", "relative": "", "disparity": ""}


@dataclass(eq=False)
class DepthMap:
    """Per-pixel depth of one image, with its meaning attached.

    Attributes:
        values: float32 (H, W). Invalid pixels hold 0.
        kind: what ``values`` measure:

            - ``"metric"``: planar depth, the distance along the camera's optical axis (z, not the
              ray length), in ``unit`` (default ``"m"``). The absolute scale is known.
            - ``"relative"``: depth up to an unknown positive scale (and possibly shift) that
              differs from image to image; larger is farther. Only comparisons within the image
              mean something. ``unit`` is ``""``.
            - ``"disparity"``: proportional to inverse depth; larger is nearer. With
              ``unit="1/m"`` the values are exactly 1 / metric depth. With ``unit=""`` they are
              affine-invariant disparity, as relative models (MiDaS, Depth Anything) predict:
              1 / depth only up to an unknown scale and shift.
        unit: ``"m"`` (or another length unit) for metric depth, ``"1/m"`` for metric inverse
            depth, ``""`` when the scale is unknown. Defaults by kind.
        valid: bool (H, W). Defaults to the pixels whose values are finite, and positive for the
            depth kinds. Non-finite values are always invalid.
        K: float32 (3, 3) pinhole intrinsics in pixels of this map, or None. Pixel (u, v) =
            (column, row) has its centre at integer coordinates (OpenCV convention), so a pixel
            back-projects to ``z * K^-1 [u, v, 1]``.
    """

    values: np.ndarray
    kind: str
    unit: str | None = None
    valid: np.ndarray | None = None
    K: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"DepthMap kind {self.kind!r} is unknown; use one of {KINDS}")
        values = np.asarray(self.values, dtype=np.float32)
        if values.ndim == 3 and values.shape[0] == 1:
            values = values[0]
        elif values.ndim == 3 and values.shape[-1] == 1:
            values = values[..., 0]
        if values.ndim != 2:
            raise ValueError(
                f"DepthMap values must be a (H, W) array, got shape {values.shape}; "
                "pass one map at a time"
            )
        finite = np.isfinite(values)
        if self.valid is None:
            valid = finite & (values > 0) if self.kind != "disparity" else finite
        else:
            valid = np.asarray(self.valid, dtype=bool)
            if valid.shape != values.shape:
                raise ValueError(
                    f"DepthMap valid mask has shape {valid.shape} but values have {values.shape}"
                )
            valid = valid & finite
        self.values = np.where(valid, values, np.float32(0)).astype(np.float32)
        self.valid = valid
        if self.unit is None:
            self.unit = _DEFAULT_UNITS[self.kind]
        if self.K is not None:
            K = np.asarray(self.K, dtype=np.float32)
            if K.shape != (3, 3):
                raise ValueError(f"DepthMap K must be a 3x3 intrinsics matrix, got {K.shape}")
            self.K = K

    @property
    def shape(self) -> tuple[int, int]:
        return self.values.shape  # type: ignore[return-value]

    def __repr__(self) -> str:
        h, w = self.shape
        v = self.values[self.valid]
        span = f"{v.min():.4g}..{v.max():.4g}" if v.size else "empty"
        unit = f" {self.unit}" if self.unit else ""
        k = ", K" if self.K is not None else ""
        return f"DepthMap({self.kind}, {h}x{w}, {span}{unit}, valid {self.valid.mean():.1%}{k})"

    def _with(self, values: np.ndarray, valid: np.ndarray, kind: str, unit: str) -> DepthMap:
        return DepthMap(values, kind=kind, unit=unit, valid=valid, K=self.K)

    def _inverted(self) -> tuple[np.ndarray, np.ndarray]:
        # Zero or negative disparity is infinitely far (or meaningless): no finite depth exists.
        valid = self.valid & (self.values > 0)
        safe = np.where(valid, self.values, np.float32(1))
        return np.where(valid, 1.0 / safe, 0).astype(np.float32), valid

    def to_depth(self) -> DepthMap:
        """Depth of these pixels: metric for metric maps and ``"1/m"`` disparity, else relative."""
        if self.kind != "disparity":
            return self
        values, valid = self._inverted()
        if self.unit == "1/m":
            return self._with(values, valid, "metric", "m")
        return self._with(values, valid, "relative", "")

    def to_disparity(self) -> DepthMap:
        """Inverse depth: ``"1/m"`` for metric depth in metres, unit-less otherwise."""
        if self.kind == "disparity":
            return self
        values, valid = self._inverted()
        unit = "1/m" if self.kind == "metric" and self.unit == "m" else ""
        return self._with(values, valid, "disparity", unit)

    def aligned_to(
        self,
        reference: DepthMap | np.ndarray,
        mode: str = "auto",
        *,
        depth_cap: float | None = None,
    ) -> DepthMap:
        """Metric depth fitted to a metric ``reference`` on the pixels valid in both.

        ``mode`` is one of :data:`monocle.metrics.ALIGN_MODES` or ``"auto"``: disparity maps are
        aligned by least-squares scale and shift in disparity space (the MiDaS protocol), relative
        depth by least-squares scale, metric depth by median scaling. ``depth_cap`` clamps the
        aligned disparity to at least ``1/depth_cap`` (methods.md §7).
        """
        from monocle.metrics import align_depth

        if not isinstance(reference, DepthMap):
            reference = DepthMap(reference, kind="metric")
        if reference.kind != "metric":
            raise ValueError(
                f"aligned_to needs a metric reference, got a {reference.kind} map; "
                "align to ground truth in metres"
            )
        if reference.shape != self.shape:
            raise ValueError(
                f"aligned_to: reference is {reference.shape} but this map is {self.shape}; "
                "resize one of them first"
            )
        if mode == "auto":
            mode = {"disparity": "scale_shift_disparity", "relative": "scale"}.get(
                self.kind, "median"
            )
        both = self.valid & reference.valid
        aligned = align_depth(
            self.values,
            reference.values,
            both,
            mode,
            pred_is_disparity=self.kind == "disparity",
            depth_cap=depth_cap,
        )
        aligned = np.asarray(aligned, dtype=np.float32)
        valid = self.valid & np.isfinite(aligned) & (aligned > 0)
        return DepthMap(aligned, kind="metric", unit=reference.unit, valid=valid, K=self.K)

    def colorize(
        self, cmap: str = "turbo", value_range: tuple[float, float] | None = None
    ) -> np.ndarray:
        """uint8 (H, W, 3) RGB picture; near is warm for every kind, invalid pixels are black.

        ``value_range`` is in this map's own units; None spreads the 2nd..98th percentile.
        """
        return colorize(
            self.values,
            self.valid,
            cmap=cmap,
            value_range=value_range,
            reverse=self.kind != "disparity",
        )

    def save(self, path: str | Path) -> Path:
        """Write losslessly; the format follows the suffix (see :func:`monocle.io.write_depth`)."""
        return write_depth(path, self.values, self.valid, kind=self.kind, unit=self.unit, K=self.K)

    @classmethod
    def load(
        cls, path: str | Path, *, kind: str | None = None, unit: str | None = None
    ) -> DepthMap:
        """Read a depth file written by monocle or another tool.

        Files that record their kind (monocle's PNG, NPZ, TIFF, EXR) need no arguments. For files
        that cannot (``.npy``, ``.pfm``, other tools' images) pass ``kind=`` (and ``unit=``).
        """
        values, valid, meta = read_depth(path)
        stored_kind, stored_unit = meta.get("kind"), meta.get("unit")
        if kind is not None and stored_kind is not None and kind != stored_kind:
            raise ValueError(
                f"{path}: the file says its kind is {stored_kind!r}, not {kind!r}; "
                "drop the kind= argument or convert with to_depth()/to_disparity()"
            )
        kind = kind or stored_kind
        if kind is None:
            raise ValueError(
                f"{path}: this {meta.get('format', 'file')} file does not record what its values "
                f"are; pass kind= one of {KINDS} (and unit=, e.g. 'm')"
            )
        K = meta.get("K")
        return cls(values, kind=kind, unit=unit or stored_unit, valid=valid, K=K)

    def to_points(self, K: np.ndarray | None = None) -> np.ndarray:
        """float32 (N, 3) camera-frame points (x right, y down, z forward) of the valid pixels.

        Row-major pixel order. Uses ``K`` or the map's own intrinsics; disparity is inverted
        first. Metric maps give points in their unit; relative maps in their unknown scale.
        """
        K = self.K if K is None else np.asarray(K, dtype=np.float32)
        if K is None:
            raise ValueError(
                "to_points needs intrinsics: pass K= or build the DepthMap with K "
                "(e.g. from the camera's focal length in pixels)"
            )
        depth = self.to_depth()
        rows, cols = np.nonzero(depth.valid)
        z = depth.values[rows, cols]
        rays = np.linalg.inv(K.astype(np.float64)) @ np.stack(
            [cols, rows, np.ones_like(cols)]
        ).astype(np.float64)
        x, y = rays[0] * z, rays[1] * z
        return np.stack([x, y, z], axis=1).astype(np.float32)

    def save_point_cloud(
        self, path: str | Path, image: np.ndarray | None = None, K: np.ndarray | None = None
    ) -> Path:
        """Binary PLY of :meth:`to_points`, coloured by ``image`` (uint8 (H, W, 3)) if given."""
        points = self.to_points(K)
        colors = None
        if image is not None:
            image = np.asarray(image)
            if image.shape[:2] != self.shape:
                raise ValueError(
                    f"save_point_cloud: image is {image.shape[:2]} but depth is {self.shape}; "
                    "resize the image to the depth map first"
                )
            colors = image[self.to_depth().valid]
        return write_ply(path, points, colors)
