"""Size, compute and CPU speed of every registered model at 480x640, measured in one run.

For each model (default preset, random weights, eval mode, batch 1): parameters, FLOPs of one
forward pass counted with torch.utils.flop_counter.FlopCounterMode (which counts a
multiply-accumulate as 2 FLOPs; GMACs = GFLOPs / 2; it counts convolutions, matmuls and
attention, not element-wise ops), and torch CPU latency (median of a few runs after warm-up).
Writes bench/results/models.json, bench/results/models.md and the table in docs/models.md
between its bench markers.

Run: .venv/bin/python bench/models.py [--runs 5] [--pattern 'sanet_*']
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

from _common import update_doc
from monocle.models import create_model, list_models

HEIGHT, WIDTH = 480, 640
ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DOC = ROOT / "docs" / "models.md"


def measure(name: str, runs: int, warmup: int) -> dict:
    torch.manual_seed(0)
    model = create_model(name).eval()
    image = torch.rand(1, 3, HEIGHT, WIDTH)
    parameters = sum(p.numel() for p in model.parameters())
    with torch.inference_mode():
        counter = FlopCounterMode(display=False)
        with counter:
            model(image)
        for _ in range(warmup):
            model(image)
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            model(image)
            times.append(time.perf_counter() - start)
    flops = counter.get_total_flops()
    return {
        "model": name,
        "encoder": model.pretrained_cfg.encoder,
        "output_kind": model.pretrained_cfg.output_kind,
        "parameters": parameters,
        "fp32_mb": round(parameters * 4 / 2**20, 1),
        "gflops": round(flops / 1e9, 2),
        "gmacs": round(flops / 2e9, 2),
        "cpu_latency_ms_median": round(1000 * statistics.median(times), 1),
        "cpu_latency_ms_all": [round(1000 * t, 1) for t in times],
    }


def markdown(rows: list[dict], meta: dict) -> str:
    lines = [
        f"Measured by `bench/models.py` on {meta['date']}: batch 1, {HEIGHT}x{WIDTH}, random "
        f"weights, eval mode, torch {meta['torch']} on CPU ({meta['threads']} threads, "
        f"{meta['machine']}). {meta['note']}",
        "",
        "FLOPs from `torch.utils.flop_counter.FlopCounterMode` (1 multiply-accumulate = 2 FLOPs, "
        "so GMACs = GFLOPs / 2; element-wise ops not counted). Latency: median of "
        f"{meta['runs']} runs after {meta['warmup']} warm-up run(s).",
        "",
        "| model | encoder | params (M) | fp32 MB | GFLOPs | GMACs | CPU latency (ms) |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| `{row['model']}` | {row['encoder']} | {row['parameters'] / 1e6:.2f} | "
            f"{row['fp32_mb']} | {row['gflops']} | {row['gmacs']} | "
            f"{row['cpu_latency_ms_median']} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pattern", default="*", help="fnmatch pattern over model names")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument(
        "--note",
        default="CPU shared with other jobs while measured (2 cores); indicative only.",
    )
    args = parser.parse_args()
    rows = []
    for name in list_models(args.pattern):
        rows.append(measure(name, args.runs, args.warmup))
        print(json.dumps(rows[-1]), flush=True)
    meta = {
        "date": time.strftime("%Y-%m-%d"),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "machine": f"{platform.machine()}, {platform.processor() or 'unknown cpu'}",
        "runs": args.runs,
        "warmup": args.warmup,
        "input": [1, 3, HEIGHT, WIDTH],
        "note": args.note,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "models.json").write_text(json.dumps({"meta": meta, "models": rows}, indent=2))
    table = markdown(rows, meta)
    (RESULTS / "models.md").write_text(f"# Models at {HEIGHT}x{WIDTH}\n\n{table}")
    if args.pattern == "*":
        update_doc(DOC, "bench/models.py", table)


if __name__ == "__main__":
    main()
