"""`monocle demo`: the main job on its embedded default input (synthetic scenes)."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "demo", help="render scenes, predict depth, measure it, and write an HTML page"
    )
    parser.add_argument("--out", default="demo_out", help="output folder (default: demo_out)")
    parser.add_argument("--per-preset", type=int, default=2, help="test scenes per preset")
    parser.add_argument(
        "--model", default="default", help="model name or checkpoint (default: the shipped one)"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from monocle.demo import run_demo
    from monocle.infer import load
    from monocle.metrics import format_table

    try:
        predictor, name = load(args.model, device="cpu"), f"model {args.model}"
    except ValueError as err:
        if args.model != "default":
            raise
        # An installation without shipped weights still shows the whole pipeline.
        print(f"{err}\nusing the mean log-depth baseline instead")
        predictor, name = None, "mean log-depth baseline (no shipped model installed)"
    result = run_demo(
        args.out,
        predictor=predictor,
        predictor_name=name,
        per_preset=args.per_preset,
        progress=print,
    )
    print(format_table(result.summary))
    print(f"wrote {result.page}")
    return 0
