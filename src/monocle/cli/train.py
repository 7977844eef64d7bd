"""`monocle train --config configs/NAME.yaml [key=value ...]`."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "train", help="train a depth model from a YAML recipe (resumes an interrupted run)"
    )
    parser.add_argument("--config", required=True, help="recipe YAML, e.g. configs/default.yaml")
    parser.add_argument(
        "overrides", nargs="*", metavar="key=value", help="override recipe keys, e.g. optim.lr=3e-4"
    )
    parser.add_argument(
        "--fresh", action="store_true", help="ignore a saved run state and start from scratch"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from monocle.train import load_recipe, train

    recipe = load_recipe(args.config, args.overrides)
    result = train(recipe, resume=not args.fresh)
    print(f"run directory: {result.run_dir}")
    print(f"last checkpoint: {result.last}")
    if result.best:
        print(f"best checkpoint: {result.best}")
    return 0
