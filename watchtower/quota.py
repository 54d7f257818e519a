"""A registry's request quota, read from its answers and shared by every engine of a process.

Docker Hub tells every answer how many pulls are left:
``ratelimit-limit: 100;w=21600`` and ``ratelimit-remaining: 76;w=21600``
(a count, and the window in seconds). A :class:`QuotaBook` keeps the last
reading per registry, and what was spent since; it is the caller's (one per
process, kept across runs and hosts), never a global.

The rule of spending, in one place:

1. A run may spend at most ``share`` of what its registry had left when the
   run began (:meth:`QuotaBook.open_run`), rounded down: as the run's first
   answer from it says (the book's estimate until then); later answers
   only lower it. Never more than the book believes is left.
2. What counts is what the registry counts: a manifest ``GET`` (our own,
   when a ``HEAD`` gave no digest, or to read an image's age) and a pull,
   which is the engine's manifest ``GET``. A ``HEAD`` does not count, as
   Docker Hub says; a registry that counts it shows so in its next answer's
   ``ratelimit-remaining``, which the book believes.
3. Once a registry's share of the run is spent, no more is asked of it in
   that run, not even a ``HEAD``: the containers of the images left are
   *deferred* to the next run, a skip on purpose, with a sentence saying
   how much was left.
4. What is left is the last reading's count, less what the book saw spent
   since; once a reading is older than its window, the limit less what was
   spent within the last window. Fresh headers replace the estimate.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import deque
from collections.abc import Mapping
from datetime import datetime, timedelta

from attrs import frozen

from .clock import Clock, system_clock
from .errors import ConfigurationError, RateLimitedError
from .report import DEFERRED

__all__ = [
    "DEFERRED",
    "QuotaBook",
    "QuotaDeferredError",
    "QuotaReading",
    "QuotaRun",
    "book_of",
    "parse_ratelimit",
    "quota_of",
]

_log = logging.getLogger("watchtower.registry")


# A count of thousands of digits is plenty; int() would refuse it.
_MAX_DIGITS = 18


class QuotaDeferredError(RateLimitedError):
    """This run's share of a registry's quota is spent: the lookup waits for the next run.

    A :class:`~watchtower.errors.RateLimitedError`, so that whatever treats a
    rate limit as "skip, do not pull" treats this the same way.
    """


def parse_ratelimit(value: str | None) -> tuple[int, timedelta | None] | None:
    """A ``ratelimit-limit``/``ratelimit-remaining`` value: the count, and the window.

    ``100;w=21600`` is 100 in a window of 6 hours; a bare ``100`` has no
    window. ``None`` for an absent or malformed value (one debug line, never
    an error: the header is the registry's text).
    """
    if value is None:
        return None
    head, *params = value.split(";")
    head = head.strip()
    if not (head.isascii() and head.isdigit()):
        _log.debug("Ignoring a rate limit header that is not a count: %r", value[:80])
        return None
    count = int(head[:_MAX_DIGITS])
    window: timedelta | None = None
    for param in params:
        key, _, raw = param.strip().partition("=")
        if key.strip().lower() != "w":
            continue
        raw = raw.strip()
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 9 or int(raw) == 0:
            _log.debug("Ignoring a rate limit header whose window is unreadable: %r", value[:80])
            return None
        window = timedelta(seconds=int(raw))
    return count, window


@frozen
class QuotaReading:
    """What a registry last said of its quota.

    Attributes:
        limit: Requests allowed per window (``ratelimit-limit``), when it said.
        remaining: Requests left (``ratelimit-remaining``).
        window: The window the counts are for, when it said.
        read_at: When the answer came.
    """

    limit: int | None
    remaining: int
    window: timedelta | None
    read_at: datetime


class _Host:
    """The book's page for one registry; guarded by the book's lock."""

    def __init__(self, reading: QuotaReading) -> None:
        self.reading = reading
        self.seq = 0  # the book's count of readings when this one came
        self.since = 0  # spends since the reading
        self.spends: deque[datetime] = deque()  # their times, for a window that passes


class QuotaBook:
    """The quota of each registry, as its answers said, and what was spent since.

    Thread-safe. Give the same book to the registry client that reads the
    headers (``HttpRegistry(quota=book)``) and to the runs that spend
    (``update(..., quota=book)``); keep it for the life of the process, so
    that every run and every engine shares one budget.

    Args:
        clock: The current time.
    """

    def __init__(self, clock: Clock = system_clock) -> None:
        self._clock = clock
        self._hosts: dict[str, _Host] = {}
        self._totals: dict[str, int] = {}  # spends ever, by registry
        self._readings = 0  # readings ever, to tell those that came during a run
        self._lock = threading.Lock()
        self._run: QuotaRun | None = None

    def mark(self, registry: str) -> int:
        """How many requests the book has seen spent at ``registry``: pass it to :meth:`record`.

        Taken as a request is sent, it tells which spends its answer may
        not show yet.
        """
        with self._lock:
            return self._totals.get(registry, 0)

    def record(self, registry: str, headers: Mapping[str, str], mark: int | None = None) -> None:
        """Read the rate limit headers of an answer of ``registry`` (names in lower case).

        An answer without ``ratelimit-remaining`` (or with a malformed one)
        changes nothing. With ``mark`` (:meth:`mark` as the request was
        sent), the spends made since then still count against what the
        answer says is left: it may have been written before them.
        """
        remaining = parse_ratelimit(headers.get("ratelimit-remaining"))
        if remaining is None:
            return
        limit = parse_ratelimit(headers.get("ratelimit-limit"))
        reading = QuotaReading(
            limit=limit[0] if limit else None,
            remaining=remaining[0],
            window=remaining[1] or (limit[1] if limit else None),
            read_at=self._clock(),
        )
        with self._lock:
            late = self._totals.get(registry, 0) - mark if mark is not None else 0
            host = self._hosts.get(registry)
            self._readings += 1
            if host is None:
                host = self._hosts[registry] = _Host(reading)
            else:
                host.reading = reading
            host.since = late
            host.seq = self._readings
            if reading.window is None:
                host.spends.clear()
            else:  # spends within the window still count once the reading ages out
                _prune(host.spends, reading.read_at - reading.window)

    def reading(self, registry: str) -> QuotaReading | None:
        """The last reading of ``registry``, or ``None`` when it never said."""
        with self._lock:
            host = self._hosts.get(registry)
            return host.reading if host else None

    def registries(self) -> tuple[str, ...]:
        """The registries that have said something of their quota, sorted."""
        with self._lock:
            return tuple(sorted(self._hosts))

    def left(self, registry: str) -> int | None:
        """How many requests ``registry`` has left, as far as the book knows; ``None``: unknown."""
        with self._lock:
            return self._left(registry, self._clock())

    def _left(self, registry: str, now: datetime) -> int | None:
        host = self._hosts.get(registry)
        if host is None:
            return None
        reading = host.reading
        if reading.window is not None and now - reading.read_at >= reading.window:
            if reading.limit is None:
                return None  # a fresh window, of a size never said
            _prune(host.spends, now - reading.window)
            return max(0, reading.limit - len(host.spends))
        return max(0, reading.remaining - host.since)

    def _spend(self, registry: str, now: datetime) -> None:
        self._totals[registry] = self._totals.get(registry, 0) + 1
        host = self._hosts.get(registry)
        if host is not None:
            host.since += 1
            host.spends.append(now)

    def open_run(self, share: float) -> QuotaRun:
        """A new run's allowance: at most ``share`` of what each registry has left.

        The book's spends from now on (those its registry client counts too)
        are the new run's.

        Raises:
            ConfigurationError: ``share`` is not in (0, 1].
        """
        run = QuotaRun(self, check_share(share))
        with self._lock:
            run._opened = self._readings
            self._run = run
        return run

    def check(self, registry: str) -> str | None:
        """The current run's :meth:`QuotaRun.check`; ``None`` outside a run."""
        with self._lock:
            run = self._run
        return run.check(registry) if run is not None else None

    def take(self, registry: str) -> str | None:
        """Spend one counted request at ``registry`` in the current run.

        ``None`` when it may be made (and it is counted); otherwise the
        sentence that defers it. Outside a run (one opened by
        :meth:`open_run` and not yet closed), it is counted and allowed.
        """
        with self._lock:
            run = self._run
        if run is not None:
            return run.take(registry)
        with self._lock:
            self._spend(registry, self._clock())
        return None


def _prune(spends: deque[datetime], since: datetime) -> None:
    while spends and spends[0] < since:
        spends.popleft()


def check_share(share: float) -> float:
    """``share`` if it is a fraction in (0, 1]; otherwise one sentence.

    Raises:
        ConfigurationError: It is not.
    """
    if isinstance(share, bool) or not isinstance(share, (int, float)):
        raise ConfigurationError(f"A registry quota share must be a number, not {share!r}.")
    if not (0 < share <= 1) or math.isnan(share):
        raise ConfigurationError(
            f"A registry quota share must be more than 0 and at most 1 (100%), not {share!r}."
        )
    return float(share)


class QuotaRun:
    """One run's allowance of each registry's quota, thread-safe (:meth:`QuotaBook.open_run`).

    What a registry had left when the run began is what the book believes
    is left plus what the run spent there. The first answer of the run
    sets it (a new window says more); later ones only lower it, since an
    answer may have been written before a spend it does not show. The run
    may spend ``share`` of it, rounded down. A registry the book knows
    nothing of is not limited until an answer says.

    Attributes:
        book: The book it spends from.
        share: The fraction of what is left that the run may spend.
    """

    def __init__(self, book: QuotaBook, share: float) -> None:
        self.book = book
        self.share = share
        self._spent: dict[str, int] = {}
        self._deferred: dict[str, int] = {}
        # What was left at the start, by registry, and whether an answer of this run said so.
        self._base: dict[str, tuple[int, bool]] = {}
        self._opened = 0  # the book's count of readings when the run was opened
        self._lock = threading.Lock()

    def _allowance(self, registry: str, now: datetime) -> tuple[int, int, int] | None:
        """What the run may spend, what was left at its start, and what is left now."""
        with self.book._lock:
            left = self.book._left(registry, now)
            host = self.book._hosts.get(registry)
            fresh = host is not None and host.seq > self._opened
        if left is None:
            return None
        estimate = left + self._spent.get(registry, 0)
        base, was_fresh = self._base.get(registry, (estimate, False))
        # The run's first answer sets it (more, in a new window, or less); later ones
        # only lower it: one written before a spend it does not show must not raise it.
        base = estimate if fresh and not was_fresh else min(base, estimate)
        self._base[registry] = (base, fresh)
        return math.floor(self.share * base + 1e-9), base, left

    def _refusal(self, registry: str, now: datetime) -> str | None:
        allowance = self._allowance(registry, now)
        if allowance is None:
            return None
        allowed, at_start, left = allowance
        if self._spent.get(registry, 0) < allowed and left > 0:
            return None
        reading = self.book.reading(registry)
        of = f" of {reading.limit}" if reading and reading.limit is not None else ""
        return f"{DEFERRED}; {at_start}{of} requests left at {registry}, this run may use {allowed}"

    def check(self, registry: str) -> str | None:
        """``None`` when a request that does not count (a ``HEAD``) may still be made.

        Otherwise the sentence that defers it: the run's share is spent.
        The deferral is counted.
        """
        now = self.book._clock()
        with self._lock:
            refusal = self._refusal(registry, now)
            if refusal is not None:
                self._deferred[registry] = self._deferred.get(registry, 0) + 1
            return refusal

    def take(self, registry: str) -> str | None:
        """Spend one counted request: ``None`` when it may be made, else why it is deferred."""
        now = self.book._clock()
        with self._lock:
            refusal = self._refusal(registry, now)
            if refusal is not None:
                self._deferred[registry] = self._deferred.get(registry, 0) + 1
                return refusal
            self._spent[registry] = self._spent.get(registry, 0) + 1
            with self.book._lock:
                self.book._spend(registry, now)
            return None

    def close(self) -> None:
        """End the run: the book's spends after it (a plan's ``GET``) are no run's."""
        with self.book._lock:
            if self.book._run is self:
                self.book._run = None

    def spent(self, registry: str) -> int:
        """Counted requests this run made at ``registry``."""
        with self._lock:
            return self._spent.get(registry, 0)

    def allowed(self, registry: str) -> int | None:
        """What this run may spend at ``registry``; ``None`` while its quota is unknown."""
        with self._lock:
            allowance = self._allowance(registry, self.book._clock())
            return allowance[0] if allowance else None

    def deferred(self) -> Mapping[str, int]:
        """Requests deferred to the next run, by registry."""
        with self._lock:
            return dict(self._deferred)


def book_of(registry: object) -> QuotaBook | None:
    """The book a registry client records into (``HttpRegistry(quota=book)``), if any."""
    book = getattr(registry, "quota", None)
    return book if isinstance(book, QuotaBook) else None


def quota_of(registry: object) -> QuotaRun | None:
    """The run's allowance a registry wrapper carries (the scan's digest memo), if any."""
    run = getattr(registry, "quota", None)
    return run if isinstance(run, QuotaRun) else None
