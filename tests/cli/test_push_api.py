"""The push endpoints on the in-memory backends, through Flask's test client."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

import pytest
import requests
from flask.testing import FlaskClient

from tests.cli.support import GatedEngine, make_runner, receiver_of
from tests.support.net import free_port
from watchtower.cli import framing, guard
from watchtower.cli.api import ApiServer, create_app
from watchtower.cli.api_settings import ApiSettings
from watchtower.cli.push import PushReceiver
from watchtower.cli.push_settings import PUSH_SOURCES, PushSettings
from watchtower.cli.runner import Runner
from watchtower.push import PARSERS
from watchtower.testing import FixedClock, MemoryRegistry

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SECRET = "hub-secret-0123456789"
WEB = "example.org/web:1"
DB = "example.org/db:1"
DIGEST = "sha256:" + "cd" * 32
IDLE = timedelta(seconds=10)


@pytest.fixture
def gated(registry: MemoryRegistry) -> GatedEngine:
    engine = GatedEngine(registry)
    for name, reference in (("web", WEB), ("db", DB)):
        registry.publish(reference)
        engine.run(name, reference)
        registry.publish(reference)
    return engine


@pytest.fixture
def runner(gated: GatedEngine, registry: MemoryRegistry, clock: FixedClock) -> Runner:
    return make_runner(gated, registry, clock)


@pytest.fixture
def receiver(runner: Runner) -> Any:
    settings = PushSettings(frozenset(PUSH_SOURCES), SECRET)
    receiver = receiver_of(runner, settings, window=timedelta(milliseconds=50))
    receiver.start()
    yield receiver
    receiver.stop()


@pytest.fixture
def api(runner: Runner, receiver: PushReceiver) -> FlaskClient:
    return create_app(runner, ApiSettings(token=TOKEN), extra=(receiver.blueprint(),)).test_client()


def notification(reference: str = WEB, digest: str = DIGEST) -> dict[str, Any]:
    """A distribution registry's envelope: a layer push, then the manifest push."""
    repository, _, tag = reference.rpartition(":")
    host, _, path = repository.partition("/")
    layer = {"mediaType": "application/octet-stream", "repository": path, "digest": DIGEST}
    manifest = {
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "repository": path,
        "tag": tag,
        "digest": digest,
    }
    request = {"host": host, "method": "PUT"}
    return {
        "events": [
            {"action": "push", "target": layer, "request": request},
            {"action": "push", "target": manifest, "request": request},
        ]
    }


def updated(engine: GatedEngine, registry: MemoryRegistry, name: str, reference: str) -> bool:
    return engine.container(name).image_id == registry.served(reference)[1]


def test_a_registry_push_updates_that_container_only(
    runner: Runner,
    api: FlaskClient,
    receiver: PushReceiver,
    gated: GatedEngine,
    registry: MemoryRegistry,
) -> None:
    response = api.post("/v1/push/registry", json=notification(), headers=AUTH)
    assert response.status_code == 202
    assert response.get_json() == {"api_version": "v1", "events": 1, "queued": 1}
    assert receiver.queue.wait_idle(IDLE)
    assert updated(gated, registry, "web", WEB)
    assert not updated(gated, registry, "db", DB)
    assert registry.digest_requests == 1
    assert runner.last_report is not None and runner.last_report.trigger == "push"
    assert runner.metrics.value("watchtower_push_scans_total") == 1
    assert runner.metrics.value("watchtower_push_latency_seconds") >= 0


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic " + TOKEN}]
)
@pytest.mark.parametrize("path", ["/v1/push/registry", "/v1/push"])
def test_an_unauthenticated_push_is_401_one_log_line_and_no_run(
    api: FlaskClient,
    receiver: PushReceiver,
    gated: GatedEngine,
    registry: MemoryRegistry,
    caplog: pytest.LogCaptureFixture,
    headers: dict[str, str],
    path: str,
) -> None:
    body = notification() if path.endswith("registry") else {"repository": "example.org/web"}
    with caplog.at_level(logging.INFO, "watchtower.test"):
        response = api.post(path, json=body, headers=headers)
    assert response.status_code == 401
    assert receiver.queue.idle
    assert [r.getMessage() for r in caplog.records] == [
        f"Refused a {path.rpartition('/')[2].replace('push', 'generic')} push: "
        "missing or invalid token"
    ]
    assert not updated(gated, registry, "web", WEB)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"{", "The registry push payload is not JSON"),
        (b'{"events": "x"}', "The registry push payload has no 'events' list."),
        (
            json.dumps(notification("example.org/web:bad tag")).encode(),
            "The registry push event #2 names no image",
        ),
    ],
)
def test_a_malformed_push_is_400_with_the_reason_one_log_line_and_no_run(
    api: FlaskClient,
    receiver: PushReceiver,
    registry: MemoryRegistry,
    caplog: pytest.LogCaptureFixture,
    body: bytes,
    error: str,
) -> None:
    with caplog.at_level(logging.INFO, "watchtower.test"):
        response = api.post("/v1/push/registry", data=body, headers=AUTH)
    assert response.status_code == 400
    assert response.get_json()["error"].startswith(error)
    assert len(caplog.records) == 1
    assert caplog.records[0].getMessage().startswith("Refused a registry push: " + error)
    assert receiver.queue.idle
    assert registry.digest_requests == 0


def test_an_unknown_repository_is_accepted_and_runs_nothing(
    runner: Runner,
    api: FlaskClient,
    receiver: PushReceiver,
    registry: MemoryRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, "watchtower.test"):
        response = api.post(
            "/v1/push/registry", json=notification("example.org/other:1"), headers=AUTH
        )
        assert response.status_code == 202
        assert receiver.queue.wait_idle(IDLE)
    assert registry.digest_requests == 0
    assert runner.metrics.value("watchtower_scans_total") == 0
    assert "No container in scope runs the pushed image: example.org/other:1" in caplog.text


def test_a_duplicate_notification_runs_once(
    runner: Runner, api: FlaskClient, receiver: PushReceiver, gated: GatedEngine
) -> None:
    gated.hold()  # keep the first batch from finishing while the duplicate arrives
    first = api.post("/v1/push/registry", json=notification(), headers=AUTH)
    second = api.post("/v1/push/registry", json=notification(), headers=AUTH)
    gated.let_go()
    assert receiver.queue.wait_idle(IDLE)
    assert (first.get_json()["queued"], second.get_json()["queued"]) == (1, 0)
    again = api.post("/v1/push/registry", json=notification(), headers=AUTH)
    assert again.get_json()["queued"] == 0
    assert receiver.queue.wait_idle(IDLE)
    assert runner.metrics.value("watchtower_scans_total") == 1


def test_a_burst_of_pushes_is_one_run(runner: Runner, gated: GatedEngine) -> None:
    settings = PushSettings(frozenset({"registry"}))
    # A window far longer than the three requests take, so that they are one burst.
    receiver = receiver_of(runner, settings, window=timedelta(seconds=1))
    api = create_app(runner, ApiSettings(token=TOKEN), extra=(receiver.blueprint(),)).test_client()
    receiver.start()
    gated.hold()
    assert runner.start()  # a scheduled run holds the runner
    assert gated.entered.wait(5)
    for n, reference in enumerate((WEB, DB, WEB)):
        digest = "sha256:" + str(n) * 64
        response = api.post("/v1/push/registry", json=notification(reference, digest), headers=AUTH)
        assert response.status_code == 202
    assert not receiver.queue.idle  # queued, not dropped, while the runner is busy
    gated.let_go()
    assert receiver.queue.wait_idle(IDLE)
    assert runner.wait_idle(IDLE)
    # The scheduled run, then one push run for the whole burst.
    assert runner.metrics.value("watchtower_scans_total") == 2
    assert runner.metrics.value("watchtower_push_scans_total") == 1
    receiver.stop()


def test_docker_hub_pushes_carry_the_secret_in_the_url(
    api: FlaskClient, receiver: PushReceiver
) -> None:
    body = {"push_data": {"tag": "1"}, "repository": {"repo_name": "team/app"}}
    assert api.post(f"/v1/push/dockerhub/{SECRET}", json=body).status_code == 202
    refused = api.post("/v1/push/dockerhub/wrong", json=body)
    assert refused.status_code == 401
    assert refused.get_json()["error"] == "missing or invalid secret"
    assert api.post("/v1/push/dockerhub/", json=body).status_code == 404
    assert receiver.queue.wait_idle(IDLE)


def test_a_source_not_enabled_is_not_served(runner: Runner) -> None:
    settings = PushSettings(frozenset({"dockerhub"}), SECRET)
    receiver = receiver_of(runner, settings)
    app = create_app(runner, ApiSettings(token=TOKEN), extra=(receiver.blueprint(),)).test_client()
    assert app.post("/v1/push/registry", json=notification(), headers=AUTH).status_code == 404
    assert app.post("/v1/push", json={}, headers=AUTH).status_code == 404


def test_the_generic_form(
    api: FlaskClient, receiver: PushReceiver, gated: GatedEngine, registry: MemoryRegistry
) -> None:
    body = {"repository": "example.org/db", "tag": "1"}
    response = api.post("/v1/push", json=body, headers=AUTH)
    assert response.status_code == 202
    assert receiver.queue.wait_idle(IDLE)
    assert updated(gated, registry, "db", DB)
    assert not updated(gated, registry, "web", WEB)


def test_a_registry_s_many_notifications_are_not_rate_limited(
    runner: Runner, receiver: PushReceiver
) -> None:
    """A registry posts one notification per layer: the API's rate limit never drops them."""
    settings = ApiSettings(token=TOKEN, rate_limit=2)
    api = create_app(runner, settings, extra=(receiver.blueprint(),)).test_client()
    codes = [
        api.post("/v1/push/registry", json=notification(), headers=AUTH).status_code
        for _ in range(5)
    ]
    assert codes == [202] * 5


def test_an_error_on_a_push_path_is_logged_without_the_secret(
    api: FlaskClient, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the parser broke")

    monkeypatch.setitem(PARSERS, "dockerhub", broken)
    with caplog.at_level(logging.ERROR, "watchtower.cli.api"):
        assert api.post(f"/v1/push/dockerhub/{SECRET}", json={}).status_code == 500
    assert "Exception on /v1/push/dockerhub/*** [POST]" in caplog.text
    assert SECRET not in caplog.text


def test_past_the_door_cheroot_s_bound_on_a_chunked_body_is_413_not_500(
    runner: Runner, receiver: PushReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Were the door to let a chunked body over 64 KiB through, cheroot's own bound answers 413."""
    app = create_app(runner, ApiSettings(token=TOKEN), extra=(receiver.blueprint(),))
    server = ApiServer(app, "127.0.0.1", free_port())
    monkeypatch.setattr(framing, "MAX_BODY_BYTES", 4 * guard.MAX_BODY_BYTES)
    server.start()
    try:
        url = f"http://127.0.0.1:{server.port}/v1/push/dockerhub/{SECRET}"
        answer = requests.post(url, data=(b"x" * 8192 for _ in range(9)), timeout=10)
        assert answer.status_code == 413
    finally:
        server.stop()


def test_cheroot_s_error_lines_hide_secrets_in_request_targets(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = guard.GuardedServer(("127.0.0.1", 0), lambda *_: [])
    with caplog.at_level(logging.INFO, "watchtower.cli.api"):
        server.error_log(f"Bad: POST /v1/push/dockerhub/{SECRET}?access_token=tok HTTP/1.1")
    assert caplog.records[-1].getMessage() == (
        "Bad: POST /v1/push/dockerhub/***?access_token=*** HTTP/1.1"
    )
