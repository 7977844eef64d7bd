"""`monocle bench --model NAME|PATH [--model ...] [--size HxW] [--backends ...] [--json FILE]`."""

from __future__ import annotations

import argparse
import sys


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
    parser.add_argument("--size", default="480x640", help="HEIGHTxWIDTH of the timed input")
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


def _model(name: str):
    """A trained model, or random weights (speed only) for a registered name without any."""
    from monocle.infer import load_model
    from monocle.models import create_model, get_config, is_model

    if is_model(name) and not get_config(name).weights:
        return create_model(name), False
    return load_model(name), True


def run(args: argparse.Namespace) -> int:
    import json

    from monocle.export.benchmark import benchmark, cpu_peak_gflops, machine, parse_size
    from monocle.synth import SyntheticDataset

    size = parse_size(args.size)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    peak = cpu_peak_gflops()
    info = machine()
    print(f"{info['cpu']}, {info['torch_threads']} threads; float32 matmul peak {peak:.0f} GFLOP/s")
    results = []
    for name in args.model:
        model, trained = _model(name)
        if not trained:
            print(
                f"{name}: no trained weights, timing random weights (accuracy N/A)", file=sys.stderr
            )
        cfg = model.pretrained_cfg
        test_set = (
            SyntheticDataset("indoor", n=args.test, size=cfg.input_size, seed=900_000)
            if trained and args.test > 0
            else None
        )
        result = benchmark(
            model,
            size=size,
            backends=backends,
            runs=args.runs,
            warmup=args.warmup,
            test_set=test_set,
            calib_samples=args.calib,
            peak_gflops=peak,
            progress=lambda m: print(m, file=sys.stderr),
        )
        result["name"] = name
        results.append(result)
        print(f"\n{name} ({result['model']}, {result['gflop']} GFLOP at {size[0]}x{size[1]})")
        print(
            f"{'backend':<14}{'ms':>9}{'FPS':>8}{'GFLOP/s':>9}{'MiB':>7}{'delta1':>8}{'AbsRel':>8}"
        )
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
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": info, "peak_gflops": peak, "results": results}, f, indent=2)
        print(f"wrote {args.json}")
    return 0
