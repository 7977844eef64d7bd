"""The shipped models on a real photograph with exact depth: Middlebury 2014 "Motorcycle".

monocle's models train on its synthetic scenes only. The one real photograph with metric
ground truth that installs without a dataset download is the Motorcycle scene of the
Middlebury 2014 stereo benchmark (Scharstein et al., GCPR 2014) that scikit-image ships,
down-sampled 4x, with its ground-truth disparity and the calibration in the docstring of
``skimage.data.stereo_motorcycle``: depth = baseline * f / (disparity + doffs). One photograph
is an anecdote, not a benchmark; it says whether what the models learned carries over to a
real camera at all.

Rows: each shipped model with the photo's K (metric) and with scale and shift fitted in
disparity (shape alone); beside them the trivial baseline a real photo must beat, the
ground-plane prior (disparity linear in the image row: lower is nearer), fitted the same way.

Needs scikit-image (``pip install -e .[bench]``); without it the script says so and exits.
Writes bench/results/real_photo.json and .md and the table in docs/models.md.

    python bench/real_photo.py [--model PATH_OR_NAME ...]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from _common import machine, update_doc
from monocle.depthmap import DepthMap
from monocle.evaluation import evaluate
from monocle.infer import load
from monocle.infer.loading import SHIPPED_MODELS, WEIGHTS_DIR

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DOC = ROOT / "docs" / "models.md"
# scikit-image's stereo_motorcycle docstring: calibration of its 4x down-sampled images.
FOCAL, CX, CY, DOFFS, BASELINE_M = 994.978, 311.193, 254.877, 31.086, 0.193001
ALIGNED = "scale_shift_disparity"
COLUMNS = ("abs_rel", "rmse", "delta1", "delta2", "silog_kitti")


def motorcycle() -> dict | None:
    """The photo as a dataset item (image (3,H,W) in [0,1], metric depth, valid, K), or None
    without scikit-image."""
    try:
        from skimage.data import stereo_motorcycle
    except ImportError:
        return None
    import torch

    left, _, disparity = stereo_motorcycle()
    valid = np.isfinite(disparity)
    depth = np.zeros(disparity.shape, np.float32)
    depth[valid] = BASELINE_M * FOCAL / (disparity[valid] + DOFFS)
    K = np.array([[FOCAL, 0, CX], [0, FOCAL, CY], [0, 0, 1]], np.float32)
    return {
        "image": torch.as_tensor(left).permute(2, 0, 1).float() / 255.0,
        "depth": torch.as_tensor(depth)[None],
        "valid": torch.as_tensor(valid)[None],
        "K": torch.as_tensor(K),
        "meta": {"id": "middlebury2014/motorcycle"},
    }


class GroundPlanePrior:
    """Disparity that grows linearly down the image, whatever it shows; only meaningful with
    a scale-and-shift alignment, which fits the slope and the horizon."""

    def infer(self, image, K=None) -> DepthMap:
        height, width = image.shape[-2:]
        rows = np.arange(1, height + 1, dtype=np.float32)[:, None].repeat(width, axis=1)
        return DepthMap(rows, kind="disparity", unit="", K=K)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", nargs="*", help="checkpoints or names (default: shipped)")
    args = parser.parse_args()
    item = motorcycle()
    if item is None:
        print("bench/real_photo.py: needs scikit-image (pip install -e .[bench]); skipped")
        return
    models = args.model or [
        m for m in SHIPPED_MODELS if (WEIGHTS_DIR / f"{m}.safetensors").is_file()
    ]
    runners = []
    for model in models:
        predictor = load(model, device="cpu")
        runners += [(model, predictor, "none"), (f"{model}, aligned", predictor, ALIGNED)]
    runners.append(("ground-plane prior, aligned", GroundPlanePrior(), ALIGNED))
    rows = []
    for label, runner, align in runners:
        summary = evaluate(runner, [item], protocol="synth", align=align).summary()
        rows.append({"model": label, **{c: summary[c] for c in COLUMNS}})
    info = machine()
    lines = ["| model | " + " | ".join(COLUMNS) + " |", "|" + "---|" * (len(COLUMNS) + 1)]
    lines += [
        f"| {r['model']} | " + " | ".join(f"{r[c]:.3f}" for c in COLUMNS) + " |" for r in rows
    ]
    table = (
        "Measured by `bench/real_photo.py` on Middlebury 2014 Motorcycle as scikit-image ships "
        f"it (741x500, depth {float(item['depth'][item['valid']].min()):.1f}-"
        f"{float(item['depth'][item['valid']].max()):.1f} m, the photo's K given). One real "
        "photograph: an anecdote, not a benchmark.\n\n" + "\n".join(lines) + "\n"
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "real_photo.json").write_text(json.dumps({"machine": info, "rows": rows}, indent=2))
    (RESULTS / "real_photo.md").write_text(table)
    if not args.model:
        update_doc(DOC, "bench/real_photo.py", table)
    print(table)


if __name__ == "__main__":
    main()
