"""When a container may be replaced: its maintenance windows and its own schedule.

A container without either may be replaced by any run. With windows
(:mod:`watchtower.windows`) it may be replaced while one is open. With its
own schedule (the ``schedule`` label, a cron expression) it is *due* at each
of the schedule's times: a run replaces it only within :data:`SLACK` after
one of them (and, with windows too, only at a time inside a window). Every
other run checks it and reports it; the daemon wakes at each of its times
(:attr:`Due.next`) to check and replace it then. So a container's own
schedule says when it is updated; the global schedule, when it is checked
besides.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

from attrs import frozen

from .errors import ConfigurationError
from .schedules import Cron
from .windows import Window, describe_opening, is_open, next_opening

__all__ = ["LOOKAHEAD", "SLACK", "Due", "due"]

SLACK = timedelta(minutes=5)
"""How long after a time of its own schedule a container is still due.

The run the daemon starts at that time plans a moment later (after a run in
progress, after listing the containers); a run that starts later than this
finds it waiting for its next time.
"""

LOOKAHEAD = 1000
"""How many openings of a container's windows are tried for a time of its schedule."""


@frozen
class Due:
    """Whether a container may be replaced now, and when it is next due.

    Attributes:
        reason: Why it may not be replaced now, in words; empty when it may.
        next: When it is next due: its window's opening, or its schedule's
            next time (inside its windows); ``None`` when nothing is to come
            or it may be replaced at any time.
    """

    reason: str = ""
    next: datetime | None = None

    def __bool__(self) -> bool:
        """True when it may be replaced now."""
        return not self.reason


def due(
    windows: Sequence[Window],
    schedule: Cron | None,
    now: datetime,
    *,
    unreadable: str = "",
) -> Due:
    """Whether a container with ``windows`` and its own ``schedule`` may be replaced at ``now``.

    Args:
        windows: Its maintenance windows; none means any time.
        schedule: Its own schedule, or ``None``.
        now: The time of the run's plan.
        unreadable: The label (``window`` or ``schedule``) that cannot be
            read, if one cannot: it may then not be replaced at all.
    """
    if unreadable:
        return Due(f"waits: its {unreadable} label cannot be read")
    if schedule is None:
        if is_open(windows, now):
            return Due()
        opens = next_opening(windows, now)
        assert opens is not None  # without windows it is always open
        return Due(f"waits for the window that opens {describe_opening(opens)}", opens)
    coming = _next_time(schedule, windows, now)
    try:
        last = schedule.next_after(now - SLACK)
    except ConfigurationError:  # it fires no more (past the year 9999)
        last = now + SLACK
    if _utc(last) <= _utc(now) and is_open(windows, now):
        return Due("", coming)
    if coming is None:
        return Due("waits: no time of its schedule falls in its windows")
    return Due(f"waits for its schedule, next at {describe_opening(coming)}", coming)


def _utc(moment: datetime) -> datetime:
    # Datetimes of one zone compare by their wall clocks: compare instants.
    return moment.astimezone(timezone.utc)


def _next_time(schedule: Cron, windows: Sequence[Window], now: datetime) -> datetime | None:
    """The first time of ``schedule`` after ``now`` at which one of ``windows`` is open."""
    moment = now
    try:
        for _ in range(LOOKAHEAD):
            when = schedule.next_after(moment)
            if is_open(windows, when):
                return when
            # Closed: go on from the next opening (a second before it, as the
            # schedule's times are whole seconds), not one time at a time.
            opens = next_opening(windows, when)
            assert opens is not None  # closed, so there are windows
            moment = max(when, opens - timedelta(seconds=1))
    except ConfigurationError:  # it fires no more (past the year 9999)
        pass
    return None
