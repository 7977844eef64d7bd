"""`monocle demo`: the main job on its embedded default input (synthetic scenes)."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "demo", help="render scenes, predict depth, measure it, and write an HTML page"
    )
    parser.add_argument("--out", default="demo_out", help="output folder (default: demo_out)")
    parser.add_argument("--per-preset", type=int, default=2, help="test scenes per preset")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from monocle.demo import run_demo
    from monocle.metrics import format_table

    result = run_demo(args.out, per_preset=args.per_preset, progress=print)
    print(format_table(result.summary))
    print(f"wrote {result.page}")
    return 0
