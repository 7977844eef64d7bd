"""Exceptions raised by :mod:`monocle.io`; both are ``ValueError`` so callers can catch either."""

from __future__ import annotations


class ImageError(ValueError):
    """An image cannot be read or written; the message names the source and the fix."""


class DepthFileError(ValueError):
    """A depth file cannot be read or written; the message names the file and the fix."""
