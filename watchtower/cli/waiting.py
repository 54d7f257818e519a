"""Containers waiting for a maintenance window or their own schedule, run when it comes.

Whatever found them stale outside their windows (a scheduled run, a push
event, ``/v1/update``), a run's report names when each one is next due
(:attr:`~watchtower.report.ContainerReport.next_due`): its window's opening,
or the next time of its own schedule (see :mod:`watchtower.timing`). The
:class:`WindowWaiter` keeps those times and, when one comes, runs those
containers (trigger ``window``): a push or an API request outside the window
is queued until it opens rather than lost until the next scheduled run, and
a container with its own schedule is checked and replaced at its times. A
later report about a container replaces what was noted for it: replaced,
fresh again or gone, it no longer waits.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone

from ..clock import Clock, system_clock
from ..report import Report

__all__ = ["WindowWaiter"]


class WindowWaiter:
    """Runs the containers that wait for a window or their schedule when it comes, until
    :meth:`stop`.

    Args:
        run: Runs the containers named (the runner's run, narrowed to them).
        clock: The current time.
        logger: Where what it does is logged.
        recheck: The longest it waits before reading the clock again: a
            wait is counted on the monotonic clock, so after a suspend or a
            change of the system's time it is the wall clock that says
            whether a window has opened.
    """

    def __init__(
        self,
        run: Callable[[Sequence[str]], object],
        *,
        clock: Clock = system_clock,
        logger: logging.Logger | None = None,
        recheck: timedelta = timedelta(minutes=1),
    ) -> None:
        self._run = run
        self._recheck = recheck.total_seconds()
        self._clock = clock
        self._logger = logger or logging.getLogger("watchtower")
        self._due: dict[str, datetime] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopped = threading.Event()

    @property
    def waiting(self) -> dict[str, datetime]:
        """The containers waiting, by name, with when their window opens."""
        with self._lock:
            return dict(self._due)

    def note(self, report: Report) -> None:
        """Remember when the containers ``report`` names are next due; forget those it says
        are not."""
        with self._lock:
            for entry in report.entries:
                if entry.next_due is not None:
                    self._due[entry.name] = entry.next_due
                else:
                    self._due.pop(entry.name, None)
        self._wake.set()

    def due(self, now: datetime) -> list[str]:
        """The containers whose window has opened by ``now``, forgotten as they are returned."""
        with self._lock:
            names = sorted(name for name, when in self._due.items() if _utc(when) <= _utc(now))
            for name in names:
                del self._due[name]
        return names

    def next_due(self) -> datetime | None:
        """When the earliest window of a waiting container opens; ``None`` when none waits."""
        with self._lock:
            return min(self._due.values(), key=_utc, default=None)

    def run(self) -> None:
        """Wait for each window and run its containers, until :meth:`stop` is called."""
        while not self._stopped.is_set():
            upcoming = self.next_due()
            wait = (
                None if upcoming is None else (_utc(upcoming) - _utc(self._clock())).total_seconds()
            )
            wait = self._recheck if wait is None else min(wait, self._recheck)
            if wait > 0:
                self._wake.wait(wait)
                self._wake.clear()
                continue
            names = self.due(self._clock())
            if names:
                self._logger.info(
                    "Due now (a window opened, or their own schedule came): %s", ", ".join(names)
                )
                self._run(names)

    def wake(self) -> None:
        """Read the clock again now (a clock that jumps, as a test's does)."""
        self._wake.set()

    def stop(self) -> None:
        """End :meth:`run` at once (a run already started goes on)."""
        self._stopped.set()
        self._wake.set()


def _utc(moment: datetime) -> datetime:
    # Datetimes of one zone subtract and compare by their wall clocks: use instants.
    return moment.astimezone(timezone.utc)
