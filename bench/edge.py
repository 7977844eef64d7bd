"""Edge deployment figures for `default` and `fast` at 480x640, all in one run.

For each model: median latency and FPS (batch 1, network alone on uint8 pixels) under torch
eager, torch.compile, onnxruntime fp32 and onnxruntime int8 (static QDQ, per-channel, calibrated
on monocle.synth renders), each in its own process with its peak memory; file size; achieved
GFLOP/s beside this CPU's float32 matmul peak measured in the same run; and delta1 / AbsRel of
every precision on a synth indoor test set (metric, no alignment, whole Predictor). A
FastDepth-architecture row (MobileNet + NNConv5) is measured beside `fast` at the same size.

The shipped `default` and `fast` models come from the training issue. Until they exist, this
script trains stand-ins briefly on synth indoor scenes (their architectures: `sanet_mbv2` for
default, `fastdepth` for fast; random-init encoders, as no ImageNet weights can be downloaded
here) and says so in every output; their accuracy is that of a ~2-minute CPU training run, not
of the shipped models.

Writes bench/results/edge.json, bench/results/edge.md and the table in docs/edge.md between its
markers.

Run: .venv/bin/python bench/edge.py [--train-minutes 2] [--runs 20] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

from _common import update_doc
from monocle.export.benchmark import (
    ALL_BACKENDS,
    accuracy_drop,
    benchmark,
    cpu_peak_gflops,
    machine,
)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DOC = ROOT / "docs" / "edge.md"
SIZE = (480, 640)
STAND_INS = {"default": "sanet_mbv2", "fast": "fastdepth"}
TRAIN_SIZE = (120, 160)  # small renders: more optimiser steps in the time budget
TEST_SEED = 900_000  # far from the training seeds


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def train_stand_in(architecture: str, data: Path, out: Path, minutes: float) -> Path:
    """Train ``architecture`` on the synth folder ``data`` for ``minutes``; its checkpoint."""
    from monocle.train import load_recipe, train

    spec = f"{{type: synth_folder, root: {data}, extras: []}}"
    size = f"[{TRAIN_SIZE[0]}, {TRAIN_SIZE[1]}]"
    recipe = load_recipe(None, [
        f"out_dir={out}", f"name={architecture}", f"model.name={architecture}",
        f"model.overrides={{input_size: {size}}}", f"data.train=[{{spec: {spec}}}]",
        "data.batch_size=8", "data.workers=0", "trainer.max_epochs=1000",
        "trainer.progress_bar=false", "trainer.checkpoint_every_n_steps=100000",
        "optim.lr=2e-3", "schedule.name=none", "losses=[{name: berhu}]",
    ])  # fmt: skip
    result = train(recipe, resume=False, max_time={"seconds": int(60 * minutes)})
    return result.last


def resolve(name: str, data: Path, workdir: Path, minutes: float) -> tuple[Path, str]:
    """The shipped model ``name``'s checkpoint if installed, else a briefly trained stand-in's
    (and a note saying which)."""
    from monocle.infer import checkpoint_path

    try:
        return checkpoint_path(name), f"shipped `{name}`"
    except ValueError:
        architecture = STAND_INS[name]
        log(f"{name}: not installed; training a {architecture} stand-in for {minutes} min")
        note = (
            f"stand-in: `{architecture}` trained {minutes:g} min on {TRAIN_SIZE[0]}x"
            f"{TRAIN_SIZE[1]} synth indoor (random-init encoder)"
        )
        return train_stand_in(architecture, data, workdir / "runs", minutes), note


def markdown(report: dict) -> str:
    meta = report["meta"]
    lines = [
        f"Measured by `bench/edge.py` on {meta['date']} on {meta['machine']['cpu']} "
        f"({meta['machine']['logical_cpus']} logical CPUs, torch {meta['machine']['torch']} with "
        f"{meta['machine']['torch_threads']} threads, onnxruntime "
        f"{meta['machine']['onnxruntime']}; 1-minute load average "
        f"{meta['machine'].get('load_average_1m', 'not recorded')} when the run started). "
        f"{meta['note']}",
        "",
        f"Speed: batch 1 at {SIZE[0]}x{SIZE[1]}, network alone on uint8 pixels, median of "
        f"{meta['runs']} runs after {meta['warmup']} warm-up runs, each runtime in its own "
        f"process. This CPU's float32 peak (2048x2048 matmul, same run): "
        f"{report['peak_gflops']:.0f} GFLOP/s. GFLOP counts convolutions/matmuls "
        "(FlopCounterMode, 1 MAC = 2 FLOPs). Memory: peak RSS of the process minus its RSS "
        "before the model was loaded. Accuracy: whole Predictor on "
        f"{meta['test_images']} synth indoor test images at each model's input size, metric "
        "depth, no alignment; torch.compile computes what eager computes, so it has no "
        "accuracy row of its own.",
        "",
        "| model | runtime | ms | FPS | GFLOP/s (% of peak) | MiB | file MB | δ1 | AbsRel |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for result in report["results"]:
        for row in result["rows"]:
            if row["error"]:
                lines.append(f"| {result['name']} | {row['backend']} | failed: {row['error']} |")
                continue
            d1, ar = row.get("delta1"), row.get("abs_rel")
            lines.append(
                f"| {result['name']} | {row['backend']} | {row['median_ms']:.1f} | "
                f"{row['fps']:.1f} | {row['gflops_per_s']:.1f} ({row['percent_of_peak']:.0f}%) | "
                f"{row['model_rss_mib']} | {row['file_mb']} | "
                f"{'–' if d1 is None else f'{d1:.3f}'} | {'–' if ar is None else f'{ar:.3f}'} |"
            )
    lines.append("")
    lines.extend(
        f"- **{r['name']}**: {r['note']}; {r['gflop']} GFLOP per {SIZE[0]}x{SIZE[1]} frame."
        for r in report["results"]
    )
    lines.append("")
    for result in report["results"]:
        drop = accuracy_drop(result["rows"])
        if drop is not None:
            lines.append(
                f"- {result['name']}: int8 changes δ1 by {-drop:+.2f} points against fp32 "
                "(negative: worse)."
            )
    lines.extend(f"- {line}" for line in report["verdicts"])
    return "\n".join(lines) + "\n"


def verdicts(results: list[dict], same_network: bool) -> list[str]:
    """Where `fast` stands against the targets and against the FastDepth row."""
    by_name = {r["name"]: {row["backend"]: row for row in r["rows"]} for r in results}
    fast, lines = by_name.get("fast", {}), []
    int8 = fast.get("ort_int8", {})
    if int8.get("fps"):
        lines.append(
            f"fast, ORT int8 at {SIZE[0]}x{SIZE[1]}: {int8['fps']:.1f} FPS against the 30 FPS "
            f"target: {'met' if int8['fps'] >= 30 else 'not met'}; δ1 "
            + (
                f"{int8['delta1']:.3f} against the 0.85 target: "
                f"{'met' if int8['delta1'] >= 0.85 else 'not met (stand-in weights)'}."
                if int8.get("delta1") is not None
                else "not measured."
            )
        )
    reference = by_name.get("fastdepth (reference)", {}).get("ort_int8", {})
    if int8.get("fps") and reference.get("fps"):
        ratio = int8["fps"] / reference["fps"]
        if same_network:
            lines.append(
                "fast's stand-in is the FastDepth architecture itself, so the two rows differ "
                f"only by run-to-run noise ({ratio:.2f}x); the comparison means something once "
                "the shipped fast exists."
            )
        else:
            lines.append(f"fast runs at {ratio:.2f}x the FastDepth-architecture int8 FPS.")
    return lines


def main() -> None:
    from monocle.checkpoint import read_checkpoint_config, save_checkpoint
    from monocle.models import create_model
    from monocle.synth import SyntheticDataset, write_dataset

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-minutes", type=float, default=2.0)
    parser.add_argument("--train-samples", type=int, default=160)
    parser.add_argument("--test-samples", type=int, default=24)
    parser.add_argument("--calib", type=int, default=16)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--workdir", default="/tmp/monocle-edge-bench")
    parser.add_argument(
        "--note", default="CPU shared with other jobs while measured; indicative only."
    )
    args = parser.parse_args()
    workdir = Path(args.workdir)
    data = workdir / "synth_train"
    log(f"rendering {args.train_samples} synth indoor training scenes into {data}")
    write_dataset(data, "indoor", args.train_samples, size=TRAIN_SIZE, seed=0)
    info = machine()  # before the work, so its load average is the other processes'
    peak = cpu_peak_gflops()
    log(f"float32 matmul peak {peak:.0f} GFLOP/s")
    models = [(name, *resolve(name, data, workdir, args.train_minutes))
              for name in ("default", "fast")]  # fmt: skip
    fast_architecture = read_checkpoint_config(models[-1][1])["model"]
    same_network = fast_architecture == "fastdepth"
    torch.manual_seed(0)
    reference = save_checkpoint(workdir / "fastdepth_random", create_model("fastdepth"),
                                model_name="fastdepth")  # fmt: skip
    models.append((
        "fastdepth (reference)",
        reference,
        ("same network as fast's stand-in" if same_network else "FastDepth architecture")
        + ", random weights (speed only)",
    ))  # fmt: skip
    report_rows = []
    for name, checkpoint, note in models:
        input_size = tuple(read_checkpoint_config(checkpoint)["pretrained_cfg"]["input_size"])
        test_set = None
        if "random weights" not in note:
            # Rendered once, not once per runtime.
            test_set = list(SyntheticDataset("indoor", n=args.test_samples, size=input_size,
                                             seed=TEST_SEED))  # fmt: skip
        result = benchmark(checkpoint, size=SIZE, backends=ALL_BACKENDS, runs=args.runs,
                           warmup=args.warmup, test_set=test_set, calib_samples=args.calib,
                           peak_gflops=peak, workdir=workdir, progress=log)  # fmt: skip
        result.update(name=name, note=note)
        report_rows.append(result)
        log(json.dumps(result))
    report = {
        "meta": {
            "date": time.strftime("%Y-%m-%d"),
            "machine": info,
            "size": list(SIZE),
            "runs": args.runs,
            "warmup": args.warmup,
            "calibration": f"{args.calib} synth indoor renders",
            "test_images": args.test_samples,
            "note": args.note,
        },
        "peak_gflops": round(peak, 1),
        "results": report_rows,
        "verdicts": verdicts(report_rows, same_network),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "edge.json").write_text(json.dumps(report, indent=2) + "\n")
    table = markdown(report)
    (RESULTS / "edge.md").write_text(f"# Edge deployment at {SIZE[0]}x{SIZE[1]}\n\n{table}")
    update_doc(DOC, "bench/edge.py", table)
    log("wrote bench/results/edge.json, bench/results/edge.md, docs/edge.md")


if __name__ == "__main__":
    main()
