"""Edge deployment figures for `default` and `fast` at 480x640, all in one run.

For each shipped model: median latency and FPS of the whole Predictor on one 480x640 uint8
frame (batch 1: resize to the model's working size, network, resize back) under torch eager,
torch.compile, onnxruntime fp32 and onnxruntime int8 (static QDQ, per-channel, calibrated on
monocle.synth renders), each in its own process with its peak memory; file size; achieved
GFLOP/s beside this CPU's float32 matmul peak measured in the same run; and delta1 / AbsRel of
every precision on 480x640 synth indoor test frames (metric, no alignment, the same Predictor).
Beside `fast`, the same run times a FastDepth-architecture network (MobileNet + NNConv5) whose
network runs at the full 480x640, as FastDepth is usually run (random weights: speed only).

Writes bench/results/edge.json, bench/results/edge.md and the table in docs/edge.md between its
markers.

Run: .venv/bin/python bench/edge.py [--runs 20] [--workdir DIR]
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
TEST_SEED = 900_000  # far from the training seeds
REFERENCE = "FastDepth at full resolution"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


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
        f"Speed: one {SIZE[0]}x{SIZE[1]} uint8 frame in, its depth at {SIZE[0]}x{SIZE[1]} out "
        "(the whole Predictor: resize to the network's working size, network, resize back), "
        f"batch 1, median of {meta['runs']} runs after {meta['warmup']} warm-up runs, each "
        "runtime in its own process. This CPU's float32 peak (2048x2048 matmul, same run): "
        f"{report['peak_gflops']:.0f} GFLOP/s. GFLOP counts the network's convolutions and "
        "matmuls (FlopCounterMode, 1 MAC = 2 FLOPs). Memory: peak RSS of the process minus its "
        "RSS before the model was loaded. Accuracy: the same Predictor on "
        f"{meta['test_images']} synth indoor test frames of {SIZE[0]}x{SIZE[1]}, metric depth, "
        "no alignment; torch.compile computes what eager computes, so it has no accuracy row "
        "of its own.",
        "",
        "| model | network at | runtime | ms | FPS | GFLOP/s (% of peak) | MiB | file MB | δ1 "
        "| AbsRel |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for result in report["results"]:
        network = "x".join(map(str, result["working_size"]))
        for row in result["rows"]:
            head = f"| {result['name']} | {network} | {row['backend']} |"
            if row["error"]:
                lines.append(f"{head} failed: {row['error']} |")
                continue
            d1, ar = row.get("delta1"), row.get("abs_rel")
            lines.append(
                f"{head} {row['median_ms']:.1f} | "
                f"{row['fps']:.1f} | {row['gflops_per_s']:.1f} ({row['percent_of_peak']:.0f}%) | "
                f"{row['model_rss_mib']} | {row['file_mb']} | "
                f"{'–' if d1 is None else f'{d1:.3f}'} | {'–' if ar is None else f'{ar:.3f}'} |"
            )
    lines.append("")
    lines.extend(
        f"- **{r['name']}**: {r['note']}; {r['gflop']} GFLOP per {SIZE[0]}x{SIZE[1]} frame "
        f"(network at {'x'.join(map(str, r['working_size']))})."
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


def verdicts(results: list[dict]) -> list[str]:
    """Where `fast` stands against the targets and against the FastDepth row."""
    by_name = {r["name"]: {row["backend"]: row for row in r["rows"]} for r in results}
    int8 = by_name["fast"].get("ort_int8", {})
    lines = []
    if int8.get("fps"):
        delta1 = int8.get("delta1")
        lines.append(
            f"fast, ORT int8, {SIZE[0]}x{SIZE[1]} frames: {int8['fps']:.1f} FPS against the 30 "
            f"FPS target ({'met' if int8['fps'] >= 30 else 'not met'}); δ1 "
            + ("not measured." if delta1 is None else f"{delta1:.3f} against the 0.85 target "
               f"({'met' if delta1 >= 0.85 else 'not met'}).")
        )  # fmt: skip
    reference = by_name[REFERENCE].get("ort_int8", {})
    if int8.get("fps") and reference.get("fps"):
        lines.append(
            f"fast is the FastDepth architecture trained to work at a lower resolution: with "
            f"ORT int8 it gives {int8['fps'] / reference['fps']:.1f}x the frame rate of the same "
            f"network run at the full {SIZE[0]}x{SIZE[1]}."
        )
    return lines


def main() -> None:
    from monocle.checkpoint import read_checkpoint_config, save_checkpoint
    from monocle.infer import checkpoint_path
    from monocle.models import create_model
    from monocle.synth import SyntheticDataset

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--test-samples", type=int, default=24)
    parser.add_argument("--calib", type=int, default=16)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--workdir", default="/tmp/monocle-edge-bench")
    parser.add_argument("--note", default="", help="a sentence on the conditions of the run")
    args = parser.parse_args()
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    info = machine()  # before the work, so its load average is the other processes'
    peak = cpu_peak_gflops()
    log(f"float32 matmul peak {peak:.0f} GFLOP/s")
    models = []
    for name in ("default", "fast"):
        checkpoint = checkpoint_path(name)  # a clear error when the weights are missing
        architecture = read_checkpoint_config(checkpoint)["model"]
        models.append((name, checkpoint, f"shipped `{name}` (`{architecture}`)"))
    torch.manual_seed(0)
    full_res = {"input_size": list(SIZE)}
    reference = save_checkpoint(
        workdir / "fastdepth_full_res",
        create_model("fastdepth", **full_res),
        model_name="fastdepth",
        overrides=full_res,
    )
    models.append((REFERENCE, reference, "FastDepth architecture, random weights (speed only)"))
    log(f"rendering {args.test_samples} synth indoor test frames at {SIZE[0]}x{SIZE[1]}")
    test_set = list(SyntheticDataset("indoor", n=args.test_samples, size=SIZE, seed=TEST_SEED))
    report_rows = []
    for name, checkpoint, note in models:
        result = benchmark(checkpoint, size=SIZE, backends=ALL_BACKENDS, runs=args.runs,
                           warmup=args.warmup, test_set=None if name == REFERENCE else test_set,
                           calib_samples=args.calib, peak_gflops=peak, workdir=workdir,
                           progress=log)  # fmt: skip
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
        "verdicts": verdicts(report_rows),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "edge.json").write_text(json.dumps(report, indent=2) + "\n")
    table = markdown(report)
    (RESULTS / "edge.md").write_text(f"# Edge deployment at {SIZE[0]}x{SIZE[1]}\n\n{table}")
    update_doc(DOC, "bench/edge.py", table)
    log("wrote bench/results/edge.json, bench/results/edge.md, docs/edge.md")


if __name__ == "__main__":
    main()
