"""A clock that stands still until a test moves it."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

__all__ = ["FixedClock"]


class FixedClock:
    """A clock that stands still until moved: ``clock()`` returns the time.

    Args:
        start: The time it shows first (UTC 2026-01-01 by default).
        step: How far it moves on each call (zero: it moves only by :meth:`advance`).
    """

    def __init__(
        self,
        start: datetime = datetime(2026, 1, 1, tzinfo=timezone.utc),
        step: timedelta = timedelta(0),
    ) -> None:
        self.now = start
        self.step = step
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            now = self.now
            self.now += self.step
            return now

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward."""
        with self._lock:
            self.now += delta
