"""`monocle info`: what this installation has."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    parser = subparsers.add_parser("info", help="version, torch, devices, models and presets")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from monocle.info import describe

    for key, value in describe().items():
        print(f"{key:<12} {value}")
    return 0
