"""A flag's value checked (one of a set, a count, a span): a bad one is one sentence."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TypeVar

from ..errors import ConfigurationError
from ..params import MAX_ID

__all__ = ["a_span", "an_id", "choice", "positive"]

_Choice = TypeVar("_Choice", bound=str)


def choice(option: str, raw: str, allowed: Sequence[_Choice], *, lower: bool = True) -> _Choice:
    """The one of ``allowed`` that ``raw`` is (trimmed, and lowercased unless not ``lower``)."""
    value = raw.strip().lower() if lower else raw.strip()
    for allowed_value in allowed:
        if allowed_value == value:
            return allowed_value
    raise ConfigurationError(f"{option} {raw!r} is not one of {', '.join(allowed)}.")


def an_id(option: str, value: int) -> int:
    """A user or group id, or a count as large: from 0 to ``MAX_ID``."""
    if not 0 <= value <= MAX_ID:
        raise ConfigurationError(f"{option} must be from 0 to {MAX_ID}, got {value}.")
    return value


def positive(option: str, value: int) -> int:
    """A count of at least 1."""
    if value < 1:
        raise ConfigurationError(f"{option} must be at least 1, got {value}.")
    return value


def a_span(option: str, value: timedelta) -> timedelta:
    """A duration longer than 0."""
    if value <= timedelta(0):
        raise ConfigurationError(f"{option} must be a duration longer than 0, such as 30s or 2m.")
    return value
