"""Failed authentication is limited per client address, on every endpoint that takes a secret."""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from watchtower.cli.api import create_app
from watchtower.cli.api.hardening import AUTH_FAILURES, AUTH_WINDOW, FailureLimiter
from watchtower.cli.api_settings import API_ENDPOINTS, ApiSettings
from watchtower.cli.push_settings import PUSH_SOURCES, PushSettings
from watchtower.cli.runner import Runner
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry

from .support import make_runner, receiver_of

TOKEN = "s3cret-token"
EVENTS = "events-token"
SECRET = "hub-secret-0123456789"
GUESSER = {"REMOTE_ADDR": "192.0.2.7"}
OTHER = {"REMOTE_ADDR": "192.0.2.8"}


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def runner(engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock) -> Any:
    return make_runner(engine, registry, clock)


def app_with(runner: Runner, ticks: Ticks, **settings: Any) -> FlaskClient:
    given = {"endpoints": frozenset(API_ENDPOINTS), "token": TOKEN, "events_token": EVENTS}
    push = receiver_of(runner, PushSettings(frozenset(PUSH_SOURCES), SECRET))
    return create_app(
        runner, ApiSettings(**{**given, **settings}), monotonic=ticks, extra=(push.blueprint(),)
    ).test_client()


WRONG = {"Authorization": "Bearer wrong"}

# Each way a client offers a token or secret, wrongly.
GUESSES: list[tuple[str, str, dict[str, Any]]] = [
    ("post", "/v1/update", {"headers": WRONG}),
    ("get", "/v1/containers", {"headers": WRONG}),
    ("get", "/v1/events", {"query_string": {"access_token": "wrong"}}),
    ("post", "/v1/push/registry", {"headers": WRONG, "json": {"events": []}}),
    ("post", "/v1/push", {"headers": WRONG, "json": {"repository": "x"}}),
    ("post", "/v1/push/dockerhub/wrong-secret-0123456", {"json": {}}),
    ("post", "/login", {"data": {"token": "wrong"}}),
    ("get", "/", {"headers": WRONG}),  # the page reads the cookie or this header
]


@pytest.mark.parametrize(("method", "path", "kwargs"), GUESSES, ids=[g[1] for g in GUESSES])
def test_past_the_failures_a_client_gets_429_with_retry_after_and_others_do_not(
    runner: Runner, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    ticks = Ticks()
    api = app_with(runner, ticks)
    answers = [
        getattr(api, method)(path, environ_base=GUESSER, **kwargs).status_code
        for _ in range(AUTH_FAILURES)
    ]
    assert 429 not in answers
    ticks.now += 5
    refused = getattr(api, method)(path, environ_base=GUESSER, **kwargs)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == str(int(AUTH_WINDOW) - 5)
    # Even with the right token, on another endpoint: the guesser waits.
    right = {"Authorization": f"Bearer {TOKEN}"}
    assert api.get("/v1/containers", headers=right, environ_base=GUESSER).status_code == 429
    # The probes still answer it, and another client is served.
    assert api.get("/livez", environ_base=GUESSER).status_code == 200
    assert api.get("/v1/containers", headers=right, environ_base=OTHER).status_code == 200
    # Once the first failure leaves the window, one more try.
    ticks.now += AUTH_WINDOW
    assert api.get("/v1/containers", headers=right, environ_base=GUESSER).status_code == 200


def test_right_tokens_count_no_failure(runner: Runner) -> None:
    api = app_with(runner, Ticks())
    right = {"Authorization": f"Bearer {TOKEN}"}
    for _ in range(3 * AUTH_FAILURES):
        assert api.get("/v1/containers", headers=right, environ_base=GUESSER).status_code == 200
    assert api.get("/", environ_base=GUESSER).status_code == 200  # the login form: no guess


def test_behind_a_trusted_proxy_each_forwarded_client_is_counted_apart(runner: Runner) -> None:
    api = app_with(runner, Ticks(), trusted_proxies=(ipaddress.ip_network("192.0.2.0/24"),))

    def post(client: str) -> int:
        forwarded = {**WRONG, "X-Forwarded-For": client}
        answer = api.post("/v1/push", headers=forwarded, json={}, environ_base=GUESSER)
        return int(answer.status_code)

    assert {post("203.0.113.1") for _ in range(AUTH_FAILURES)} == {401}
    assert post("203.0.113.1") == 429
    assert post("203.0.113.2") == 401


def test_the_limiter_forgets_the_least_recent_client_past_its_bound() -> None:
    ticks = Ticks()
    limiter = FailureLimiter(2, 60.0, now=ticks, max_keys=2)
    assert not limiter.fail("a")
    assert limiter.fail("a")
    assert limiter.retry_after("a") == 60.0
    ticks.now += 10
    assert limiter.retry_after("a") == 50.0
    limiter.fail("b")
    limiter.fail("c")  # "a" is forgotten
    assert limiter.retry_after("a") == 0.0


def test_the_failures_slide_with_the_clock() -> None:
    ticks = Ticks()
    limiter = FailureLimiter(3, 60.0, now=ticks)
    for step in (0, 20, 20):
        ticks.now += step
        limiter.fail("a")
    assert limiter.retry_after("a") == pytest.approx(20.0)
    ticks.now += timedelta(seconds=20).total_seconds()
    assert limiter.retry_after("a") == 0.0
