"""HTTP mechanics over a transport: redirects followed by hand, 429s retried within a bound.

One call of :meth:`Sender.send` is one logical request. Redirects are
followed here, not by the transport, so that the rule of which headers may
follow (:func:`~watchtower.registry._auth.redirect_headers`) is ours.
"""

from __future__ import annotations

import contextlib
import email.utils
import logging
import threading
import time
import urllib.parse
from collections.abc import Callable, Collection, Iterator, Mapping
from datetime import datetime, timedelta, timezone

import attrs
from attrs import frozen

from .._version import __version__
from ..budget import Budget
from ..clock import Clock, system_clock
from ..errors import RateLimitedError, RegistryError
from ._auth import redirect_headers
from ._hosts import is_listed, plain_http_allowed
from ._transport import Request, Response, Transport, TransportError, origin

log = logging.getLogger("watchtower.registry")

_MAX_REDIRECTS = 5
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_USER_AGENT = f"watchtower-updater/{__version__}"
# Beyond any wait worth honouring, and within what timedelta holds.
_LONGEST_RETRY_AFTER = timedelta(days=365)


@frozen
class RetryPolicy:
    """How long to keep asking a registry that answers 429 Too Many Requests.

    Attributes:
        attempts: Requests in all, the first one included.
        max_wait: The most time spent waiting for one request, in all. A
            Retry-After longer than what is left is not waited for: the
            request fails at once with :class:`~watchtower.errors.RateLimitedError`.
        default_wait: The first wait when the registry gives no Retry-After;
            it doubles after each 429.
    """

    attempts: int = 3
    max_wait: timedelta = timedelta(seconds=30)
    default_wait: timedelta = timedelta(seconds=1)


def retry_after(value: str | None, now: datetime) -> timedelta | None:
    """Parse Retry-After: delay-seconds or an HTTP date (``None`` when absent or unreadable).

    A wait longer than a year is read as a year: the request fails at once either way.
    """
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        # Compared as text first: int() of thousands of digits is refused (and slow).
        if len(value) > 12:
            return _LONGEST_RETRY_AFTER
        return min(timedelta(seconds=int(value)), _LONGEST_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(value)
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        return min(max(when - now, timedelta(0)), _LONGEST_RETRY_AFTER)
    except (TypeError, ValueError, OverflowError, IndexError):
        return None


class Sender:
    """Sends logical requests through a transport; thread-safe as the transport is.

    Args:
        transport: What sends each single request.
        insecure: Hosts whose certificates are not checked and which may be
            spoken to over plain HTTP.
        retry: How 429 answers are retried.
        sleep: Waits that many seconds.
        clock: The current time, for Retry-After dates.
        monotonic: The monotonic clock that :meth:`bounded` budgets are read on.
    """

    def __init__(
        self,
        transport: Transport,
        *,
        insecure: Collection[str] = (),
        retry: RetryPolicy = RetryPolicy(),
        sleep: Callable[[float], None] = time.sleep,
        clock: Clock = system_clock,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._insecure = frozenset(insecure)
        self._transport = transport
        self._retry = retry
        self._sleep = sleep
        self._clock = clock
        self._monotonic = monotonic
        # The budget of the lookup each thread is making: a lookup runs on one thread.
        self._local = threading.local()

    @contextlib.contextmanager
    def bounded(self, budget: Budget) -> Iterator[Budget]:
        """Every request this thread sends within the block shares ``budget``.

        Each request gets what is left of it (see
        :attr:`~watchtower.registry.Request.deadline`), none is sent once it
        is spent, and no 429 is waited for past its end. Nested, the inner
        budget ends no later than the outer one. Yields the budget in force.
        """
        outer: Budget | None = getattr(self._local, "budget", None)
        inner = budget.within(outer)
        self._local.budget = inner
        try:
            yield inner
        finally:
            self._local.budget = outer

    def _left(self, host: str, what: str) -> float | None:
        """Seconds the current lookup has left, ``None`` without one; raise when none are."""
        budget: Budget | None = getattr(self._local, "budget", None)
        if budget is None:
            return None
        left = budget.left(self._monotonic())
        if left <= 0:
            raise TransportError(f"No time was left to {what} {host}.")
        return left

    def send(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes = b""
    ) -> Response:
        """Send one logical request: redirects followed, 429s retried within the policy.

        Raises:
            RateLimitedError: The server kept answering 429.
            RegistryError: A redirect was unusable, or went from HTTPS to
                plain HTTP where that is not allowed; or the transport failed.
        """
        waited = timedelta(0)
        wait = self._retry.default_wait
        attempt = 1
        while True:
            response = self._follow(Request(method, url, headers, body))
            if response.status != 429:
                return response
            host = origin(response.url)[1]
            asked = retry_after(response.headers.get("retry-after"), self._clock())
            delay = asked if asked is not None else wait
            left = self._left(host, "wait for")
            if (
                attempt >= self._retry.attempts
                or delay > self._retry.max_wait - waited
                or (left is not None and delay.total_seconds() >= left)
            ):
                raise RateLimitedError(
                    f"{host} is rate limiting (429 Too Many Requests"
                    + (f", retry after {asked.total_seconds():g}s" if asked is not None else "")
                    + f") after {attempt} attempt{'s' if attempt > 1 else ''}; skipping.",
                    retry_after=asked,
                )
            log.info("%s answered 429; retrying in %gs", host, delay.total_seconds())
            self._sleep(delay.total_seconds())
            waited += delay
            wait *= 2
            attempt += 1

    def _follow(self, request: Request) -> Response:
        first = origin(request.url)
        headers = {"User-Agent": _USER_AGENT, **request.headers}
        current = attrs.evolve(request, headers=headers)
        for _ in range(_MAX_REDIRECTS + 1):
            host = origin(current.url)[1]
            left = self._left(host, "ask")
            current = attrs.evolve(
                current, verify=not is_listed(host, self._insecure), deadline=left
            )
            response = attrs.evolve(self._transport.send(current), url=current.url)
            if response.status not in _REDIRECTS or "location" not in response.headers:
                return response
            location = response.headers["location"]
            try:
                target = urllib.parse.urljoin(current.url, location)
            except ValueError:
                target = ""
            scheme, netloc = origin(target)
            if scheme not in ("http", "https") or not netloc:
                raise RegistryError(
                    f"{host} redirected to an unusable location {location[:200]!r}."
                )
            if (
                first[0] == "https"
                and scheme == "http"
                and not plain_http_allowed(netloc, self._insecure)
            ):
                raise RegistryError(
                    f"{first[1]} redirected from HTTPS to plain HTTP ({netloc}); refusing."
                )
            if response.status == 303:
                current = attrs.evolve(current, method="GET", body=b"")
            elif current.body and origin(target) != first:
                # A body here is a token form: its refresh token is for its own host.
                raise RegistryError(
                    f"{first[1]} redirected a login to {netloc}; "
                    "credentials are only sent to the host they are for."
                )
            current = attrs.evolve(
                current, url=target, headers=redirect_headers(current.headers, first, target)
            )
        raise RegistryError(f"{first[1]} redirected more than {_MAX_REDIRECTS} times.")
