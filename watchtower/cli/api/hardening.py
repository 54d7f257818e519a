"""The API's hardening: the client address behind trusted proxies, rate limits, CORS, headers.

It also limits failed authentication: past :data:`AUTH_FAILURES` refused
tokens or secrets from one client address within :data:`AUTH_WINDOW`
seconds, that client gets ``429`` with ``Retry-After`` on every endpoint
but the health probes and static assets, until its oldest failure leaves
the window.
A failure is an answer ``401``, or a request a view marks as one (a wrong
cookie on the status page).
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, request

from ..api_settings import ApiSettings, IPNetwork
from ._base import AUTH_FAILED, error

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = [
    "AUTH_FAILURES",
    "AUTH_WINDOW",
    "ClientAddress",
    "FailureLimiter",
    "RateLimiter",
    "harden",
]

#: Failed authentications from one client address that make it wait.
AUTH_FAILURES = 10

#: Seconds over which :data:`AUTH_FAILURES` are counted.
AUTH_WINDOW = 60.0

#: Seconds browsers may cache a CORS preflight, as the fork.
CORS_MAX_AGE = "3600"
_CORS_METHODS = "GET, POST, OPTIONS"
_CORS_HEADERS = "Origin, Content-Type, Accept, Authorization"
# Paths never rate limited: probes, the page's own assets, and push events (a
# registry posts one per layer and manifest; the push queue coalesces them).
_OPEN = ("/livez", "/readyz", "/startupz", "/static/watchtower/")
_UNLIMITED = (*_OPEN, "/v1/push")


def _address(text_value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text_value.strip().strip("[]"))
    except ValueError:
        return None


class ClientAddress:
    """WSGI middleware: behind a trusted proxy, ``REMOTE_ADDR`` becomes the client's address.

    Only a request whose peer is in ``trusted`` is believed; the header's
    addresses are read from the right, skipping trusted proxies, so a client
    cannot name itself by sending the header. The peer stays in
    ``watchtower.peer``.

    Args:
        app: The application.
        trusted: The trusted proxies' networks.
        header: The header naming the client (``X-Forwarded-For``, ``X-Real-IP``).
    """

    def __init__(self, app: WSGIApplication, trusted: Iterable[IPNetwork], header: str) -> None:
        self._app = app
        self._trusted = tuple(trusted)
        self._key = "HTTP_" + header.upper().replace("-", "_")

    def _is_trusted(self, value: str) -> bool:
        address = _address(value)
        return address is not None and any(address in net for net in self._trusted)

    def client(self, peer: str, header: str) -> str:
        """The client's address, given the peer's and the header's value."""
        if not (header and self._is_trusted(peer)):
            return peer
        for part in reversed(header.split(",")):
            if _address(part) is None:
                break
            if not self._is_trusted(part):
                return part.strip().strip("[]")
        return peer

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        peer = environ.get("REMOTE_ADDR", "")
        environ["watchtower.peer"] = peer
        environ["REMOTE_ADDR"] = self.client(peer, environ.get(self._key, ""))
        return self._app(environ, start_response)


class RateLimiter:
    """At most ``limit`` requests in any minute from one key (a sliding window).

    Args:
        limit: Requests a minute.
        now: Seconds from a monotonic clock.
        max_keys: Keys remembered at once; the least recently seen is forgotten.
    """

    def __init__(
        self, limit: int, *, now: Callable[[], float] = time.monotonic, max_keys: int = 10_000
    ) -> None:
        self._limit = limit
        self._now = now
        self._max_keys = max_keys
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """Count a request from ``key``; False when it is over the limit."""
        now = self._now()
        with self._lock:
            times = self._seen.pop(key, None) or deque()
            self._seen[key] = times
            while times and times[0] <= now - 60:
                times.popleft()
            if len(self._seen) > self._max_keys:
                self._seen.popitem(last=False)
            if len(times) >= self._limit:
                return False
            times.append(now)
            return True


class FailureLimiter:
    """At most ``limit`` failed authentications from one key in ``window`` seconds.

    Args:
        limit: Failures allowed in the window.
        window: Seconds.
        now: Seconds from a monotonic clock.
        max_keys: Keys remembered at once; the least recently seen is forgotten.
    """

    def __init__(
        self,
        limit: int = AUTH_FAILURES,
        window: float = AUTH_WINDOW,
        *,
        now: Callable[[], float] = time.monotonic,
        max_keys: int = 10_000,
    ) -> None:
        self._limit = limit
        self._window = window
        self._now = now
        self._max_keys = max_keys
        self._failed: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failed.get(key) or deque()
        while times and times[0] <= now - self._window:
            times.popleft()
        return times

    def retry_after(self, key: str) -> float:
        """Seconds before ``key`` may try again; 0 when it may now."""
        now = self._now()
        with self._lock:
            times = self._recent(key, now)
            if len(times) < self._limit:
                return 0.0
            return times[-self._limit] + self._window - now

    def fail(self, key: str) -> bool:
        """Count a failure of ``key``; True when it has used up its tries."""
        now = self._now()
        with self._lock:
            times = self._recent(key, now)
            self._failed.pop(key, None)
            self._failed[key] = times
            if len(self._failed) > self._max_keys:
                self._failed.popitem(last=False)
            times.append(now)
            return len(times) >= self._limit


def _allowed_origin(settings: ApiSettings, origin: str) -> str | None:
    if "*" in settings.cors_origins:
        return "*"
    return origin if origin.rstrip("/") in settings.cors_origins else None


def harden(
    app: Flask,
    settings: ApiSettings,
    *,
    limiter: RateLimiter | None = None,
    failures: FailureLimiter | None = None,
    now: Callable[[], float] = time.monotonic,
) -> None:
    """Add the client address, rate limits (requests, failures), CORS and headers to ``app``."""
    limiter = limiter or RateLimiter(settings.rate_limit, now=now)
    failures = failures or FailureLimiter(now=now)
    if settings.trusted_proxies:
        wrapped: Any = ClientAddress(app.wsgi_app, settings.trusted_proxies, settings.proxy_header)
        app.wsgi_app = wrapped  # type: ignore[method-assign]

    @app.before_request
    def _refuse_guessers() -> Response | None:
        if request.path.startswith(_OPEN):
            return None
        wait = failures.retry_after(request.remote_addr or "")
        if wait <= 0:
            return None
        response = error(429, "too many failed authentications from this address; try again later")
        response.headers["Retry-After"] = str(max(1, math.ceil(wait)))
        return response

    @app.after_request
    def _count_failures(response: Response) -> Response:
        if response.status_code == 401 or request.environ.get(AUTH_FAILED):
            client = request.remote_addr or ""
            if failures.fail(client):
                app.logger.warning(
                    "Too many failed authentications from %s: refused for a while", client
                )
        return response

    @app.before_request
    def _limit() -> Response | None:
        if request.path.startswith(_UNLIMITED):
            return None
        if not limiter.allow(request.remote_addr or ""):
            app.logger.warning("Rate limit exceeded for %s", request.remote_addr)
            response = error(429, "too many requests from this address; try again in a minute")
            response.headers["Retry-After"] = "60"
            return response
        return None

    @app.before_request
    def _preflight() -> Response | None:
        origin = request.headers.get("Origin", "")
        if request.method != "OPTIONS" or not origin or not settings.cors_origins:
            return None
        if _allowed_origin(settings, origin) is None:
            return error(403, f"the origin {origin[:80]!r} may not call this API")
        response = Response(status=204)
        response.headers["Access-Control-Allow-Methods"] = _CORS_METHODS
        response.headers["Access-Control-Allow-Headers"] = _CORS_HEADERS
        response.headers["Access-Control-Max-Age"] = CORS_MAX_AGE
        return response

    @app.after_request
    def _headers(response: Response) -> Response:
        origin = request.headers.get("Origin", "")
        allowed = _allowed_origin(settings, origin) if origin and settings.cors_origins else None
        if allowed is not None:
            response.headers["Access-Control-Allow-Origin"] = allowed
            if allowed != "*":
                response.headers["Access-Control-Allow-Credentials"] = "true"
                response.vary.add("Origin")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault(
            "Content-Security-Policy", "default-src 'self'; img-src 'self' data:"
        )
        return response
