"""`monocle average CHECKPOINT CHECKPOINT... --out PATH`: a uniform weight average."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "average",
        help="average the weights of checkpoints of one architecture (a model soup)",
    )
    parser.add_argument(
        "checkpoints", nargs="+", help="checkpoint paths (NAME, NAME.safetensors or NAME.json)"
    )
    parser.add_argument("--out", required=True, help="output checkpoint path")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from monocle.checkpoint import average_checkpoints

    path = average_checkpoints(args.checkpoints, args.out)
    print(f"wrote {path}: the mean of {len(args.checkpoints)} checkpoints")
    return 0
