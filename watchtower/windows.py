"""Maintenance windows: when a container may be replaced.

A window is written as a start and a duration, ``Sat 02:00/4h`` (Saturdays
from 02:00 for four hours), ``Mon-Fri 22:30/90m`` or ``02:00/30m`` (every
day); several are separated by commas or semicolons. A ``TZ=Zone`` (or
``CRON_TZ=Zone``) prefix sets the zone of that window and of those after it
(``TZ=Europe/Berlin Sat 02:00/4h, Sun 03:00/1h``); a window without a zone
reads the clock of the zone it is given (the command line's ``TZ``).

A window is an interval of instants, ``[opening, opening + duration)``, one
per day it names. It is never a cron expression matched minute by minute
(``0 2-6 * * *`` would be open for one minute in each hour). The rules where
the clock changes:

- The start is a wall-clock time in the window's zone. A start that a
  daylight-saving change skips (02:30 on the night the clock goes from 02:00
  to 03:00) opens as late as the skipped hour moves it, at 03:30; a start
  that the clock shows twice (the night it goes back) opens the first time.
- The duration is elapsed time: ``02:00/4h`` is open for four hours on the
  nights the clock changes too, so it closes at 05:00 or 07:00 by the wall
  clock there.

So each occurrence opens exactly once and closes exactly once. The maths
here is pure: every function takes the moment it is asked about.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, timezone, tzinfo

from attrs import frozen

from ._text import GO_UNITS, DurationTooLongError, parse_duration, quoted
from .errors import ConfigurationError

__all__ = [
    "LONGEST",
    "Window",
    "describe_opening",
    "is_open",
    "next_opening",
    "parse_windows",
    "parse_zone",
]

LONGEST = timedelta(days=7)
"""How long a window may last at most, a week (a weekly window that long is always open)."""

_DAY = timedelta(days=1)
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_EVERY_DAY = frozenset(range(7))
_UNITS = {**GO_UNITS, "d": 86400.0}
_CLOCK = re.compile(r"([0-9]{1,2}):([0-9]{2})")


@frozen
class Window:
    """One maintenance window: a start on some days of the week, and how long it lasts.

    Attributes:
        start: The wall-clock time it opens, in :attr:`zone`.
        duration: How long it stays open, in elapsed time.
        days: The days of the week it opens on (0 is Monday, 6 Sunday).
        zone: The zone of :attr:`start`; ``None`` reads the zone of the
            moment it is asked about.
        text: The window as written, for a person.
    """

    start: time
    duration: timedelta
    days: frozenset[int] = _EVERY_DAY
    zone: tzinfo | None = None
    text: str = ""

    def opening_on(self, day: date, zone: tzinfo) -> datetime:
        """The instant it opens on ``day`` (whether or not it opens that day), in UTC.

        ``fold=0`` places a skipped wall time after the change (02:30 reads
        03:30) and a repeated one at its first occurrence. The instant is in
        UTC because arithmetic on datetimes of one zone is wall-clock
        arithmetic: a duration is added to it as elapsed time.
        """
        return datetime.combine(day, self.start, tzinfo=zone).astimezone(timezone.utc)

    def _zone(self, moment: datetime) -> tzinfo:
        return self.zone or moment.tzinfo or timezone.utc

    def _openings(self, moment: datetime, back: int, ahead: int) -> list[datetime]:
        """Its openings on the days from ``back`` days before ``moment``'s to ``ahead`` after."""
        zone = self._zone(moment)
        today = moment.astimezone(zone).date()
        days = (today + timedelta(days=n) for n in range(-back, ahead + 1))
        return [self.opening_on(day, zone) for day in days if day.weekday() in self.days]

    def occurrence(self, moment: datetime) -> tuple[datetime, datetime] | None:
        """The occurrence open at ``moment``, as ``(opens, closes)`` in UTC; ``None`` when closed.

        ``opens`` is included, ``closes`` is not.
        """
        back = self.duration.days + 2
        for opens in reversed(self._openings(moment, back, 1)):
            if opens <= moment < opens + self.duration:
                return opens, opens + self.duration
        return None

    def next_opening(self, moment: datetime) -> datetime:
        """The first time it opens strictly after ``moment``, in UTC."""
        return next(opens for opens in self._openings(moment, 1, 8) if opens > moment)

    def __str__(self) -> str:
        return self.text or _written(self)


def is_open(windows: Iterable[Window], moment: datetime) -> bool:
    """True when one of ``windows`` is open at ``moment``, or there are none."""
    windows = tuple(windows)
    return not windows or any(w.occurrence(moment) is not None for w in windows)


def next_opening(windows: Iterable[Window], moment: datetime) -> datetime | None:
    """The first time after ``moment`` that one of ``windows`` opens, in the zone of that
    window (of ``moment`` for a window without one); ``None`` without windows."""
    openings = [(w.next_opening(moment), w._zone(moment)) for w in windows]
    if not openings:
        return None
    when, zone = min(openings, key=lambda pair: pair[0])
    return when.astimezone(zone)


def describe_opening(when: datetime) -> str:
    """``Sat 2026-12-12 02:00 CET``: an opening, in its zone, for a person."""
    return f"{when:%a %Y-%m-%d %H:%M} {when.tzname() or 'UTC'}"


def parse_zone(name: str, *, what: str = "TZ") -> tzinfo:
    """The time zone called ``name`` (``Europe/Berlin``, ``UTC``; a leading ``:`` is ignored).

    Raises:
        ConfigurationError: There is no such zone, in one sentence naming ``what``.
    """
    import zoneinfo

    key = name.strip().removeprefix(":")
    try:
        return zoneinfo.ZoneInfo(key or "UTC")
    # OSError: a key that names a folder of the zone database (``America``)
    # or is longer than a file name may be.
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError) as error:
        raise ConfigurationError(f"{what}: {quoted(name)} is not a known time zone.") from error


def parse_windows(
    text: str, *, what: str = "--window", zone: tzinfo | None = None
) -> tuple[Window, ...]:
    """Read windows such as ``TZ=Europe/Berlin Sat 02:00/4h; Mon-Fri 22:00/30m``.

    Args:
        text: One or more windows, separated by commas or semicolons.
        what: The flag or label they come from, for the error's sentence.
        zone: The zone of windows without a ``TZ=`` prefix (``None``: the
            zone of the moment each is asked about).

    Raises:
        ConfigurationError: A window cannot be read, in one sentence naming
            ``what`` and the culprit.
    """
    items = [item.strip() for item in re.split(r"[,;]", text)]
    if not any(items):
        raise ConfigurationError(
            f"{what} is empty; write a window as a start and a duration, such as Sat 02:00/4h."
        )
    windows = []
    for item in items:
        if not item:
            continue  # "Sat 02:00/4h," reads as one window
        window = _window(item, what, zone)
        zone = window.zone
        windows.append(window)
    return tuple(windows)


def _window(item: str, what: str, zone: tzinfo | None) -> Window:
    text = " ".join(item.split())
    shown = quoted(text)
    words = item.split()
    if words and words[0].upper().startswith(("TZ=", "CRON_TZ=")):
        zone = parse_zone(words[0].partition("=")[2], what=f"{what} {shown}")
        words = words[1:]
    if not words or len(words) > 2:
        raise ConfigurationError(
            f"{what} {shown} is not a window; write a start and a duration, such as "
            "Sat 02:00/4h or 02:00/30m."
        )
    days = _days(words[0], what, shown) if len(words) == 2 else _EVERY_DAY
    clock, slash, length = words[-1].partition("/")
    if not slash:
        raise ConfigurationError(
            f"{what} {shown} has no duration; add one after a slash, such as 02:00/4h."
        )
    start = _start(clock, what, shown)
    try:
        duration = parse_duration(length, units=_UNITS, bare_unit="")
    except DurationTooLongError:
        duration = LONGEST + LONGEST
    except ValueError:
        raise ConfigurationError(
            f"{what} {shown}: {quoted(length)} is not a duration such as 4h, 30m, 1h30m or 2d."
        ) from None
    if duration < timedelta(minutes=1):
        raise ConfigurationError(f"{what} {shown} must last at least one minute.")
    if duration > LONGEST:
        raise ConfigurationError(f"{what} {shown} lasts longer than a week.")
    return Window(start, duration, days, zone, text)


def _start(clock: str, what: str, shown: str) -> time:
    match = _CLOCK.fullmatch(clock)
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        raise ConfigurationError(
            f"{what} {shown}: {quoted(clock)} is not a time of day such as 02:00 or 22:30."
        )
    return time(int(match[1]), int(match[2]))


def _day(name: str) -> int | None:
    lowered = name.lower()
    for names in (_DAYS, _FULL_DAYS):
        if lowered in names:
            return names.index(lowered)
    return None


def _days(text: str, what: str, shown: str) -> frozenset[int]:
    first, dash, last = text.partition("-")
    low, high = _day(first), _day(last) if dash else _day(first)
    if low is None or high is None:
        raise ConfigurationError(
            f"{what} {shown}: {quoted(text)} is not a day of the week (Mon to Sun) or a "
            "range of them (Mon-Fri)."
        )
    # Fri-Mon wraps round the weekend.
    return frozenset((low + n) % 7 for n in range((high - low) % 7 + 1))


def _written(window: Window) -> str:
    days = (
        "" if window.days == _EVERY_DAY else ",".join(_DAYS[d].title() for d in sorted(window.days))
    )
    minutes = int(window.duration.total_seconds()) // 60
    return f"{days} {window.start:%H:%M}/{minutes}m".strip()
