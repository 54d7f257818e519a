"""Tokens: reading token answers, and the cache against a model (Hypothesis)."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from watchtower.errors import RegistryError
from watchtower.registry._tokens import (
    Token,
    TokenCache,
    TokenKey,
    parse_rfc3339,
    token_from_answer,
)

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


class FakeClock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


ANSWERS = [
    ({"token": "t"}, "t", NOW, NOW + timedelta(seconds=60)),
    ({"access_token": "a", "expires_in": 300}, "a", NOW, NOW + timedelta(seconds=300)),
    ({"token": "t", "access_token": "a", "expires_in": 10}, "t", NOW, NOW + timedelta(seconds=10)),
    # issued_at in the past within the lifetime: the token started then.
    (
        {"token": "t", "expires_in": 300, "issued_at": "2026-01-02T03:03:05Z"},
        "t",
        NOW - timedelta(seconds=60),
        NOW + timedelta(seconds=240),
    ),
    # nanosecond fractions and offsets.
    (
        {"token": "t", "expires_in": 300, "issued_at": "2026-01-02T04:03:05.123456789+01:00"},
        "t",
        NOW - timedelta(seconds=60) + timedelta(microseconds=123456),
        NOW + timedelta(seconds=240, microseconds=123456),
    ),
    # Clocks that disagree (issued in the future, or dead on arrival): start now.
    (
        {"token": "t", "expires_in": 300, "issued_at": "2026-01-02T04:00:00Z"},
        "t",
        NOW,
        NOW + timedelta(seconds=300),
    ),
    (
        {"token": "t", "expires_in": 60, "issued_at": "2025-01-01T00:00:00Z"},
        "t",
        NOW,
        NOW + timedelta(seconds=60),
    ),
    # A lifetime beyond a day is read as a day: the cache never holds a token for ever.
    ({"token": "t", "expires_in": 1e12}, "t", NOW, NOW + timedelta(days=1)),
    ({"token": "t", "expires_in": 10**400}, "t", NOW, NOW + timedelta(days=1)),
    # The fork's 60 seconds, not a token that is dead on arrival.
    ({"token": "t", "expires_in": 0}, "t", NOW, NOW + timedelta(seconds=60)),
    ({"token": "t", "expires_in": -5}, "t", NOW, NOW + timedelta(seconds=60)),
    (
        {"token": "t", "expires_in": 30, "issued_at": "yesterday"},
        "t",
        NOW,
        NOW + timedelta(seconds=30),
    ),
]


@pytest.mark.parametrize(("answer", "value", "issued", "expires"), ANSWERS)
def test_token_answers(
    answer: dict[str, object], value: str, issued: datetime, expires: datetime
) -> None:
    token = token_from_answer(answer, NOW)
    assert (token.value, token.issued_at, token.expires_at) == (value, issued, expires)


BAD_ANSWERS = [
    ([], "not a JSON object"),
    ("token", "not a JSON object"),
    ({}, "without a token"),
    ({"token": ""}, "without a token"),
    ({"token": 5}, "without a token"),
    ({"token": "t", "expires_in": "300"}, "not a number"),
    ({"token": "t", "expires_in": True}, "not a number"),
    ({"token": "t", "expires_in": float("nan")}, "not a finite number"),
    ({"token": "t", "expires_in": float("inf")}, "not a finite number"),
    ({"token": "t", "expires_in": float("-inf")}, "not a finite number"),
]


@pytest.mark.parametrize(("answer", "reason"), BAD_ANSWERS)
def test_bad_token_answers_are_one_clear_error(answer: object, reason: str) -> None:
    with pytest.raises(RegistryError, match=reason) as caught:
        token_from_answer(answer, NOW, source="The token server t.example")
    assert "t.example" in str(caught.value)


def test_the_token_value_never_shows_in_repr() -> None:
    assert "sekrit" not in repr(Token("sekrit", NOW, NOW + timedelta(seconds=5)))


def test_rfc3339() -> None:
    expected = datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)
    assert parse_rfc3339("2024-05-06T07:08:09Z") == expected
    with pytest.raises(ValueError):
        parse_rfc3339("2024-05-06 07:08")


class _Fetched(Exception):
    pass


def _no_fetch() -> Token:
    raise _Fetched


def _cached(cache: TokenCache, key: TokenKey) -> Token | None:
    """The token cached for ``key``, found without fetching: a failed fetch caches nothing."""
    try:
        return cache.get(key, _no_fetch)
    except _Fetched:
        return None


KEYS = [
    TokenKey("r1", "https://a/token", "svc", "repository:x:pull"),
    TokenKey("r1", "https://a/token", "svc", "repository:y:pull"),
    TokenKey("r1", "https://a/token", "svc", "repository:x:pull", identity="alice#1"),
    TokenKey("r2", "https://a/token", "svc", "repository:x:pull"),
    TokenKey("r1", "https://b/token", "svc", "repository:x:pull"),
]


class CacheMachine(RuleBasedStateMachine):
    """The cache against a dict model: what is cached, until when."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock()
        self.margin = timedelta(seconds=10)
        self.cache = TokenCache(clock=self.clock, margin=self.margin)
        self.model: dict[TokenKey, tuple[str, datetime]] = {}  # key -> (value, usable until)
        self.fetches = 0
        self.serial = 0

    def _usable_until(self, issued: datetime, expires: datetime) -> datetime:
        return expires - min(self.margin, (expires - issued) / 2)

    @rule(key=st.sampled_from(KEYS), lifetime=st.integers(min_value=1, max_value=600))
    def get(self, key: TokenKey, lifetime: int) -> None:
        fetched: list[Token] = []

        def fetch() -> Token:
            self.serial += 1
            token = Token(
                f"{key!r}#{self.serial}",
                self.clock.now,
                self.clock.now + timedelta(seconds=lifetime),
            )
            fetched.append(token)
            return token

        now = self.clock.now
        cached = self.model.get(key)
        token = self.cache.get(key, fetch)
        # Never one key's token for another.
        assert token.value.startswith(repr(key) + "#")
        # Never an expired (or inside-the-margin) token.
        assert now < self.cache.usable_until(token)
        assert token.expires_at > now
        if cached is not None and now < cached[1]:
            # Never a fetch while a valid token is cached.
            assert fetched == []
            assert token.value == cached[0]
        else:
            assert len(fetched) == 1
            assert token is fetched[0]
            self.model[key] = (token.value, self._usable_until(token.issued_at, token.expires_at))

    @rule(seconds=st.integers(min_value=0, max_value=400))
    def advance(self, seconds: int) -> None:
        self.clock.now += timedelta(seconds=seconds)

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data())
    def invalidate(self, data: st.DataObject) -> None:
        key = data.draw(st.sampled_from(sorted(self.model, key=repr)))
        self.cache.invalidate(key)
        del self.model[key]

    @invariant()
    def the_cache_holds_what_the_model_says(self) -> None:
        for key in KEYS:
            expected = self.model.get(key)
            cached = _cached(self.cache, key)
            if expected is not None and self.clock.now < expected[1]:
                assert cached is not None and cached.value == expected[0]
            else:
                assert cached is None


TestTokenCache = CacheMachine.TestCase
TestTokenCache.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)


def test_a_token_that_is_already_unusable_is_an_error_and_not_cached() -> None:
    clock = FakeClock()
    cache = TokenCache(clock=clock)
    stale = Token("old", NOW - timedelta(seconds=100), NOW - timedelta(seconds=1))
    with pytest.raises(RegistryError, match="too soon to use"):
        cache.get(KEYS[0], lambda: stale)
    assert _cached(cache, KEYS[0]) is None


def test_a_failed_fetch_caches_nothing() -> None:
    cache = TokenCache(clock=FakeClock())

    def boom() -> Token:
        raise RegistryError("token server down")

    with pytest.raises(RegistryError):
        cache.get(KEYS[0], boom)
    assert _cached(cache, KEYS[0]) is None


def test_dead_tokens_are_dropped_when_a_new_one_is_stored() -> None:
    clock = FakeClock()
    cache = TokenCache(clock=clock)
    for key in KEYS[:3]:
        cache.get(key, lambda: Token("short", NOW, NOW + timedelta(seconds=30)))
    cache.get(KEYS[3], lambda: Token("long", NOW, NOW + timedelta(seconds=300)))
    clock.now += timedelta(seconds=60)
    cache.get(KEYS[4], lambda: Token("new", clock.now, clock.now + timedelta(seconds=300)))
    assert set(cache._tokens) == {KEYS[3], KEYS[4]}


@settings(max_examples=10, deadline=None)
@given(threads=st.integers(min_value=2, max_value=12), keys=st.integers(min_value=1, max_value=3))
def test_concurrent_gets_fetch_once_per_key(threads: int, keys: int) -> None:
    """Threads asking at once for the same key share one fetch; keys fetch in parallel."""
    cache = TokenCache(clock=FakeClock())
    start = threading.Barrier(threads)
    lock = threading.Lock()
    fetches: dict[TokenKey, int] = {}
    results: list[tuple[TokenKey, str]] = []

    def worker(index: int) -> None:
        key = KEYS[index % keys]

        def fetch() -> Token:
            with lock:
                fetches[key] = fetches.get(key, 0) + 1
            # Hold the fetch open so the other threads arrive while it runs:
            # without single-flight they would fetch too.
            time.sleep(0.05)
            return Token(f"{key!r}", NOW, NOW + timedelta(seconds=300))

        start.wait()
        token = cache.get(key, fetch)
        with lock:
            results.append((key, token.value))

    workers = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(20)
    assert all(count == 1 for count in fetches.values())
    assert len(fetches) == min(keys, threads)
    assert all(value == repr(key) for key, value in results)
    assert len(results) == threads
