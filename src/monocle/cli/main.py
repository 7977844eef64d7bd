"""The `monocle` command: one small module per subcommand, each thin over the library."""

from __future__ import annotations

import argparse
import importlib
import sys

import monocle

# Each module exposes register(subparsers), which adds its parser and sets `run` on it.
# Modules keep heavy imports inside run(), so `monocle --help` stays fast.
SUBCOMMANDS = (
    "info",
    "demo",
    "synth",
    "data",
    "train",
    "average",
    "eval",
    "predict",
    "bokeh",
    "photo3d",
    "export",
    "bench",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="monocle",
        description="Monocular depth estimation: depth from one image, and what it makes possible.",
    )
    parser.add_argument("--version", action="version", version=f"monocle {monocle.__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name in SUBCOMMANDS:
        importlib.import_module(f"monocle.cli.{name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 0
    try:
        return int(args.run(args) or 0)
    except (ValueError, FileNotFoundError, FileExistsError, NotADirectoryError) as err:
        # Errors a user can cause already name the thing and the fix; a traceback adds nothing.
        print(f"monocle: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("monocle: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
