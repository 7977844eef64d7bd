"""Depth for a 3D photo: planar depth on the image's own pixel grid, positive everywhere.

Depth comes from a :class:`~monocle.DepthMap`, an array, a depth file or a depth model.
Relative depth is handled in disparity, normalised as 3d-photo-inpainting does (methods.md §2):
disparity minus its minimum, rescaled so its maximum is 3, and depth = 1 / max(disparity, 0.05).
Metric depth keeps its metres, so a camera path in metres moves the camera the way the
synth engine does.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from monocle.depthmap import DepthMap

SHIH_MAX_DISPARITY = 3.0
SHIH_MIN_DISPARITY = 0.05
MIN_SIZE = 2


def check_image(image: np.ndarray) -> np.ndarray:
    """The (H, W, 3) uint8 picture, or a ValueError naming the size problem."""
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(
            f"photo3d needs a (H, W, 3) uint8 RGB image, got {image.dtype} {image.shape}; "
            "read it with monocle.read_image"
        )
    if min(image.shape[:2]) < MIN_SIZE:
        raise ValueError(
            f"photo3d needs an image of at least {MIN_SIZE}x{MIN_SIZE} pixels to build a mesh, "
            f"got {image.shape[0]}x{image.shape[1]}"
        )
    return image


def default_intrinsics(size: tuple[int, int]) -> np.ndarray:
    """K (3,3) float32 with f = max(H, W) and the principal point at the image centre.

    3d-photo-inpainting's choice for photos whose camera is unknown (methods.md §2).
    """
    height, width = size
    focal = float(max(height, width))
    return np.array(
        [[focal, 0, (width - 1) / 2], [0, focal, (height - 1) / 2], [0, 0, 1]], dtype=np.float32
    )


def as_depthmap(depth: DepthMap | np.ndarray | str | Path, kind: str = "metric") -> DepthMap:
    """``depth`` as a DepthMap; arrays are read as ``kind``, files as they record themselves."""
    if isinstance(depth, DepthMap):
        return depth
    if isinstance(depth, (str, Path)):
        path = Path(depth)
        if not path.exists():
            raise FileNotFoundError(f"depth file {path} does not exist")
        try:
            return DepthMap.load(path)
        except ValueError:
            return DepthMap.load(path, kind=kind)
    return DepthMap(np.asarray(depth, dtype=np.float32), kind=kind)


def _resized(depth: DepthMap, size: tuple[int, int]) -> DepthMap:
    """``depth`` on a grid of ``size``: only an aspect-preserving rescale is guessed."""
    (h, w), (height, width) = depth.shape, size
    if (h, w) == (height, width):
        return depth
    if abs(h / w - height / width) > 1.0 / min(h, w, height, width) + 1e-6:
        raise ValueError(
            f"the depth map is {h}x{w} but the image is {height}x{width} with another aspect "
            "ratio; pass the depth map of this image (or crop both the same way)"
        )
    # Resampled in disparity, which is affine on planes; invalid pixels must not blend in.
    disparity = depth.to_disparity() if depth.kind != "disparity" else depth
    values = cv2.resize(disparity.values, (width, height), interpolation=cv2.INTER_LINEAR)
    valid = cv2.resize(
        disparity.valid.astype(np.uint8), (width, height), interpolation=cv2.INTER_NEAREST
    )
    resized = DepthMap(values, kind="disparity", unit=disparity.unit, valid=valid.astype(bool))
    return resized.to_depth() if depth.kind != "disparity" else resized


def planar_depth(depth: DepthMap, size: tuple[int, int]) -> tuple[np.ndarray, bool]:
    """Depth (H, W) float32 > 0 everywhere on an image of ``size``, and whether it is metric.

    Invalid pixels (sky, holes) are put at the farthest valid depth: nothing in a 3D photo may
    lie behind the sky. Relative and disparity maps are normalised as methods.md §2 says.
    """
    depth = _resized(depth, size)
    if not depth.valid.any():
        raise ValueError(
            "the depth map has no valid pixel (all zero, negative or non-finite); "
            "check the depth file or the model"
        )
    metric = depth.kind == "metric" or (depth.kind == "disparity" and depth.unit == "1/m")
    if metric:
        values = depth.to_depth().values
        valid = depth.to_depth().valid
        far = values[valid].max()
        return np.where(valid, values, far).astype(np.float32), True
    disparity = depth.to_disparity()
    values = np.where(disparity.valid, disparity.values, np.nan)
    if depth.kind == "disparity":  # affine-invariant: the shift is unknown, so remove it
        values = values - np.nanmin(values)
    top = np.nanmax(values)
    scale = SHIH_MAX_DISPARITY / top if top > 0 else 1.0
    values = np.nan_to_num(values * scale, nan=0.0)
    return (1.0 / np.maximum(values, SHIH_MIN_DISPARITY)).astype(np.float32), False


def predict_depth(image: np.ndarray, model: str, K: np.ndarray | None = None) -> DepthMap:
    """Depth of ``image`` from the model ``model`` (a name or a checkpoint path)."""
    from monocle.infer import load

    try:
        predictor = load(model)
    except (ValueError, FileNotFoundError) as err:
        raise ValueError(
            f"photo3d cannot load the depth model {model!r}: {err}. Pass a depth map instead "
            "(--depth FILE on the command line, depth= in Python)"
        ) from None
    return predictor.infer(image, K=K)


def subject_mask(mask: np.ndarray | str | Path | None, size: tuple[int, int]) -> np.ndarray:
    """bool (H, W) subject mask from an array or an image file (white = subject); None -> empty.

    A mask of another size with the same aspect ratio is resized (nearest).
    """
    if mask is None:
        return np.zeros(size, dtype=bool)
    if isinstance(mask, (str, Path)):
        from monocle.io import read_image

        mask = read_image(mask)[..., 0] > 127
    mask = np.asarray(mask)
    if mask.ndim == 3:
        mask = mask[..., 0]
    if mask.ndim != 2:
        raise ValueError(f"the subject mask must be (H, W), got shape {mask.shape}")
    mask = mask > (127 if mask.dtype == np.uint8 else 0.5)
    if mask.shape != tuple(size):
        (h, w), (height, width) = mask.shape, size
        if abs(h / w - height / width) > 1.0 / min(h, w, height, width) + 1e-6:
            raise ValueError(
                f"the subject mask is {h}x{w} but the image is {height}x{width}; "
                "pass the mask of this image"
            )
        mask = cv2.resize(mask.astype(np.uint8), (width, height), interpolation=cv2.INTER_NEAREST)
    return mask.astype(bool)
