"""The time a run reads: the :data:`Clock` type and the system's clock.

Nothing in the library reads the time on its own; every part that needs it
takes a clock, so that tests and replays can pass a fixed one
(:class:`watchtower.testing.FixedClock`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

__all__ = ["Clock", "system_clock"]

Clock = Callable[[], datetime]
"""A source of the current time, timezone-aware."""


def system_clock() -> datetime:
    """The system's current time, in UTC."""
    return datetime.now(timezone.utc)
