"""The checker behind ``monocle data check``: read every sample, report what would hurt training.

:func:`check_dataset` loads each sample the way training does and returns a :class:`DataReport`
(counts, resolutions, depth statistics, valid and K coverage) with a list of problems, each
``(severity, file, message)``. ``report.ok`` is False when an error would break training:
unreadable files, image/depth size mismatches, no valid depth anywhere, or a depth scale that
cannot be metres.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from torch.utils.data import Dataset

from monocle.data.base import DatasetError, DepthDataset
from monocle.data.spec import Spec, build_dataset

# Median depths outside this range (metres) are not a real scene's: millimetres stored as metres
# give medians in the thousands, metres stored as kilometres or a wrong divisor fall below.
PLAUSIBLE_MEDIAN_M = (0.05, 100.0)
_VALUES_PER_SAMPLE = 20_000  # subsample per image for percentiles; min/max stay exact


@dataclass
class Problem:
    severity: str  # "error" | "warning"
    file: str  # "" when the problem is about the whole dataset
    message: str


@dataclass
class DataReport:
    """What :func:`check_dataset` found. Depth statistics are in metres over positive finite
    depths as decoded (before the dataset's valid range), so a wrong scale shows up."""

    spec: str
    dataset: str = ""
    samples: int = 0
    checked: int = 0  # samples attempted
    unreadable: int = 0  # of those, samples that failed to load (each listed as an error)
    resolutions: dict[str, int] = field(default_factory=dict)  # "WxH" -> count
    depth_min: float | None = None
    depth_max: float | None = None
    depth_percentiles: dict[str, float] = field(default_factory=dict)  # "p1", "p50", "p99"
    valid_fraction: float | None = None
    K_fraction: float | None = None  # samples whose K came from the data, not the default
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(problem.severity == "error" for problem in self.problems)

    def add(self, severity: str, file: object, message: str) -> None:
        self.problems.append(Problem(severity, "" if file is None else str(file), message))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (non-finite numbers become None)."""

        def clean(value: Any) -> Any:
            if isinstance(value, float) and not math.isfinite(value):
                return None
            if isinstance(value, dict):
                return {key: clean(item) for key, item in value.items()}
            if isinstance(value, list):
                return [clean(item) for item in value]
            return value

        return clean({**asdict(self), "ok": self.ok})

    def format(self) -> str:
        """A plain-text table for terminals."""

        def metres(value: float | None) -> str:
            return "-" if value is None else f"{value:.3g}"

        resolutions = ", ".join(f"{size}: {count}" for size, count in self.resolutions.items())
        percent = (
            "-" if self.valid_fraction is None else f"{100 * self.valid_fraction:.1f}% of pixels"
        )
        k_percent = "-" if self.K_fraction is None else f"{100 * self.K_fraction:.0f}% of samples"
        p = self.depth_percentiles
        errors = sum(problem.severity == "error" for problem in self.problems)
        rows = [
            ("dataset", f"{self.dataset} ({self.spec})"),
            ("samples", f"{self.samples} (checked {self.checked}, unreadable {self.unreadable})"),
            ("resolution", resolutions or "-"),
            (
                "depth (m)",
                f"min {metres(self.depth_min)}  p1 {metres(p.get('p1'))}  p50 "
                f"{metres(p.get('p50'))}  p99 {metres(p.get('p99'))}  max {metres(self.depth_max)}",
            ),
            ("valid", percent),
            ("K given", k_percent),
            ("problems", f"{errors} error(s), {len(self.problems) - errors} warning(s)"),
        ]
        lines = [f"{name:<11} {value}" for name, value in rows]
        for problem in self.problems:
            named = not problem.file or problem.message.startswith(problem.file)
            where = "" if named else f"{problem.file}: "
            lines.append(f"  {problem.severity.upper():<8} {where}{problem.message}")
        lines.append("OK" if self.ok else "FAILED: fix the errors above before training")
        return "\n".join(lines)


def _inspect_raw(raw: dict, report: DataReport) -> np.ndarray:
    """Warn about NaN/inf in the decoded depth; return its positive finite values."""
    depth = np.asarray(raw["depth"], dtype=np.float32)
    files = raw.get("files", {})
    where = files.get("depth", raw.get("id"))
    non_finite = int(np.count_nonzero(~np.isfinite(depth)))
    if non_finite:
        report.add("warning", where, f"{non_finite} NaN/inf depth values (treated as invalid)")
    with np.errstate(invalid="ignore"):
        return depth[np.isfinite(depth) & (depth > 0)]


def check_dataset(
    spec: Spec | DepthDataset,
    *,
    max_samples: int | None = None,
    split: str | None = None,
    progress: bool = False,
) -> DataReport:
    """Read a dataset sample by sample and report problems (never raises for bad data).

    Args:
        spec: a dataset spec (see :func:`monocle.data.build_dataset`) or a built dataset
            (a :class:`DepthDataset` is inspected before its range filter too; other datasets
            only through their contract items).
        max_samples: check only the first N samples.
        split: passed to :func:`build_dataset`.
        progress: show a tqdm progress bar.
    """
    report = DataReport(spec=str(getattr(spec, "name", spec)))
    if isinstance(spec, Dataset):
        dataset = spec
    else:
        try:
            dataset = build_dataset(spec, split=split)
        except DatasetError as err:
            report.add("error", err.path, str(err))
            return report
    report.dataset = getattr(dataset, "name", type(dataset).__name__)
    report.samples = len(dataset)
    count = len(dataset) if max_samples is None else min(len(dataset), int(max_samples))
    for image in getattr(dataset, "unpaired", [])[:1]:
        report.add(
            "warning", image, f"{len(dataset.unpaired)} images have no depth file and are left out"
        )

    resolutions: Counter[str] = Counter()
    positives: list[np.ndarray] = []
    low, high = math.inf, -math.inf
    valid_pixels = total_pixels = with_K = no_valid = 0
    metric = True
    indices = range(count)
    if progress:
        from tqdm import tqdm

        indices = tqdm(indices, desc=f"checking {dataset.name}", unit="sample")
    for index in indices:
        try:
            if isinstance(dataset, DepthDataset):
                raw = dataset.load_sample(index)
                values = _inspect_raw(raw, report)
                sample = dataset.to_contract(raw)
            else:  # e.g. the on-the-fly renderer: only its contract items can be seen
                sample = dataset[index]
                raw = {"id": sample["meta"]["id"]}
                values = sample["depth"][sample["valid"]].numpy()
        except DatasetError as err:
            report.add("error", err.path, str(err))
            report.unreadable += 1
            continue
        height, width = sample["image"].shape[-2:]
        resolutions[f"{width}x{height}"] += 1
        if values.size:
            low, high = min(low, float(values.min())), max(high, float(values.max()))
            positives.append(values[:: max(1, values.size // _VALUES_PER_SAMPLE)])
        valid = int(sample["valid"].sum())
        valid_pixels += valid
        total_pixels += height * width
        with_K += sample["meta"].get("K_source", "calib") != "default"
        metric &= sample["meta"].get("depth_kind", "metric") == "metric"
        if valid == 0:
            no_valid += 1
            where = raw.get("files", {}).get("depth", raw.get("id"))
            report.add("warning", where, "no valid depth pixel (all zero, NaN or out of range)")

    report.checked = count
    report.resolutions = dict(resolutions.most_common())
    readable = count - report.unreadable
    if readable == 0:
        if count:
            report.add("error", None, "no sample could be read")
        return report
    report.valid_fraction = valid_pixels / total_pixels
    report.K_fraction = with_K / readable
    if no_valid == readable:
        report.add("error", None, "no sample has any valid depth; check the depth files and scale")
    if with_K < readable:
        report.add(
            "warning",
            None,
            f"{readable - with_K} of {readable} samples have no K; a default "
            "f = max(H, W) is used (give K.json or per-image JSON for metric geometry)",
        )
    if positives:
        everything = np.concatenate(positives)
        p1, p50, p99 = np.percentile(everything, [1, 50, 99]).tolist()
        report.depth_min, report.depth_max = low, high
        report.depth_percentiles = {"p1": p1, "p50": p50, "p99": p99}
        if metric and p50 > PLAUSIBLE_MEDIAN_M[1]:
            report.add(
                "error",
                None,
                f"median depth is {p50:.4g} m, implausible for metres: likely millimetres "
                "stored as metres (for a folder dataset pass depth_scale=0.001, or write depth "
                "with unit='mm')",
            )
        elif metric and p50 < PLAUSIBLE_MEDIAN_M[0]:
            report.add(
                "error",
                None,
                f"median depth is {p50:.4g} m, implausibly small: likely a wrong scale "
                "(check depth_scale or the file's unit)",
            )
    return report
