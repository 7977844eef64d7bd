"""Model-card numbers: a checkpoint beside the trivial baseline on held-out synthetic test sets.

Test scenes use seeds from 700000 on, which no recipe in configs/ trains on (training folders
use seeds from 0, validation 900000). Metric depth at 240x320, no alignment, protocol `synth`,
through the same `monocle.evaluation.evaluate` that `monocle eval` runs, which hands each test
image's K to the predictor (a canonical-camera model reads its metric scale from it). The
baseline predicts each pixel's mean log-depth over training renders (seeds 0..63 of each
preset). A "+ flip" row is the same checkpoint with test-time flip augmentation
(`monocle eval --flip`); an "aligned" row fits each prediction's scale and shift in disparity
to the ground truth first (`monocle eval --align scale_shift_disparity`), the way relative
models and photos from unknown cameras are scored, so it measures shape alone.

    python bench/model_card.py                      # every shipped model this installation has
    python bench/model_card.py --model runs/x/best.safetensors --name x
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from _common import machine, update_doc
from monocle.evaluation import MeanLogDepthBaseline, evaluate
from monocle.infer import load
from monocle.infer.loading import SHIPPED_MODELS, WEIGHTS_DIR
from monocle.synth import SyntheticDataset

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DOC = ROOT / "docs" / "models.md"
PRESETS = ("indoor", "outdoor", "portrait", "hardcase")
ALIGNED = "scale_shift_disparity"
COLUMNS = ("abs_rel", "rmse", "delta1", "delta2", "silog_kitti", "si_boundary_f1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="checkpoint path or shipped name (default: each shipped)")
    parser.add_argument("--name", help="name for the results files and the docs section")
    parser.add_argument("--n", type=int, default=96, help="test images per preset")
    args = parser.parse_args()
    if args.model:
        card(args.model, args.name or Path(args.model).stem, args.n)
        return
    for name in SHIPPED_MODELS:
        if (WEIGHTS_DIR / f"{name}.safetensors").is_file():
            card(name, name, args.n)
        else:
            print(f"{name}: not shipped in this installation, skipped")


def card(model: str, name: str, n: int) -> None:
    info = machine()
    predictor = load(model, device="cpu")
    flipped = load(model, device="cpu", flip=True)
    rows = []
    for preset in PRESETS:
        test = SyntheticDataset(preset, n=n, size=(240, 320), seed=700_000)
        baseline = MeanLogDepthBaseline.fit(SyntheticDataset(preset, n=64, size=(240, 320), seed=0))
        runners = (
            (name, predictor, "none"),
            (f"{name} + flip", flipped, "none"),
            (f"{name}, aligned", predictor, ALIGNED),
            ("mean log-depth baseline", baseline, "none"),
            ("mean log-depth baseline, aligned", baseline, ALIGNED),
        )
        for label, runner, align in runners:
            start = time.perf_counter()
            accumulator = evaluate(runner, test, protocol="synth", align=align)
            groups = {"all": accumulator.summary()}
            if preset == "hardcase" and align == "none" and runner is not flipped:
                groups.update(accumulator.summary(group_by="category"))
            for group, summary in groups.items():
                test_set = preset if group == "all" else f"hardcase/{group}"
                rows.append({"set": test_set, "model": label, **{c: summary[c] for c in COLUMNS},
                             "n_images": summary["n_images"],
                             "seconds": round(time.perf_counter() - start, 1)})  # fmt: skip

    header = "| test set | model | " + " | ".join(COLUMNS) + " | images |"
    lines = [header, "|" + "---|" * (len(COLUMNS) + 3)]
    for row in rows:
        values = " | ".join(f"{row[c]:.3f}" for c in COLUMNS)
        lines.append(f"| {row['set']} | {row['model']} | {values} | {row['n_images']} |")
    table = (
        f"Measured by `bench/model_card.py --model {model}` on {info['cpu']} "
        f"({info['logical_cpus']} CPUs, load average {info['load_average_1m']} at the start). "
        "Metric depth at 240x320, no alignment except in the aligned rows, means over images."
        "\n\n" + "\n".join(lines) + "\n"
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"model_card_{name}.json").write_text(
        json.dumps({"machine": info, "model": model, "rows": rows}, indent=2)
    )
    (RESULTS / f"model_card_{name}.md").write_text(table)
    if name in SHIPPED_MODELS:
        update_doc(DOC, f"bench/model_card.py {name}", table)
    print(table)


if __name__ == "__main__":
    main()
