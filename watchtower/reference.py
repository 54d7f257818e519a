"""Image reference parsing and normalisation, with Docker's rules."""

from __future__ import annotations

from .errors import InvalidReferenceError
from .model import ImageRef

__all__ = ["parse_reference"]


def parse_reference(text: str) -> ImageRef:
    """Parse and normalise an image reference (``nginx`` -> ``docker.io/library/nginx:latest``).

    Raises:
        InvalidReferenceError: ``text`` is not a valid reference; the message names it.
    """
    raise InvalidReferenceError(f"not implemented: {text!r}")
