"""Schedules: an interval or a cron expression, and the next time after a moment.

The maths is pure and takes the time as an argument, so it is tested with a
fixed clock. The command line's ``--schedule`` and a container's own
``schedule`` label are read here (:func:`parse_schedule`); croniter, which
reads cron expressions, is imported only when one is read or asked about.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone, tzinfo
from typing import TYPE_CHECKING, TypeVar

from attrs import frozen
from typing_extensions import Protocol

from ._text import DurationTooLongError, parse_duration, quoted
from .errors import ConfigurationError
from .windows import parse_zone

if TYPE_CHECKING:
    from croniter import croniter

__all__ = [
    "HORIZON",
    "Cron",
    "Interval",
    "Schedule",
    "in_words",
    "interval_schedule",
    "parse_schedule",
]

HORIZON = timedelta(days=3653)
"""The longest wait between two runs a schedule may have (ten years).

Beyond it a schedule is refused at start: it would never run in the life of
the process. Every leap day (29 February) is within it.
"""
_ZERO = timedelta(0)

_DESCRIPTORS = {
    "@yearly": "0 0 0 1 1 *",
    "@annually": "0 0 0 1 1 *",
    "@monthly": "0 0 0 1 * *",
    "@weekly": "0 0 0 * * 0",
    "@daily": "0 0 0 * * *",
    "@midnight": "0 0 0 * * *",
    "@hourly": "0 0 * * * *",
}


class Schedule(Protocol):
    """Anything that says when the next run after a moment is."""

    def next_after(self, moment: datetime) -> datetime:
        """The first run time strictly after ``moment``."""
        ...


@frozen
class Interval:
    """A run every ``period``, counted from the previous tick (Watchtower's ``@every``).

    Attributes:
        period: The time between two runs.
    """

    period: timedelta

    def next_after(self, moment: datetime) -> datetime:
        """``moment`` plus the period, on a whole second as Go's cron does.

        Raises:
            ConfigurationError: That time is beyond the year 9999.
        """
        try:
            return moment.replace(microsecond=0) + self.period
        except OverflowError:
            raise ConfigurationError(f"The schedule {self} reaches beyond the year 9999.") from None

    def __str__(self) -> str:
        return f"every {in_words(self.period)}"


@frozen
class Cron:
    """A cron expression with six fields (seconds first, as Watchtower) or five.

    Attributes:
        expression: The expression as given.
        fields: The six fields, seconds first.
        zone: The zone whose clock the fields read (``TZ``, or a ``CRON_TZ=``
            prefix); ``None`` reads them in the zone of the moment given.
    """

    expression: str
    fields: tuple[str, ...]
    zone: tzinfo | None = None

    def next_after(self, moment: datetime) -> datetime:
        """The first time after ``moment`` that every field matches, in :attr:`zone`.

        As robfig/cron: the fields read the zone's wall clock, a time that a
        daylight-saving change skips does not happen, and one it repeats
        happens twice.

        Raises:
            ConfigurationError: No time matches within :data:`HORIZON` of
                ``moment`` (``0 0 0 30 2 *``, 30 February).
        """
        from croniter import CroniterError, croniter

        zone = self.zone or moment.tzinfo or timezone.utc
        local = moment.astimezone(zone)
        # Where the clock is about to go back, a wall time just before now
        # comes again later: start the walk that far back.
        later = (moment + timedelta(hours=3)).astimezone(zone)
        back = max(timedelta(0), (local.utcoffset() or _ZERO) - (later.utcoffset() or _ZERO))
        # croniter reads a sixth field as seconds at the end unless told
        # the seconds come first, as they do in Watchtower's expressions.
        try:
            walls = croniter(
                " ".join(self.fields),
                local.replace(tzinfo=None) - back,
                second_at_beginning=True,
                max_years_between_matches=HORIZON.days // 365,
            )
            return _earliest(walls, moment, zone, back)
        except (CroniterError, ValueError, OverflowError) as error:
            raise ConfigurationError(
                f"The schedule {quoted(self.expression)} never fires: no date matches it."
            ) from error

    def __str__(self) -> str:
        return self.expression


def _instant(moment: datetime) -> datetime:
    # Aware datetimes in a repeated hour never compare equal across zones: compare in UTC.
    return moment.astimezone(timezone.utc)


def _earliest(walls: croniter, moment: datetime, zone: tzinfo, back: timedelta) -> datetime:
    """The earliest instant after ``moment`` among the wall times ``walls`` yields."""
    best: datetime | None = None
    while True:
        wall: datetime = walls.get_next(datetime)
        if best is not None and wall > best.replace(tzinfo=None) + back:
            return best
        for fold in (0, 1):
            when = wall.replace(tzinfo=zone, fold=fold)
            exists = when.astimezone(timezone.utc).astimezone(zone).replace(tzinfo=None) == wall
            later_than_now = _instant(when) > _instant(moment)
            if exists and later_than_now and (best is None or _instant(when) < _instant(best)):
                best = when


def parse_schedule(
    text: str, *, option: str = "--schedule", zone: tzinfo | None = None
) -> Interval | Cron:
    """Read a ``--schedule`` value: 6 fields (seconds first), 5 fields, ``@every 1h`` or
    a descriptor such as ``@daily``, as robfig/cron with the fork's options.

    A ``CRON_TZ=Zone`` or ``TZ=Zone`` prefix sets the zone of that
    expression; otherwise the fields read the clock of ``zone`` (the ``TZ``
    of the command line), or of the moment they are given when it is ``None``.

    Raises:
        ConfigurationError: The expression is malformed, in one sentence.
    """
    expression = text.strip().strip("\"'")
    if expression.startswith(("CRON_TZ=", "TZ=")):
        prefix, _, expression = expression.partition(" ")
        zone = parse_zone(prefix.partition("=")[2], what=f"{option} {text!r}")
        expression = expression.strip()
    lowered = expression.lower()
    if lowered.startswith("@every"):
        rest = expression[len("@every") :].strip()
        try:
            period = parse_duration(rest)
        except DurationTooLongError:
            raise ConfigurationError(
                f"{option} {quoted(text)} never fires: its period is longer than ten years."
            ) from None
        except ValueError:
            raise ConfigurationError(
                f"{option} {quoted(text)} has no duration after @every, such as @every 1h30m."
            ) from None
        if period <= timedelta(0):
            raise ConfigurationError(f"{option} {quoted(text)} must name a positive duration.")
        return _within_horizon(Interval(period), text, option)
    if lowered in _DESCRIPTORS:
        return Cron(expression, tuple(_DESCRIPTORS[lowered].split()), zone)
    if expression.startswith("@"):
        raise ConfigurationError(
            f"{option} {quoted(text)} is not a known descriptor; use @every <duration>, "
            "@hourly, @daily, @weekly, @monthly or @yearly."
        )
    fields = tuple(expression.split())
    if len(fields) == 5:
        fields = ("0", *fields)
    elif len(fields) != 6:
        raise ConfigurationError(
            f"{option} {quoted(text)} has {len(fields)} fields; a cron expression has 6 "
            "(seconds first, as Watchtower) or 5 (minutes first)."
        )
    for value, bounds in zip(fields, _BOUNDS, strict=True):
        problem = _field_problem(value, bounds)
        if problem:
            raise ConfigurationError(f"{option} {text!r}: {problem}.")
    # robfig reads "?" as "*" in every field.
    fields = tuple(value.replace("?", "*") for value in fields)
    from croniter import croniter

    if not croniter.is_valid(" ".join(fields), second_at_beginning=True):
        raise ConfigurationError(f"{option} {quoted(text)} is not a valid cron expression.")
    return _within_horizon(Cron(expression, fields, zone), text, option)


def interval_schedule(seconds: float, *, option: str = "--interval") -> Interval:
    """A run every ``seconds`` (Watchtower's ``--interval``).

    Raises:
        ConfigurationError: ``seconds`` is not positive, or longer than :data:`HORIZON`.
    """
    if not seconds >= 1:
        raise ConfigurationError(f"{option} must be a positive number of seconds, got {seconds}.")
    if seconds > HORIZON.total_seconds():
        raise ConfigurationError(
            f"{option} must be at most {HORIZON.total_seconds():.0f} seconds (ten years), "
            f"got {seconds}."
        )
    return Interval(timedelta(seconds=seconds))


_Checked = TypeVar("_Checked", Interval, Cron)


def _within_horizon(schedule: _Checked, text: str, option: str) -> _Checked:
    """``schedule``, once it is known to fire within :data:`HORIZON` of any moment.

    A cron expression has no year, so trying it from one moment tells: what
    does not match within ten years of it never matches.
    """
    start = datetime(2000, 1, 1, tzinfo=timezone.utc)
    try:
        gap = schedule.next_after(start) - start
    except ConfigurationError:
        gap = HORIZON + HORIZON
    if gap > HORIZON:
        raise ConfigurationError(
            f"{option} {quoted(text)} never fires: no time matches it within ten years."
        )
    return schedule


@frozen
class _Bounds:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()  # the names of low, low + 1, ...


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_BOUNDS = (
    _Bounds("second", 0, 59),
    _Bounds("minute", 0, 59),
    _Bounds("hour", 0, 23),
    _Bounds("day of month", 1, 31),
    _Bounds("month", 1, 12, _MONTHS),
    _Bounds("day of week", 0, 6, _DAYS),
)


def _field_problem(field: str, bounds: _Bounds) -> str:
    """What robfig/cron's parser refuses in one field, or empty: it reads ranges, steps, lists."""
    for part in field.split(","):
        span, *steps = part.split("/")
        if len(steps) > 1:
            return f"too many slashes in {part!r}"
        ends = span.split("-")
        if len(ends) > 2:
            return f"too many hyphens in {part!r}"
        if span in ("*", "?"):
            low, high = bounds.low, bounds.high
        else:
            numbers = [_number(end, bounds) for end in ends]
            if None in numbers:
                return f"{part!r} is not a number or name of the {bounds.name} field"
            low, high = numbers[0] or 0, numbers[-1] or 0
            if steps and len(ends) == 1:
                high = bounds.high  # "5/10": from 5 to the end, every 10
        if steps and (not _is_number(steps[0]) or int(steps[0]) == 0):
            return f"the step of {part!r} must be a positive number"
        if low < bounds.low:
            return f"the {bounds.name} range {part!r} begins below {bounds.low}"
        if high > bounds.high:
            return f"the {bounds.name} range {part!r} ends above {bounds.high}"
        if low > high:
            return f"the {bounds.name} range {part!r} begins after it ends"
    return ""


def _is_number(text: str) -> bool:
    # ASCII digits only: "²" and "①" are digits to str.isdigit but not to int().
    return text.isascii() and text.isdigit()


def _number(text: str, bounds: _Bounds) -> int | None:
    if _is_number(text):
        return int(text)
    lowered = text.lower()
    if lowered in bounds.names:
        return bounds.low + bounds.names.index(lowered)
    return None


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}" + ("" if count == 1 else "s")


def in_words(delta: timedelta) -> str:
    """A duration for a person, as Watchtower writes it: ``1 hour, 2 minutes, 3 seconds``.

    Zero parts are left out; under a second reads ``0 seconds``.
    """
    seconds = int(max(delta, timedelta(0)).total_seconds())
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    parts = [
        _plural(value, unit)
        for value, unit in (
            (days, "day"),
            (hours, "hour"),
            (minutes, "minute"),
            (seconds, "second"),
        )
        if value
    ]
    return ", ".join(parts) or "0 seconds"
