"""The push queue's rules (:class:`Coalescer`) and its thread (:class:`PushQueue`).

Public through :mod:`watchtower.push`.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .push import PushEvent

__all__ = ["Coalescer", "PushQueue"]

_log = logging.getLogger("watchtower.push")


class Coalescer:
    """The rules of the push queue, with no thread and no clock.

    :meth:`offer` queues an event unless it changes nothing; :meth:`take`
    hands every queued event over as one batch; :meth:`done` ends that batch.
    Not thread-safe: :class:`PushQueue` holds a lock around it.

    Args:
        memory: How many repository-and-tag pairs keep the digest last taken.
    """

    def __init__(self, memory: int = 4096) -> None:
        self._memory = memory
        self._pending: dict[tuple[str, str, str | None], PushEvent] = {}
        self._last: OrderedDict[tuple[str, str], str] = OrderedDict()
        self.running: tuple[PushEvent, ...] = ()

    @property
    def pending(self) -> tuple[PushEvent, ...]:
        """The events waiting for the next batch, in arrival order."""
        return tuple(self._pending.values())

    def offer(self, event: PushEvent) -> bool:
        """Queue ``event``; ``False`` when it changes nothing.

        It changes nothing when the same push is already queued, or when its
        digest is the one last taken for its repository and tag.
        """
        if event.key in self._pending:
            return False
        if event.digest is not None and self._last.get(event.key[:2]) == event.digest:
            return False
        self._pending[event.key] = event
        return True

    def take(self) -> tuple[PushEvent, ...]:
        """The queued events, now running; the queue is left empty."""
        batch = tuple(self._pending.values())
        self._pending.clear()
        for event in batch:
            if event.digest is not None:
                self._last[event.key[:2]] = event.digest
                self._last.move_to_end(event.key[:2])
        while len(self._last) > self._memory:
            self._last.popitem(last=False)
        self.running = batch
        return batch

    def done(self) -> None:
        """The running batch has finished."""
        self.running = ()


class PushQueue:
    """Runs batches of push events on a thread of its own, one at a time.

    An event offered while the queue is empty opens a window; when it
    closes, everything queued by then is one batch, given to ``run``. Events
    that arrive while a batch runs wait for the next. ``run`` is called on
    the queue's thread only, so two batches never run at once.

    Args:
        run: Runs one batch (:func:`~watchtower.push.update_pushed`, or a runner that calls it);
            an exception is logged and the queue goes on.
        window: How long a burst is gathered before it runs.
    """

    def __init__(
        self,
        run: Callable[[tuple[PushEvent, ...]], object],
        *,
        window: timedelta = timedelta(seconds=1),
    ) -> None:
        self._run = run
        self._window = window.total_seconds()
        self._rules = Coalescer()
        self._changed = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None

    def submit(self, events: Iterable[PushEvent]) -> int:
        """Queue ``events``; how many changed something (see :meth:`Coalescer.offer`)."""
        with self._changed:
            queued = sum(self._rules.offer(e) for e in events)
            if queued:
                self._changed.notify_all()
            return queued

    @property
    def idle(self) -> bool:
        """True when nothing is queued or running."""
        with self._changed:
            return not self._rules.pending and not self._rules.running

    def start(self) -> None:
        """Start the queue's thread."""
        self._thread = threading.Thread(target=self._serve, name="watchtower-push", daemon=True)
        self._thread.start()

    def stop(self, timeout: timedelta = timedelta(seconds=5)) -> None:
        """Stop taking batches; a running one finishes. Queued events are dropped."""
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        if self._thread is not None:
            self._thread.join(timeout.total_seconds())

    def wait_idle(self, timeout: timedelta) -> bool:
        """Wait until nothing is queued or running; ``False`` if that outlasted ``timeout``."""
        with self._changed:
            return self._changed.wait_for(
                lambda: not self._rules.pending and not self._rules.running,
                timeout.total_seconds(),
            )

    def _serve(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._stopping or bool(self._rules.pending))
                if self._stopping:
                    return
                # The window: the rest of a push's events, and the pushes of a burst.
                if self._changed.wait_for(lambda: self._stopping, self._window):
                    return
                batch = self._rules.take()
            try:
                self._run(batch)
            except Exception:
                _log.exception("A push-triggered run failed")
            finally:
                with self._changed:
                    self._rules.done()
                    self._changed.notify_all()
