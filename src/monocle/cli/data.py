"""`monocle data check DIR|SPEC`: read a dataset the way training will and list what is wrong."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    parser = subparsers.add_parser("data", help="dataset tools (check a dataset before training)")
    commands = parser.add_subparsers(title="data commands", metavar="COMMAND")
    check = commands.add_parser(
        "check",
        help="check a dataset: sizes, depth scale, valid pixels, K, unreadable files",
        description="Check a dataset folder or spec (e.g. 'folder:DIR?depth_scale=0.001', "
        "'kitti:RAW?depth_root=ANN&split=val'; see docs/data.md). Exits 1 when it finds errors.",
    )
    check.add_argument("spec", metavar="DIR|SPEC", help="dataset folder, file or spec string")
    check.add_argument("--max-samples", type=int, default=None, metavar="N", help="check only N")
    check.add_argument("--split", default=None, help="split to check (for datasets with splits)")
    check.add_argument("--json", default=None, metavar="FILE", help="also write the report here")
    check.set_defaults(run=run)
    parser.set_defaults(run=lambda args: parser.print_help() or 0)


def run(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from monocle.data import check_dataset

    report = check_dataset(args.spec, max_samples=args.max_samples, split=args.split, progress=True)
    print(report.format())
    if args.json:
        path = Path(args.json)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report.to_dict(), indent=2) + "\n")
    return 0 if report.ok else 1
