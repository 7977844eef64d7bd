"""`monocle synth`: write a procedurally rendered dataset with exact ground truth to a folder."""

from __future__ import annotations

import argparse

from monocle.cli.options import parse_size

PRESET_NAMES = ("indoor", "outdoor", "portrait", "stereo", "video", "hardcase")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "synth",
        help="render a synthetic dataset (RGB, metric depth, normals, masks, K, pose)",
        description="Render N samples of a procedural scene preset into DIR in monocle's "
        "synthetic folder format (docs/synth.md). Re-running the same command resumes: samples "
        "already written are skipped.",
    )
    parser.add_argument("--preset", default="indoor", help=f"one of {', '.join(PRESET_NAMES)}")
    parser.add_argument("--n", type=int, default=1000, help="number of samples (default 1000)")
    parser.add_argument(
        "--size",
        type=parse_size,
        default=(240, 320),
        metavar="HxW",
        help="image size, height x width (default 240x320, max 2160x3840)",
    )
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder")
    parser.add_argument("--workers", type=int, default=1, help="parallel render processes")
    parser.add_argument("--seed", type=int, default=0, help="seed of sample 0 (sample i: seed+i)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from monocle.synth import write_dataset

    bars: list = []  # created on the first progress call, after the folder checks passed

    def progress(done: int, total: int) -> None:
        if not bars:
            bars.append(tqdm(total=total, unit="sample", desc=f"synth {args.preset}"))
        bars[0].update(done - bars[0].n)

    try:
        result = write_dataset(
            args.out,
            args.preset,
            args.n,
            args.size,
            seed=args.seed,
            workers=args.workers,
            progress=progress,
        )
    finally:
        for bar in bars:
            bar.close()
    print(
        f"wrote {len(result['written'])} samples, kept {result['skipped']} already there: "
        f"{result['directory']}"
    )
    return 0
