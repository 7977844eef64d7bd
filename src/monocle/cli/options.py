"""Arguments shared by several subcommands (and the benchmark scripts)."""

from __future__ import annotations

import argparse


def parse_size(text: str) -> tuple[int, int]:
    """``"240x320"`` -> (240, 320) as (height, width); an argparse ``type=``."""
    height, sep, width = text.strip().lower().partition("x")
    try:
        size = (int(height), int(width))
    except ValueError:
        size = (0, 0)
    if not sep or min(size) <= 0:
        raise argparse.ArgumentTypeError(
            f"size {text!r} must be HEIGHTxWIDTH with positive integers, e.g. 240x320"
        )
    return size


def add_flip_option(parser: argparse.ArgumentParser) -> None:
    """``--flip``: test-time augmentation with the mirrored image (see ``Predictor``)."""
    parser.add_argument(
        "--flip",
        action="store_true",
        help="average with the prediction of the mirrored image (test-time augmentation; "
        "twice the compute)",
    )
