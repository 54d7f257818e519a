"""Hands a run's events to its observer, stamped by its clock, in order, off the run's threads."""

from __future__ import annotations

import logging
import queue
import threading
from datetime import datetime
from types import TracebackType

import attrs

from .clock import Clock
from .errors import ConfigurationError
from .events import Event, Failed, HookRan, Observer, Observers, Planned, Step
from .lifecycle import HookRun
from .plans import Action, Plan, Status
from .report import is_deferred

_log = logging.getLogger(__name__)

_END = object()  # the last thing on a delivery queue: the run is over


class Emitter:
    """The observer and the clock of one run.

    Opened for a run (``with Emitter(observer, clock) as emit:``), it hands
    each event to one delivery thread of its own, through a queue: that
    thread calls the observer, one event at a time and in the order emitted,
    so no replacement ever waits for an observer. Leaving the ``with``
    block waits until every event has been delivered. The ``prompt`` lane
    of an :class:`~watchtower.events.Observers` is called on the emitting
    thread instead, before it goes on. An emitter that is not opened calls
    the observer on the emitting thread (a step outside a run: a history
    write, the notifiers of a run over several hosts).

    An observer that raises never breaks a run; its first failure in a run
    is logged, the later ones are not.
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
        lanes = observer if isinstance(observer, Observers) else Observers(queued=observer)
        self._prompt = lanes.prompt
        self._queued = lanes.queued
        # Held while an event is told to the prompt lane and put on the queue:
        # both lanes see the same order.
        self._lock = threading.Lock()
        self._fault_lock = threading.Lock()
        self._failed = False
        self._queue: queue.SimpleQueue[object] | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Emitter:
        """Start delivering through the run's own thread (none without a queued observer)."""
        if self._queued is not None and self._thread is None:
            self._queue = queue.SimpleQueue()
            self._thread = threading.Thread(
                target=self._deliver, args=(self._queue,), name="watchtower-events", daemon=True
            )
            self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        """Wait until every event emitted has reached the observer, then stop the thread."""
        self.drain()

    def drain(self) -> None:
        """Return once every event emitted so far was delivered; later ones are told in line."""
        with self._lock:
            pending, thread = self._queue, self._thread
            self._queue, self._thread = None, None
        if pending is not None and thread is not None:
            pending.put(_END)
            thread.join()

    @property
    def listening(self) -> bool:
        """Whether anyone hears the events: without an observer, none need be made."""
        return self._prompt is not None or self._queued is not None

    def now(self) -> datetime:
        """The run's current time."""
        return self.clock()

    def __call__(self, event: Event) -> None:
        with self._lock:
            if self._prompt is not None:
                self._tell(self._prompt, event)
            if self._queued is None:
                return
            if self._queue is not None:
                self._queue.put(event)
                return
            self._tell(self._queued, event)

    def _deliver(self, pending: queue.SimpleQueue[object]) -> None:
        assert self._queued is not None  # only started for a queued observer
        while (event := pending.get()) is not _END:
            assert isinstance(event, Event)
            self._tell(self._queued, event)

    def _tell(self, observer: Observer, event: Event) -> None:
        try:
            observer(event)
        except Exception:
            with self._fault_lock:
                first, self._failed = not self._failed, True
            if first:  # once a run: the same fault would repeat on every event
                _log.exception(
                    "The observer failed on %s; the run goes on, and its later failures "
                    "in this run are not logged.",
                    event.kind,
                )

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

    def planned(self, plan: Plan) -> None:
        """Tell the totals of ``plan`` (:class:`~watchtower.events.Planned`)."""
        statuses = [e.status for e in plan.entries] + [s.status for s in plan.services]
        deferred = [e for e in plan.entries if is_deferred(e.status.value, e.reason)]
        actions = [e.action for e in plan.entries] + [s.action for s in plan.services]
        self(
            Planned(
                at=self.now(),
                containers=len(statuses),
                to_update=actions.count(Action.UPDATE),
                to_restart=actions.count(Action.RESTART),
                fresh=statuses.count(Status.FRESH),
                stale=statuses.count(Status.STALE),
                skipped=statuses.count(Status.SKIPPED),
                failed=statuses.count(Status.FAILED),
                deferred=len(deferred),
            )
        )


def serially(observer: Observer) -> Observer:
    """``observer`` called from one thread at a time, each lane behind its own lock.

    Its lanes stay apart: a slow queued lane never holds up a prompt one.
    """

    def locked(lane: Observer) -> Observer:
        lock = threading.Lock()

        def observe(event: Event) -> None:
            with lock:
                lane(event)

        return observe

    return observer.each(locked) if isinstance(observer, Observers) else locked(observer)


def on_host(observer: Observer, host: str) -> Observer:
    """``observer`` told each event with ``host`` named, its lanes kept apart."""

    def naming(lane: Observer) -> Observer:
        return lambda event: lane(attrs.evolve(event, host=host))

    return observer.each(naming) if isinstance(observer, Observers) else naming(observer)
