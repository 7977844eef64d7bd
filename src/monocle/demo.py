"""The demo job behind `make demo`: render scenes, predict, measure, and write one HTML page.

Until monocle ships a trained model, the prediction comes from the trivial baseline every depth
paper should beat: each pixel's mean log-depth over training renders. The page shows the input,
the prediction, the ground truth and the error, with the standard metrics, and proves on the way
that depth files round-trip losslessly.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from monocle.depthmap import DepthMap
from monocle.evaluation import MeanLogDepthBaseline
from monocle.io import write_image
from monocle.metrics import MetricAccumulator, get_protocol

DEMO_PRESETS = ("indoor", "outdoor", "portrait")
_METRIC_COLUMNS = ("abs_rel", "rmse", "delta1", "silog_kitti", "si_boundary_f1")


@dataclass
class DemoResult:
    page: Path
    summary: dict
    rows: list[dict] = field(default_factory=list)
    photo3d: dict[str, str] | None = None


def _image_name(scene: str, label: str) -> str:
    return f"{scene}_{re.sub(r'[^A-Za-z0-9]+', '_', label).strip('_')}.png"


def _bokeh(rgb: np.ndarray, depth: DepthMap, semantic: np.ndarray) -> np.ndarray:
    """An 85 mm f/1.4 portrait look, focused on the person's head when there is one."""
    from monocle.apps.bokeh import render
    from monocle.synth import CLASSES

    rows, cols = np.nonzero(semantic == CLASSES["person"])
    if rows.size:
        head = rows <= np.percentile(rows, 15)
        focus = (float(np.median(cols[head])), float(np.median(rows[head])))
    else:
        focus = ((rgb.shape[1] - 1) / 2, (rgb.shape[0] - 1) / 2)
    return render(rgb, depth, focus, fnumber=1.4, focal_length=85)


def _photo3d(out: Path, sample: dict, pred: DepthMap) -> dict[str, str]:
    """A circling 3D photo of one scene from the predicted depth: GIF and the HTML viewer."""
    from monocle.apps.photo3d import make_photo3d, write_photo3d

    photo = make_photo3d(sample["rgb"], pred, K=sample["K"], frames=48, fps=16)
    written = write_photo3d(photo, out / "photo3d", outputs=("gif", "html"))
    return {kind: Path(path).relative_to(out).as_posix() for kind, path in written["files"].items()}


def _error_map(pred: DepthMap, gt: DepthMap) -> np.ndarray:
    both = pred.valid & gt.valid
    rel = np.zeros(gt.shape, np.float32)
    rel[both] = np.abs(pred.values[both] - gt.values[both]) / gt.values[both]
    return DepthMap(rel, kind="disparity", valid=both).colorize("inferno", (0.0, 0.5))


def run_demo(
    out_dir: str | Path,
    *,
    predictor=None,
    predictor_name: str = "mean log-depth baseline",
    presets: Sequence[str] = DEMO_PRESETS,
    per_preset: int = 2,
    size: tuple[int, int] = (240, 320),
    seed: int = 10_000,
    progress: Callable[[str], None] | None = None,
) -> DemoResult:
    """Render ``per_preset`` test scenes per preset, predict, evaluate and write ``index.html``.

    ``predictor``: anything with ``infer(image, K) -> DepthMap``, e.g. a monocle Predictor.
    Test scenes use seeds from ``seed`` on; the baseline (when no ``predictor`` is given) is fitted
    on seeds below it, so no test scene is seen in fitting.
    """
    from monocle.synth import render_sample

    out = Path(out_dir)
    (out / "images").mkdir(parents=True, exist_ok=True)
    say = progress or (lambda _message: None)
    accumulator = MetricAccumulator()
    protocol = get_protocol("synth")
    figures = []
    photo3d = None
    for preset in presets:
        model = predictor
        if model is None:
            say(f"fitting the baseline on {preset} training renders")
            model = MeanLogDepthBaseline.fit(
                [render_sample(preset, seed=s, size=size) for s in range(8)]
            )
        for i in range(per_preset):
            sample = render_sample(preset, seed=seed + i, size=size)
            name = f"{preset}_{i}"
            say(f"rendering and predicting {name}")
            gt = DepthMap(sample["depth"], kind="metric", valid=sample["valid"], K=sample["K"])
            pred = model.infer(sample["rgb"], K=sample["K"])
            # The ground truth goes through monocle's 16-bit PNG: what the page shows is what
            # a user gets back from disk.
            stored = DepthMap.load(gt.save(out / "images" / f"{name}_gt.png"))
            step = float(np.ptp(gt.values[gt.valid])) / 65534 if gt.valid.any() else 0.0
            roundtrip_error = float(np.abs(stored.values - gt.values).max())
            row = accumulator.add(
                pred.values,
                stored.values,
                protocol.mask(stored.values, stored.valid),
                id=name,
                category=preset,
                png16_max_error_m=roundtrip_error,
                png16_half_step_m=step / 2,
            )
            value_range = (float(gt.values[gt.valid].min()), float(gt.values[gt.valid].max()))
            images = {
                "input": sample["rgb"],
                "prediction": pred.colorize("turbo", value_range),
                "ground truth": stored.colorize("turbo", value_range),
                "relative error": _error_map(pred, stored),
                "bokeh 85mm f/1.4 (predicted depth)": _bokeh(
                    sample["rgb"], pred, sample["semantic"]
                ),
            }
            for label, picture in images.items():
                write_image(out / "images" / _image_name(name, label), picture)
            figures.append((name, images.keys(), row))
            if preset == "portrait" and photo3d is None:
                say(f"making a 3D photo of {name}")
                photo3d = _photo3d(out, sample, pred)
    summary = accumulator.summary(group_by="category")
    accumulator.to_json(out / "metrics.json", group_by="category")
    page = _write_page(out, predictor_name, figures, summary, size, photo3d)
    return DemoResult(page=page, summary=summary, rows=accumulator.rows, photo3d=photo3d)


def _write_page(
    out: Path, predictor_name: str, figures, summary: dict, size, photo3d: dict | None
) -> Path:
    def cell(value) -> str:
        return f"{value:.3f}" if isinstance(value, float) else html.escape(str(value))

    head = "".join(f"<th>{c}</th>" for c in ("scene", *_METRIC_COLUMNS))
    body = []
    for name, labels, row in figures:
        pictures = "".join(
            f"<figure><img src='images/{_image_name(name, label)}'>"
            f"<figcaption>{label}</figcaption></figure>"
            for label in labels
        )
        metrics = "".join(f"<td>{cell(row.get(c, float('nan')))}</td>" for c in _METRIC_COLUMNS)
        body.append(
            f"<h3>{name}</h3><div class='row'>{pictures}</div>"
            f"<table><tr>{head}</tr><tr><td>{name}</td>{metrics}</tr></table>"
        )
    if photo3d:
        body.append(
            "<h2>3D photo from the predicted depth</h2>"
            f"<img src='{photo3d['gif']}' style='width:480px'>"
            f"<p><a href='{photo3d['html']}'>Open the 3D viewer</a> (mouse, touch or gyroscope)</p>"
        )
    columns = ("n_images", *_METRIC_COLUMNS)
    summary_rows = "".join(
        f"<tr><td>{html.escape(group)}</td>"
        + "".join(f"<td>{cell(values.get(c, float('nan')))}</td>" for c in columns)
        + "</tr>"
        for group, values in summary.items()
    )
    table = (
        "<table><tr><th>preset</th>"
        + "".join(f"<th>{c}</th>" for c in columns)
        + f"</tr>{summary_rows}</table>"
    )
    page = out / "index.html"
    page.write_text(
        "<!doctype html><meta charset='utf-8'><title>monocle demo</title>"
        "<style>body{font-family:sans-serif;margin:2em}.row{display:flex;flex-wrap:wrap;gap:8px}"
        "figure{margin:0}img{width:256px}td,th{padding:2px 8px;text-align:right}</style>"
        f"<h1>monocle demo</h1><p>Prediction: <b>{html.escape(predictor_name)}</b>, "
        f"{size[0]}x{size[1]} synthetic scenes never seen in fitting. Metric depth, no alignment. "
        "Ground truth shown after a round trip through monocle's 16-bit PNG.</p>"
        f"<h2>Summary (mean over images, per preset)</h2>{table}"
        + "".join(body)
        + f"<script type='application/json' id='summary'>{json.dumps(summary)}</script>",
        encoding="utf-8",
    )
    return page
