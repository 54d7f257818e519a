"""Hands a run's events to its observer, stamped by its clock, one at a time."""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from .clock import Clock
from .errors import ConfigurationError
from .events import Event, Failed, HookRan, Observer, Step
from .lifecycle import HookRun

_log = logging.getLogger(__name__)


class Emitter:
    """The observer and the clock of one run.

    Replacements may run in several threads; the observer is called from one
    at a time, and an observer that raises never breaks a replacement.
    """

    def __init__(self, observer: Observer | None, clock: Clock) -> None:
        """Raises :class:`~watchtower.errors.ConfigurationError` for a clock of naive times."""
        if clock().tzinfo is None:
            # Compared with the registry's and the engine's aware times deep in a run.
            raise ConfigurationError(
                "The clock must give timezone-aware times, such as datetime.now(timezone.utc); "
                "it gave a naive one."
            )
        self.observer = observer
        self.clock = clock
        self._lock = threading.Lock()
        self._failed = False

    def now(self) -> datetime:
        """The run's current time."""
        return self.clock()

    def __call__(self, event: Event) -> None:
        if self.observer is None:
            return
        with self._lock:
            try:
                self.observer(event)
            except Exception:
                if not self._failed:  # once a run: the same fault would repeat on every event
                    _log.exception(
                        "The observer failed on %s; the run goes on, and its later failures "
                        "in this run are not logged.",
                        event.kind,
                    )
                self._failed = True

    def failed(self, step: Step, reason: str, container: str = "") -> None:
        """Log and tell a failure the run goes on after (a history, a notifier)."""
        _log.warning("%s", reason)
        self(Failed(at=self.now(), container=container, step=step, reason=reason))

    def hook(self, name: str, run: HookRun | None) -> None:
        """Tell of a lifecycle hook that ran (nothing when there was none)."""
        if run is None:
            return
        result = run.result
        self(
            HookRan(
                at=self.now(),
                container=name,
                hook=run.hook,
                command=run.command,
                exit_code=result.exit_code if result else None,
                output=result.output if result else run.error,
            )
        )
