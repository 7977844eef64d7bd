"""`monocle predict INPUT... --out DIR [--format png16,npy,color,ply] [--model NAME|PATH]`."""

from __future__ import annotations

import argparse
import sys

from monocle.cli.options import add_flip_option


def register(subparsers) -> None:
    parser = subparsers.add_parser("predict", help="depth for image files, folders or globs")
    parser.add_argument("inputs", nargs="+", help="image files, folders or glob patterns")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--model", default="default", help="model name or checkpoint path")
    parser.add_argument(
        "--format", default="png16,color", help="comma list: png16,npy,npz,pfm,tiff,exr,color,ply"
    )
    parser.add_argument("--device", default="auto", help="auto | cpu | cuda")
    parser.add_argument("--precision", default="fp32", help="fp32 | fp16 | bf16")
    add_flip_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from monocle.infer import load
    from monocle.predict import expand_inputs, parse_formats, predict_files

    formats = parse_formats(args.format)
    inputs = expand_inputs(args.inputs)
    predictor = load(args.model, device=args.device, precision=args.precision, flip=args.flip)
    report = predict_files(
        predictor, inputs, args.out, formats, progress=lambda it: tqdm(it, unit="img")
    )
    for path, reason in report.failed:
        print(f"skipped {path}: {reason}", file=sys.stderr)
    print(f"wrote {len(report.written)} files to {args.out}")
    return 1 if report.failed else 0
