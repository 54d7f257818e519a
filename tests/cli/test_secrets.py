"""No secret given to the program shows in a log line, an error, an API answer, a metric or a repr.

A full run at trace level: a registry that wants a login and hands out a
bearer token, checks that fail, notifications that all fail (webhook,
e-mail, apprise), then every HTTP API answer, wrong tokens included. Every
byte the program wrote is searched for every secret it was given.
"""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Iterator

import pytest

from tests.support.net import free_port
from watchtower._text import TRACE
from watchtower.cli.api import create_app
from watchtower.cli.config import load
from watchtower.cli.daemon import serve
from watchtower.cli.metrics import Metrics
from watchtower.cli.notifications import start
from watchtower.cli.runner import Runner
from watchtower.registry import Credentials, HttpRegistry, MockTransport, Request, Response
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry

REGISTRY_PASSWORD = "reg-s3cret-pass"
BEARER = "bearer-s3cret-token"
API_TOKEN = "api-s3cret-token"
HOOK_TOKEN = "hook-s3cret-query"
SMTP_PASSWORD = "smtp-s3cret-pass"
APPRISE_PASSWORD = "apprise-s3cret-pass"
SECRETS = (REGISTRY_PASSWORD, BEARER, API_TOKEN, HOOK_TOKEN, SMTP_PASSWORD, APPRISE_PASSWORD)
DIGEST = "sha256:" + "d" * 64


def hostile_registry(request: Request) -> Response:
    """A token registry: web has a new digest, db is refused, cache fails."""
    url = request.url.split("?", 1)[0]
    if url == "https://reg.example/v2/":
        challenge = 'Bearer realm="https://auth.example/token",service="reg"'
        return Response(401, {"WWW-Authenticate": challenge})
    if url == "https://auth.example/token":
        assert (request.header("Authorization") or "").startswith("Basic ")
        return Response(200, {}, json.dumps({"token": BEARER, "expires_in": 300}).encode())
    assert request.header("Authorization") == f"Bearer {BEARER}"
    if "/web/" in url:
        return Response(200, {"Docker-Content-Digest": DIGEST})
    if "/db/" in url:
        return Response(403, {}, f"denied for {BEARER}".encode())
    return Response(500, {}, b"oops")


class Login:
    def credentials_for(self, registry_host: str) -> Credentials | None:
        return Credentials("alice", REGISTRY_PASSWORD)


class Everything(logging.Handler):
    """Every record of every logger, formatted with its fields and traceback."""

    def __init__(self) -> None:
        super().__init__(level=1)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record) + " " + repr(record.__dict__))


@pytest.fixture
def everything() -> Iterator[Everything]:
    handler = Everything()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(1)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def test_no_secret_is_written_anywhere(
    everything: Everything, engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    for name in ("web", "db", "cache"):
        registry.publish(f"reg.example/{name}:1")
        engine.run(name, f"reg.example/{name}:1")
    closed = free_port()
    argv = [
        "--run-once",
        "--log-level",
        "trace",
        "--porcelain",
        "v1",
        "--http-api-update",
        "--http-api-metrics",
        "--http-api-token",
        API_TOKEN,
        "--notification-url",
        f"generic+http://127.0.0.1:{closed}/hook?token={HOOK_TOKEN}",
        "--notification-url",
        f"smtp://alice:{SMTP_PASSWORD}@127.0.0.1:{closed}/?from=a@x.test&to=b@x.test",
        "--notification-url",
        f"json://alice:{APPRISE_PASSWORD}@127.0.0.1:{closed}/path",
    ]
    config = load(argv, {})
    http = HttpRegistry(transport=MockTransport(hostile_registry), credentials=Login())
    logger = logging.getLogger("watchtower")
    logger.setLevel(TRACE)
    notifications = start(config.notifications, logger)
    out = io.StringIO()
    metrics = Metrics(clock=clock)
    try:
        code = serve(
            config,
            engine,
            http,
            logger=logger,
            stop=threading.Event(),
            stdout=out,
            notifications=notifications,
            metrics=metrics,
            clock=clock,
        )
    finally:
        logger.removeHandler(notifications.collector)
    assert code == 0
    assert notifications.notifications.failures >= 3  # every delivery failed, and said so

    runner = Runner(engine, http, config.params, metrics=metrics, logger=logger, clock=clock)
    api = create_app(runner, config.api, ready=lambda: True).test_client()
    auth = {"Authorization": f"Bearer {API_TOKEN}"}
    answers = [
        api.post("/v1/update", headers=auth),
        api.get("/v1/metrics", headers=auth),
        api.get("/v1/status", headers=auth),
        api.post("/v1/update", headers={"Authorization": f"Bearer {API_TOKEN}x"}),
        api.get("/v1/metrics", headers={"Authorization": REGISTRY_PASSWORD}),
        api.get("/livez"),
    ]
    written = [
        *everything.lines,
        out.getvalue(),
        *(a.get_data(as_text=True) + repr(dict(a.headers)) for a in answers),
        metrics.exposition()[0].decode() if isinstance(metrics.exposition()[0], bytes) else "",
        repr(config),
        repr(http),
        repr(notifications),
    ]
    assert any("could not" in line or "failed" in line for line in everything.lines)
    assert any("403" in line for line in everything.lines)  # db's refusal was logged
    for secret in SECRETS:
        leaks = [line[:300] for line in written if secret in line]
        assert not leaks, f"{secret} leaked: {leaks}"
