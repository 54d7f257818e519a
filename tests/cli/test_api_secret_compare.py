"""Every token and secret a client offers is compared in constant time, whatever its length."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st

from watchtower.cli.api import create_app
from watchtower.cli.api._base import same_secret
from watchtower.cli.api_settings import API_ENDPOINTS, ApiSettings
from watchtower.cli.push_settings import PUSH_SOURCES, PushSettings
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry

from .support import make_runner, receiver_of

TOKEN = "s3cret-token"
EVENTS = "events-token"
SECRET = "hub-secret-0123456789"
# Shorter and longer than the secrets: a plain comparison would stop at the first byte.
GUESS = "x"


@pytest.fixture
def api(engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock) -> FlaskClient:
    runner = make_runner(engine, registry, clock)
    push = receiver_of(runner, PushSettings(frozenset(PUSH_SOURCES), SECRET))
    settings = ApiSettings(endpoints=frozenset(API_ENDPOINTS), token=TOKEN, events_token=EVENTS)
    return create_app(runner, settings, extra=(push.blueprint(),)).test_client()


@pytest.fixture
def compared(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, Any]]:
    """The arguments of every call of :func:`hmac.compare_digest`, which still answers."""
    calls: list[tuple[Any, Any]] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    return calls


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


# Each way a client offers a token or a secret: (method, path, request arguments, secret).
OFFERS: list[tuple[str, str, dict[str, Any], str]] = [
    ("post", "/v1/update", {"headers": {"Authorization": f"Bearer {GUESS}"}}, TOKEN),
    ("get", "/v1/containers", {"headers": {"Authorization": GUESS}}, TOKEN),
    ("get", "/v1/events", {"query_string": {"access_token": GUESS}}, EVENTS),
    ("post", "/v1/push/registry", {"headers": {"Authorization": f"Bearer {GUESS}"}}, TOKEN),
    ("post", "/v1/push", {"headers": {"Authorization": f"Bearer {GUESS}"}}, TOKEN),
    ("post", f"/v1/push/dockerhub/{GUESS}", {"json": {}}, SECRET),
    ("post", "/login", {"data": {"token": GUESS}}, TOKEN),
    ("get", "/", {"headers": {"Authorization": f"Bearer {GUESS}"}}, TOKEN),
]


@pytest.mark.parametrize(("method", "path", "kwargs", "secret"), OFFERS, ids=[o[1] for o in OFFERS])
def test_each_offered_secret_is_compared_as_equal_length_digests(
    api: FlaskClient,
    compared: list[tuple[Any, Any]],
    method: str,
    path: str,
    kwargs: dict[str, Any],
    secret: str,
) -> None:
    answer = getattr(api, method)(path, **kwargs)
    assert answer.status_code == (200 if path == "/" else 401)  # "/" shows the login form
    assert (_digest(secret), _digest(GUESS)) in compared
    assert all(len(a) == len(b) == 32 for a, b in compared)


def test_the_right_token_passes_through_the_same_comparison(
    api: FlaskClient, compared: list[tuple[Any, Any]]
) -> None:
    assert api.get("/v1/containers", headers={"Authorization": TOKEN}).status_code == 200
    assert compared == [(_digest(TOKEN), _digest(TOKEN))]


@given(secret=st.text(max_size=20), offered=st.one_of(st.none(), st.text(max_size=20)))
def test_a_secret_matches_itself_only_and_no_secret_matches_nothing(
    secret: str, offered: str | None
) -> None:
    assert same_secret(secret, offered) is (bool(secret) and offered == secret)
