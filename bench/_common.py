"""Shared by the benchmarks: what the numbers were measured on, and regenerating doc tables."""

from __future__ import annotations

from pathlib import Path

from monocle.export.benchmark import machine

__all__ = ["machine", "update_doc"]


def update_doc(doc: Path, script: str, table: str) -> None:
    """Replace the table between ``<!-- {script}:start -->`` and ``<!-- {script}:end -->``."""
    start, end = f"<!-- {script}:start -->", f"<!-- {script}:end -->"
    text = doc.read_text()
    if start not in text or end not in text:
        raise SystemExit(f"{doc} lacks the markers {start} / {end}; add them where the table goes")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    doc.write_text(f"{head}{start}\n{table}{end}{tail}")
