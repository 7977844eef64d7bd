"""TUM RGB-D sequences: ``rgb.txt`` / ``depth.txt`` lists associated by timestamp.

Layout (see docs/data.md)::

    SEQUENCE/rgb.txt        # "timestamp filename" lines, '#' comments
    SEQUENCE/depth.txt
    SEQUENCE/rgb/1305031102.175304.png
    SEQUENCE/depth/1305031102.160407.png   # uint16, metres = code / 5000, 0 invalid

``root`` is one sequence or a folder of sequences. Intrinsics come from the sequence name
(``freiburg1/2/3``: the published RGB calibration of that Kinect), otherwise the "ROS default"
(525, 525, 319.5, 239.5) that TUM documents for the registered depth. Depth is valid in
(1e-3, 10] metres.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np

from monocle.data.base import DatasetError, DepthDataset, Sample, load_file

# (fx, fy, cx, cy) published on the TUM RGB-D "file formats" page.
TUM_INTRINSICS = {
    "freiburg1": (517.3, 516.5, 318.6, 255.3),
    "freiburg2": (520.9, 521.0, 325.1, 249.7),
    "freiburg3": (535.4, 539.2, 320.1, 247.6),
    "default": (525.0, 525.0, 319.5, 239.5),
}


def tum_intrinsics(sequence_name: str) -> np.ndarray:
    """K for a TUM sequence from the ``freiburgN`` in its name (else the ROS default); (3, 3)."""
    match = re.search(r"freiburg([123])", sequence_name)
    fx, fy, cx, cy = TUM_INTRINSICS[f"freiburg{match.group(1)}" if match else "default"]
    return np.array([[fx, 0.0, cx], [0.0, fy, cy], [0.0, 0.0, 1.0]], dtype=np.float32)


def read_tum_list(path: str | os.PathLike[str]) -> list[tuple[float, str]]:
    """Parse a TUM ``rgb.txt``/``depth.txt``: ``[(timestamp, relative filename), ...]``."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(
            f"{path}: TUM list not found; a sequence has rgb.txt and depth.txt", path
        )
    entries = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split()
        try:
            entries.append((float(fields[0]), fields[1]))
        except (ValueError, IndexError):
            raise DatasetError(
                f"{path}:{number}: expected 'timestamp filename', got {line!r}", path
            ) from None
    return entries


def associate_timestamps(
    first: np.ndarray, second: np.ndarray, max_dt: float
) -> list[tuple[int, int]]:
    """Pair timestamps one-to-one, closest pairs first, as TUM's ``associate.py`` does.

    Candidate pairs closer than ``max_dt`` seconds are taken in order of increasing gap; each
    timestamp is used at most once.

    Returns:
        ``[(i, j), ...]`` indices into ``first`` and ``second``, sorted by ``first``.
    """
    first, second = np.asarray(first, dtype=np.float64), np.asarray(second, dtype=np.float64)
    order = np.argsort(second)
    sorted_second = second[order]
    candidates = []
    for i, stamp in enumerate(first):
        low = np.searchsorted(sorted_second, stamp - max_dt, side="left")
        high = np.searchsorted(sorted_second, stamp + max_dt, side="right")
        for k in range(low, high):
            gap = abs(stamp - sorted_second[k])
            if gap < max_dt:
                candidates.append((gap, i, int(order[k])))
    candidates.sort()
    used_first, used_second, pairs = set(), set(), []
    for _, i, j in candidates:
        if i not in used_first and j not in used_second:
            used_first.add(i)
            used_second.add(j)
            pairs.append((i, j))
    return sorted(pairs)


class TumDataset(DepthDataset):
    """TUM RGB-D: one sequence folder or a folder of them.

    Args:
        root: a sequence (holding rgb.txt and depth.txt) or a folder of sequences.
        max_dt: largest RGB/depth timestamp gap in seconds for a pair (TUM's default 0.02).
    """

    name = "tum"
    max_depth = 10.0

    def __init__(
        self,
        root: str | os.PathLike[str],
        max_dt: float = 0.02,
        transform: Callable | None = None,
    ) -> None:
        super().__init__(transform)
        self.root = Path(root)
        if not self.root.is_dir():
            raise DatasetError(f"{self.root}: TUM folder not found; check the path", self.root)
        if (self.root / "rgb.txt").is_file():
            sequences = [self.root]
        else:
            sequences = sorted(p.parent for p in self.root.glob("*/rgb.txt"))
        if not sequences:
            raise DatasetError(
                f"{self.root}: no TUM sequence found; expected rgb.txt and depth.txt in it or in "
                "its subfolders",
                self.root,
            )
        self.max_dt = float(max_dt)
        self.items: list[tuple[Path, Path, Path, float]] = []
        for sequence in sequences:
            rgb = read_tum_list(sequence / "rgb.txt")
            depth = read_tum_list(sequence / "depth.txt")
            pairs = associate_timestamps([s for s, _ in rgb], [s for s, _ in depth], self.max_dt)
            for i, j in pairs:
                self.items.append(
                    (sequence, sequence / rgb[i][1], sequence / depth[j][1], rgb[i][0])
                )
        if not self.items:
            raise DatasetError(
                f"{self.root}: no RGB/depth pairs within {self.max_dt} s; check rgb.txt and "
                "depth.txt, or raise max_dt",
                self.root,
            )

    def __len__(self) -> int:
        return len(self.items)

    def load_sample(self, index: int) -> Sample:
        from monocle.io import read_image, read_tum_depth

        sequence, rgb_path, depth_path, stamp = self.items[index]
        depth, valid = load_file(read_tum_depth, depth_path)
        return {
            "image": load_file(read_image, rgb_path),
            "depth": depth,
            "valid": valid,
            "K": tum_intrinsics(sequence.name),
            "id": f"{sequence.name}/{stamp:.6f}",
            "files": {"image": str(rgb_path), "depth": str(depth_path)},
        }
