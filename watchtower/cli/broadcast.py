"""A bounded in-process broadcaster of run events, which the HTTP event stream reads.

The runner publishes each :class:`~watchtower.events.Event` of a run to a
:class:`Broadcaster`; each open ``/v1/events`` stream holds a
:class:`Subscription` with a bounded queue of its own. Publishing never
blocks a run: a subscriber that falls :data:`QUEUE_SIZE` events behind is
dropped (its stream ends; an ``EventSource`` reconnects), and past
:data:`MAX_SUBSCRIBERS` open streams a new one is refused.
"""

from __future__ import annotations

import contextlib
import queue
import threading

from ..events import Event

__all__ = ["MAX_SUBSCRIBERS", "QUEUE_SIZE", "Broadcaster", "Subscription"]

#: Events a subscriber may fall behind before it is dropped.
QUEUE_SIZE = 256
#: Streams open at once; each holds one of the server's worker threads.
MAX_SUBSCRIBERS = 8

# Put in a subscriber's queue when it is dropped or the broadcaster closes.
_END = None


class Subscription:
    """One reader's view of a :class:`Broadcaster`: the events published since it subscribed."""

    def __init__(self, owner: Broadcaster) -> None:
        self._owner = owner
        self._queue: queue.Queue[Event | None] = queue.Queue(QUEUE_SIZE)
        self.closed = False

    def get(self, timeout: float) -> Event | None:
        """The next event; ``None`` after ``timeout`` seconds without one, or once closed."""
        if self.closed:
            return None
        try:
            event = self._queue.get(timeout=timeout)
        except queue.Empty:
            return None
        if event is _END:
            self.closed = True
        return event

    def close(self) -> None:
        """Stop receiving events."""
        self._owner._drop(self)

    def _offer(self, event: Event | None) -> bool:
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            return False
        return True


class Broadcaster:
    """Fans each published event out to every current subscriber, never blocking.

    Args:
        max_subscribers: Subscriptions open at once; past it :meth:`subscribe` refuses.
    """

    def __init__(self, *, max_subscribers: int = MAX_SUBSCRIBERS) -> None:
        self._max = max_subscribers
        self._subscribers: list[Subscription] = []
        self._lock = threading.Lock()
        self._closed = False

    def __call__(self, event: Event, /) -> None:
        """Publish ``event`` (a broadcaster is an :class:`~watchtower.events.Observer`)."""
        self.publish(event)

    def publish(self, event: Event) -> None:
        """Give ``event`` to every subscriber; one whose queue is full is dropped."""
        with self._lock:
            subscribers = list(self._subscribers)
        for subscription in subscribers:
            if not subscription._offer(event):
                self._drop(subscription)

    def subscribe(self) -> Subscription | None:
        """A new subscription; ``None`` when closed or :data:`MAX_SUBSCRIBERS` are open."""
        with self._lock:
            if self._closed or len(self._subscribers) >= self._max:
                return None
            subscription = Subscription(self)
            self._subscribers.append(subscription)
            return subscription

    @property
    def subscribers(self) -> int:
        """How many subscriptions are open."""
        with self._lock:
            return len(self._subscribers)

    def close(self) -> None:
        """End every subscription and refuse new ones (the server is stopping)."""
        with self._lock:
            self._closed = True
            subscribers, self._subscribers = self._subscribers, []
        for subscription in subscribers:
            self._end(subscription)

    def _drop(self, subscription: Subscription) -> None:
        with self._lock:
            if subscription not in self._subscribers:
                return
            self._subscribers.remove(subscription)
        self._end(subscription)

    @staticmethod
    def _end(subscription: Subscription) -> None:
        # A full queue cannot take the end marker: empty it first.
        while not subscription._offer(_END):
            with contextlib.suppress(queue.Empty):
                subscription._queue.get_nowait()
