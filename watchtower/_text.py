"""Small values read from text, in one place: booleans, durations, log levels and JSON.

Labels, flags, environment variables, schedules and notification settings
all spell these the same way, so each rule is written once, here. The
functions raise :class:`ValueError` whose text ends a sentence that begins
with the value's source (``--stop-timeout expects ...``): the caller knows
that source and raises a :class:`~watchtower.errors.ConfigurationError`.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Mapping
from datetime import timedelta
from types import MappingProxyType
from typing import Any

__all__ = [
    "GO_UNITS",
    "LOG_LEVELS",
    "LONG_UNITS",
    "QUOTE_LIMIT",
    "TRACE",
    "DurationTooLongError",
    "go_duration",
    "level_name",
    "load_json",
    "parse_bool",
    "parse_duration",
    "quoted",
]

QUOTE_LIMIT = 512
"""The most characters of a value :func:`quoted` shows."""


def quoted(text: str, limit: int = QUOTE_LIMIT) -> str:
    """``text`` quoted for a message, shortened when it is too long to read.

    Outside input can be megabytes long; a message names it, it does not repeat it.
    """
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}... ({len(text)} characters)"


_TRUE = frozenset({"1", "t", "true", "y", "yes", "on"})
_FALSE = frozenset({"0", "f", "false", "n", "no", "off"})


def parse_bool(text: str) -> bool:
    """Go's ``strconv.ParseBool``, case-insensitive, plus yes/no/on/off.

    Raises:
        ValueError: ``text`` is not a boolean.
    """
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{quoted(text)} is not true or false")


GO_UNITS: Mapping[str, float] = MappingProxyType(
    {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
)
"""Go's duration units, in seconds."""

LONG_UNITS: Mapping[str, float] = MappingProxyType(
    {**GO_UNITS, "d": 86400.0, "w": 7 * 86400.0, "M": 30 * 86400.0}
)
"""Go's units plus days, weeks and months of 30 days, as cooldowns are written."""


class DurationTooLongError(ValueError):
    """A well-formed duration beyond what :class:`~datetime.timedelta` holds."""


_NUMBER = re.compile(r"\d+(?:\.\d*)?|\.\d+", re.ASCII)
# timedelta's own bound, with a margin for float rounding.
_MAX_SECONDS = timedelta.max.total_seconds() - 86400.0
_MAX_DAYS = timedelta.max.days - 1


def parse_duration(
    text: str, *, units: Mapping[str, float] = GO_UNITS, bare_unit: str = "s"
) -> timedelta:
    """Parse a duration written as Go writes them: ``90s``, ``1h30m``, ``500ms``.

    A bare number counts in ``bare_unit``. Only ASCII digits count; the
    value must be finite, not negative and within :class:`~datetime.timedelta`'s
    range.

    Raises:
        ValueError: ``text`` is not such a duration, or is too large.
    """
    raw = text.strip()
    if _NUMBER.fullmatch(raw):
        raw += bare_unit
    total, pos = 0.0, 0
    # Longest unit first so that "ms" is not read as "m" followed by "s".
    by_length = sorted(units, key=len, reverse=True)
    while pos < len(raw):
        number = _NUMBER.match(raw, pos)
        if number is None:
            break
        unit = next((u for u in by_length if raw.startswith(u, number.end())), None)
        if unit is None:
            break
        total += float(number.group()) * units[unit]
        pos = number.end() + len(unit)
    if not raw or pos != len(raw):
        examples = "30s, 5m or 1h30m" if "d" not in units else "24h, 3d, 1w or 1M"
        raise ValueError(f"expects a duration such as {examples}, got {quoted(text)}")
    if not math.isfinite(total) or total > _MAX_SECONDS:
        raise DurationTooLongError(
            f"expects a duration shorter than {_MAX_DAYS} days, got {quoted(text)}"
        )
    return timedelta(seconds=total)


TRACE = 5
"""The :mod:`logging` level of Watchtower's ``trace``, below ``debug``."""

LOG_LEVELS: Mapping[str, int] = MappingProxyType(
    {
        "panic": logging.CRITICAL,
        "fatal": logging.CRITICAL,
        "error": logging.ERROR,
        "warn": logging.WARNING,
        "warning": logging.WARNING,
        "info": logging.INFO,
        "debug": logging.DEBUG,
        "trace": TRACE,
    }
)
"""Watchtower's level names and the :mod:`logging` level each stands for."""


def go_duration(value: timedelta) -> str:
    """``value`` as Go's ``Duration.String`` writes it: ``1h2m3s``, ``1.5s``, ``0s``.

    As Watchtower shows durations in its logs and help.
    """
    micro = round(value.total_seconds() * 1_000_000)
    if micro == 0:
        return "0s"
    sign, micro = ("-" if micro < 0 else ""), abs(micro)
    if micro < 1_000_000:
        return f"{sign}{micro / 1000:g}ms" if micro >= 1000 else f"{sign}{micro}µs"
    hours, rest = divmod(micro, 3_600_000_000)
    minutes, rest = divmod(rest, 60_000_000)
    seconds = f"{rest / 1_000_000:.6f}".rstrip("0").rstrip(".")
    text = (f"{hours}h" if hours else "") + (f"{minutes}m" if hours or minutes else "")
    return f"{sign}{text}{seconds}s"


def level_name(levelno: int) -> str:
    """Watchtower's name for a :mod:`logging` level (``warning``, not ``warn``)."""
    for name, floor in (
        ("fatal", logging.CRITICAL),
        ("error", logging.ERROR),
        ("warning", logging.WARNING),
        ("info", logging.INFO),
        ("debug", logging.DEBUG),
    ):
        if levelno >= floor:
            return name
    return "trace"


def load_json(text: str | bytes) -> Any:
    """Parse JSON from outside (a server's answer, a file, a helper's output).

    Raises:
        ValueError: ``text`` is not JSON, or is nested too deeply for the
            parser (which would otherwise raise :class:`RecursionError`).
    """
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
