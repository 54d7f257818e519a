"""Closed sets of words that read as plain strings: the base of the enums of events and reports."""

from __future__ import annotations

import enum
from typing import TypeVar

from ._text import QUOTE_LIMIT, quoted
from .errors import ConfigurationError

__all__ = ["Word", "word"]


class Word(str, enum.Enum):
    """A ``str`` enum whose members read as their values everywhere.

    ``str()``, ``format()``, f-strings, ``%s``, JSON and ``==`` all give the
    plain string (``stale``, not ``Status.STALE``), as ``enum.StrEnum`` does
    from Python 3.11 on, so logs and templates read as they did when these
    fields were plain strings.
    """

    def __str__(self) -> str:
        return str.__str__(self)

    def __format__(self, spec: str) -> str:
        return str.__format__(str.__str__(self), spec)


W = TypeVar("W", bound=Word)


def word(kind: type[W], value: str, field: str) -> W:
    """The member of ``kind`` whose value is ``value``, for an attrs converter.

    Raises:
        ConfigurationError: ``value`` is no member's value; the sentence
            names ``field``, the value and the words it can be.
    """
    if isinstance(value, kind):
        return value
    try:
        return kind(value)
    except (ValueError, TypeError):
        *first, last = [member.value for member in kind]
        choices = f"{', '.join(first)} or {last}" if first else last
        shown = quoted(value) if isinstance(value, str) else repr(value)[:QUOTE_LIMIT]
        raise ConfigurationError(f"{field} cannot be {shown}: it is one of {choices}.") from None
