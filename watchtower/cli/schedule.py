"""When runs happen: an interval or a cron expression, and the loop that keeps it.

The maths (:meth:`Schedule.next_after`, :func:`in_words`) is pure and takes
the time as an argument, so it is tested with a fixed clock. The
:class:`Scheduler` loop waits on an event, so a stop signal ends the wait at
once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import TypeVar

from attrs import frozen
from typing_extensions import Protocol

from .._text import parse_duration, quoted
from ..clock import Clock, system_clock
from ..errors import ConfigurationError

__all__ = [
    "HORIZON",
    "Cron",
    "Interval",
    "Schedule",
    "Scheduler",
    "describe_next",
    "in_words",
    "interval_schedule",
    "parse_schedule",
]

HORIZON = timedelta(days=3653)
"""The longest wait between two runs a schedule may have (ten years).

Beyond it a schedule is refused at start: it would never run in the life of
the process. Every leap day (29 February) is within it.
"""

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
    """

    expression: str
    fields: tuple[str, ...]

    def next_after(self, moment: datetime) -> datetime:
        """The first time after ``moment`` that every field matches, in ``moment``'s zone.

        Raises:
            ConfigurationError: No time matches within :data:`HORIZON` of
                ``moment`` (``0 0 0 30 2 *``, 30 February).
        """
        from croniter import CroniterError, croniter

        # croniter reads a sixth field as seconds at the end unless told
        # the seconds come first, as they do in Watchtower's expressions.
        spec = " ".join(self.fields)
        try:
            result: datetime = croniter(
                spec,
                moment,
                second_at_beginning=True,
                max_years_between_matches=HORIZON.days // 365,
            ).get_next(datetime)
        except (CroniterError, ValueError, OverflowError) as error:
            raise ConfigurationError(
                f"The schedule {quoted(self.expression)} never fires: no date matches it."
            ) from error
        return result

    def __str__(self) -> str:
        return self.expression


def parse_schedule(text: str, *, option: str = "--schedule") -> Interval | Cron:
    """Read a ``--schedule`` value: 6 fields (seconds first), 5 fields, ``@every 1h`` or
    a descriptor such as ``@daily``.

    Raises:
        ConfigurationError: The expression is malformed, in one sentence.
    """
    expression = text.strip().strip("\"'")
    lowered = expression.lower()
    if lowered.startswith("@every"):
        rest = expression[len("@every") :].strip()
        try:
            period = parse_duration(rest)
        except ValueError:
            raise ConfigurationError(
                f"{option} {quoted(text)} has no duration after @every, such as @every 1h30m."
            ) from None
        if period <= timedelta(0):
            raise ConfigurationError(f"{option} {quoted(text)} must name a positive duration.")
        return _within_horizon(Interval(period), text, option)
    if lowered in _DESCRIPTORS:
        return Cron(expression, tuple(_DESCRIPTORS[lowered].split()))
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
    from croniter import croniter

    if not croniter.is_valid(" ".join(fields), second_at_beginning=True):
        raise ConfigurationError(f"{option} {quoted(text)} is not a valid cron expression.")
    return _within_horizon(Cron(expression, fields), text, option)


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


def describe_next(when: datetime, now: datetime) -> str:
    """``2026-01-01 12:00:00 UTC, in 1 hour, 2 minutes``: the next run, in words."""
    zone = when.tzname() or "UTC"
    return f"{when:%Y-%m-%d %H:%M:%S} {zone}, in {in_words(when - now)}"


_log = logging.getLogger("watchtower")


class Scheduler:
    """Calls ``tick`` at each time of a schedule until :meth:`stop`.

    ``tick`` must not block for long: the runner starts the run on a thread
    of its own, so a tick that comes while a run is going can be skipped
    and counted, as Watchtower does.

    Args:
        schedule: When to tick.
        tick: Called at each scheduled time.
        clock: The current time (timezone-aware).
        on_next: Called with each next run time, for the log.
    """

    def __init__(
        self,
        schedule: Schedule,
        tick: Callable[[], object],
        *,
        clock: Clock = system_clock,
        on_next: Callable[[datetime], object] | None = None,
    ) -> None:
        self.schedule = schedule
        self.tick = tick
        self.clock = clock
        self.on_next = on_next
        self._stop = threading.Event()

    def next_run(self) -> datetime:
        """The next run time after now."""
        return self.schedule.next_after(self.clock())

    def run(self, first: datetime | None = None) -> None:
        """Tick on schedule until :meth:`stop` is called; returns then."""
        try:
            upcoming = first or self.next_run()
            while not self._stop.is_set():
                wait = (upcoming - self.clock()).total_seconds()
                if wait > 0 and self._stop.wait(wait):
                    break
                if self._stop.is_set():
                    break
                self.tick()
                upcoming = self.schedule.next_after(max(upcoming, self.clock()))
                if self.on_next is not None:
                    self.on_next(upcoming)
        except ConfigurationError as error:
            # Refused at start (HORIZON); should a schedule still run out, the
            # loop ends with one line instead of a traceback on its thread.
            _log.error("The schedule stops: %s", error)

    def stop(self) -> None:
        """End :meth:`run` at once (a run already started goes on)."""
        self._stop.set()
