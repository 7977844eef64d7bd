"""`monocle eval --model NAME|PATH --data SPEC [--protocol P] [--align MODE] [--json FILE]`."""

from __future__ import annotations

import argparse

from monocle.cli.options import add_flip_option


def register(subparsers) -> None:
    parser = subparsers.add_parser("eval", help="standard depth metrics of a model on a dataset")
    parser.add_argument("--model", default="default", help="model name or checkpoint path")
    parser.add_argument("--data", required=True, help="dataset folder or spec (see docs/data.md)")
    parser.add_argument("--protocol", default="synth", help="nyu|kitti_garg|kitti_eigen|synth")
    parser.add_argument("--align", default="none", help="none | median | scale | scale_shift | "
                        "scale_shift_disparity")  # fmt: skip
    parser.add_argument("--split", default=None, help="dataset split, where the dataset has one")
    parser.add_argument("--max-samples", type=int, default=None)
    parser.add_argument("--json", default=None, help="write summary and per-image rows here")
    add_flip_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from monocle.data import build_dataset
    from monocle.evaluation import evaluate
    from monocle.infer import load
    from monocle.metrics import format_table

    predictor = load(args.model, flip=args.flip)
    dataset = build_dataset(args.data, split=args.split)
    accumulator = evaluate(
        predictor,
        dataset,
        protocol=args.protocol,
        align=args.align,
        max_samples=args.max_samples,
        progress=lambda it: tqdm(it, desc="eval", unit="img"),
    )
    print(format_table(accumulator.summary()))
    categories = {row.get("category") for row in accumulator.rows}
    if len(categories) > 1:
        print(format_table(accumulator.summary(group_by="category")))
    if args.json:
        accumulator.to_json(args.json, group_by="category" if len(categories) > 1 else None)
        print(f"wrote {args.json}")
    return 0
