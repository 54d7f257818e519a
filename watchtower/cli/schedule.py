"""When runs happen: the loop that keeps a schedule, and times in words.

The schedules themselves (an interval, a cron expression) and their maths
are the library's, :mod:`watchtower.schedules`, re-exported here. The
:class:`Scheduler` loop waits on an event, so a stop signal ends the wait at
once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from ..clock import Clock, system_clock
from ..errors import ConfigurationError
from ..schedules import (
    HORIZON,
    Cron,
    Interval,
    Schedule,
    in_words,
    interval_schedule,
    parse_schedule,
)
from ..windows import parse_zone

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
    "parse_zone",
]


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
        self._lock = threading.Lock()
        self._upcoming: datetime | None = None

    def next_run(self) -> datetime:
        """When the loop next ticks.

        The time :meth:`run` waits for, once it runs; before, the first time
        the schedule gives after now, which the loop then waits for (asked
        again, it is the same time: with an interval, not "now plus the
        interval" at each call).
        """
        with self._lock:
            if self._upcoming is None:
                self._upcoming = self.schedule.next_after(self.clock())
            return self._upcoming

    def _waiting_for(self, upcoming: datetime) -> datetime:
        with self._lock:
            self._upcoming = upcoming
        return upcoming

    def run(self, first: datetime | None = None) -> None:
        """Tick on schedule until :meth:`stop` is called; returns then."""
        try:
            upcoming = self._waiting_for(first or self.next_run())
            while not self._stop.is_set():
                wait = (upcoming - self.clock()).total_seconds()
                if wait > 0 and self._stop.wait(wait):
                    break
                if self._stop.is_set():
                    break
                self.tick()
                upcoming = self._waiting_for(self.schedule.next_after(max(upcoming, self.clock())))
                if self.on_next is not None:
                    self.on_next(upcoming)
        except ConfigurationError as error:
            # Refused at start (HORIZON); should a schedule still run out, the
            # loop ends with one line instead of a traceback on its thread.
            _log.error("The schedule stops: %s", error)

    def stop(self) -> None:
        """End :meth:`run` at once (a run already started goes on)."""
        self._stop.set()
