"""`monocle bench --model NAME|PATH [--model ...] [--size HxW] [--backends ...] [--json FILE]`."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from monocle.cli.options import parse_size

# Synth scenes far from the seeds training recipes draw from.
TEST_SEED = 900_000


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "bench", help="latency, FPS, memory and accuracy under torch and onnxruntime"
    )
    parser.add_argument(
        "--model",
        action="append",
        required=True,
        help="model name or checkpoint path; repeat for several",
    )
    parser.add_argument(
        "--size",
        type=parse_size,
        default="480x640",
        help="HEIGHTxWIDTH of the camera frame; the network runs at the model's working size",
    )
    parser.add_argument(
        "--backends",
        default="torch_eager,torch_compile,ort_fp32,ort_int8",
        help="comma list of: torch_eager, torch_compile, ort_fp32, ort_fp16, ort_int8",
    )
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--calib", type=int, default=16, help="int8 synth calibration renders")
    parser.add_argument(
        "--test",
        type=int,
        default=16,
        help="synth indoor test images for delta1/AbsRel (0: skip accuracy)",
    )
    parser.add_argument("--json", default=None, help="also write the results here")
    parser.set_defaults(run=run)


def _checkpoint(name: str, folder: str) -> tuple[Path, bool]:
    """(checkpoint, trained?): random weights (speed only) for an architecture name without
    trained weights."""
    from monocle.checkpoint import save_checkpoint
    from monocle.infer import checkpoint_path
    from monocle.models import create_model, get_config, is_model

    if is_model(name) and not get_config(name).weights:
        return save_checkpoint(Path(folder) / name, create_model(name), model_name=name), False
    return checkpoint_path(name), True


def _bench_one(name: str, folder: str, size, backends, peak: float, args) -> dict:
    from monocle.export.benchmark import benchmark
    from monocle.synth import SyntheticDataset

    checkpoint, trained = _checkpoint(name, folder)
    if not trained:
        print(f"{name}: no trained weights, timing random weights (accuracy N/A)", file=sys.stderr)
    test_set = None
    if trained and args.test > 0:
        # Frames of the timed size, rendered once, not once per runtime.
        test_set = list(SyntheticDataset("indoor", n=args.test, size=size, seed=TEST_SEED))
    result = benchmark(
        checkpoint,
        size=size,
        backends=backends,
        runs=args.runs,
        warmup=args.warmup,
        test_set=test_set,
        calib_samples=args.calib,
        peak_gflops=peak,
        progress=lambda message: print(message, file=sys.stderr),
    )
    result["name"] = name
    height, width = result["working_size"]
    print(
        f"\n{name} ({result['model']}): {size[0]}x{size[1]} frames, network at {height}x{width}, "
        f"{result['gflop']} GFLOP per frame"
    )
    print(f"{'backend':<14}{'ms':>9}{'FPS':>8}{'GFLOP/s':>9}{'MiB':>7}{'delta1':>8}{'AbsRel':>8}")
    for row in result["rows"]:
        if row["error"]:
            print(f"{row['backend']:<14} failed: {row['error']}")
            continue
        delta1, abs_rel = row.get("delta1"), row.get("abs_rel")
        print(
            f"{row['backend']:<14}{row['median_ms']:>9.1f}{row['fps']:>8.1f}"
            f"{row['gflops_per_s']:>9.1f}{row['model_rss_mib']:>7}"
            f"{'-' if delta1 is None else f'{delta1:.3f}':>8}"
            f"{'-' if abs_rel is None else f'{abs_rel:.3f}':>8}"
        )
    return result


def run(args: argparse.Namespace) -> int:
    from monocle.export.benchmark import cpu_peak_gflops, machine

    size = args.size
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    peak = cpu_peak_gflops()
    info = machine()
    print(f"{info['cpu']}, {info['torch_threads']} threads; float32 matmul peak {peak:.0f} GFLOP/s")
    with tempfile.TemporaryDirectory(prefix="monocle-bench-") as folder:
        results = [_bench_one(name, folder, size, backends, peak, args) for name in args.model]
    if args.json:
        Path(args.json).write_text(
            json.dumps({"machine": info, "peak_gflops": peak, "results": results}, indent=2)
        )
        print(f"wrote {args.json}")
    return 0
