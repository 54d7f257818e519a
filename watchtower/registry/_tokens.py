"""Bearer tokens and their cache.

A token server answers ``{"token": ..., "expires_in": 300, "issued_at": ...}``.
:func:`token_from_answer` turns that into a :class:`Token` that knows when it
expires; :class:`TokenCache` keeps tokens for their lifetime, keyed by
everything that decides which token a server would give, and fetches at most
once per key at a time however many threads ask.
"""

from __future__ import annotations

import contextlib
import math
import re
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from attrs import field, frozen

from .._text import quoted
from ..clock import Clock, system_clock
from ..errors import RegistryError

DEFAULT_LIFETIME = timedelta(seconds=60)
"""How long a token lives when the server does not say (the token spec's default)."""

LONGEST_LIFETIME = timedelta(days=1)
"""The longest a token is kept, whatever the server says: tokens live minutes."""


@frozen
class TokenKey:
    """Everything that decides which token a token server hands out.

    Attributes:
        registry: The registry host the token is for (``ghcr.io``).
        realm: The token server URL from the challenge.
        service: The ``service`` from the challenge.
        scope: The scope asked for (``repository:library/nginx:pull``).
        identity: A fingerprint of the credentials (``""`` when anonymous);
            never the secret itself.
    """

    registry: str
    realm: str
    service: str
    scope: str
    identity: str = ""


@frozen
class Token:
    """A bearer token and its lifetime.

    Attributes:
        value: The token to send as ``Authorization: Bearer <value>``.
        issued_at: When it became valid (by the local clock).
        expires_at: When it stops being valid (by the local clock).
    """

    value: str = field(repr=False)
    issued_at: datetime
    expires_at: datetime

    @property
    def lifetime(self) -> timedelta:
        """How long the token lives in all."""
        return self.expires_at - self.issued_at


_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$"
)


def parse_rfc3339(text: str) -> datetime:
    """Parse an RFC 3339 timestamp (any number of fraction digits) into an aware datetime.

    Raises:
        ValueError: ``text`` is not an RFC 3339 timestamp.
    """
    match = _RFC3339.match(text.strip())
    if match is None:
        raise ValueError(f"not an RFC 3339 timestamp: {quoted(text)}")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micros = int((fraction or "0")[:6].ljust(6, "0"))
    if zone in ("Z", "z"):
        tz = timezone.utc
    else:
        sign = 1 if zone[0] == "+" else -1
        tz = timezone(sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
    return datetime(
        int(year), int(month), int(day), int(hour), int(minute), int(second), micros, tzinfo=tz
    )


def token_from_answer(answer: Any, now: datetime, *, source: str = "the token server") -> Token:
    """Read a token server's JSON answer.

    ``token`` (or OAuth's ``access_token``) is the token; it lives for
    ``expires_in`` seconds (60 when absent or not positive, as the fork) from
    ``issued_at``. An ``issued_at`` that is unreadable, in the future, or so
    far in the past that the token would already be dead, says the two clocks
    disagree: then the local clock is the start.

    Raises:
        RegistryError: The answer is not an object with a token, or its
            ``expires_in`` is not a number; the message names ``source``.
    """
    if not isinstance(answer, Mapping):
        raise RegistryError(f"{source} answered with {type(answer).__name__}, not a JSON object.")
    value = answer.get("token") or answer.get("access_token")
    if not isinstance(value, str) or not value:
        raise RegistryError(f"{source} answered without a token.")
    lifetime = _lifetime(answer.get("expires_in"), source)
    start = now
    raw_issued = answer.get("issued_at")
    if isinstance(raw_issued, str) and raw_issued:
        with contextlib.suppress(ValueError):
            issued = parse_rfc3339(raw_issued)
            if now - lifetime < issued <= now:
                start = issued
    return Token(value, start, start + lifetime)


def _lifetime(raw: object, source: str) -> timedelta:
    """A token answer's ``expires_in``, as the fork reads it.

    Absent or not positive is the default lifetime; beyond a day is a day.

    Raises:
        RegistryError: ``raw`` is not a finite number.
    """
    if raw is None:
        return DEFAULT_LIFETIME
    if not isinstance(raw, (int, float)) or isinstance(raw, bool):
        raise RegistryError(
            f"{source} answered with expires_in {quoted(str(raw), 40)}, not a number."
        )
    if isinstance(raw, float) and not math.isfinite(raw):
        raise RegistryError(
            f"{source} answered with expires_in {quoted(str(raw), 40)}, not a finite number."
        )
    if raw <= 0:
        return DEFAULT_LIFETIME
    return timedelta(seconds=min(raw, LONGEST_LIFETIME.total_seconds()))


class TokenCache:
    """Bearer tokens for their lifetime less a safety margin.

    Pass one to :class:`~watchtower.registry.HttpRegistry` (``token_cache=``)
    to share tokens between clients or to give it a clock. A token is kept
    under everything that decides which token a server gives: registry,
    realm, service, scope and a fingerprint of the login.

    Thread-safe. :meth:`get` fetches at most once per key at a time: threads
    asking for a key while it is being fetched wait for that fetch and share
    its token. Different keys are fetched in parallel.

    Args:
        clock: Returns the current time (aware); injected so tests control it.
        margin: A token counts as expired this long before it really
            expires, so it does not die in flight. Capped at half the
            token's lifetime for short-lived tokens.
    """

    def __init__(
        self, clock: Clock = system_clock, margin: timedelta = timedelta(seconds=10)
    ) -> None:
        self._clock = clock
        self._margin = margin
        self._lock = threading.Lock()
        self._tokens: dict[TokenKey, Token] = {}
        self._key_locks: dict[TokenKey, threading.Lock] = {}

    def usable_until(self, token: Token) -> datetime:
        """The moment from which the cache no longer hands ``token`` out."""
        return token.expires_at - min(self._margin, token.lifetime / 2)

    def _valid(self, token: Token | None, now: datetime) -> bool:
        return token is not None and now < self.usable_until(token)

    def get(self, key: TokenKey, fetch: Callable[[], Token]) -> Token:
        """The cached token for ``key``, or a fresh one from ``fetch``.

        ``fetch`` runs without the cache's lock held; its exceptions propagate
        and nothing is cached.

        Raises:
            RegistryError: ``fetch`` returned a token that is already unusable.
        """
        with self._lock:
            token = self._tokens.get(key)
            if self._valid(token, self._clock()):
                assert token is not None
                return token
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                # Another thread may have fetched it while we waited.
                token = self._tokens.get(key)
                if self._valid(token, self._clock()):
                    assert token is not None
                    return token
            fresh = fetch()
            now = self._clock()
            if not self._valid(fresh, now):
                raise RegistryError(
                    f"The token server for {key.registry} issued a token that expires "
                    f"at {fresh.expires_at.isoformat()}, too soon to use."
                )
            with self._lock:
                # Drop the dead tokens of other keys too, so a long-running
                # process keeps only the tokens it can still use.
                self._tokens = {k: v for k, v in self._tokens.items() if self._valid(v, now)}
                self._tokens[key] = fresh
            return fresh

    def invalidate(self, key: TokenKey, token: Token | None = None) -> None:
        """Forget the token for ``key`` (only if it is ``token``, when given).

        Called when a registry rejects a token before its time.
        """
        with self._lock:
            if token is None or self._tokens.get(key) == token:
                self._tokens.pop(key, None)
