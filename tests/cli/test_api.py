"""The HTTP API on the in-memory backends, through Flask's test client."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from flask.testing import FlaskClient

from tests.support.net import free_port
from tests.support.pki import CertificateAuthority
from watchtower.cli.api import ApiServer, create_app
from watchtower.cli.api_settings import API_ENDPOINTS, ApiSettings
from watchtower.cli.runner import Runner
from watchtower.testing import FixedClock, MemoryRegistry

from .support import DB, WEB, GatedEngine, make_runner

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def gated(registry: MemoryRegistry) -> GatedEngine:
    return GatedEngine(registry)


@pytest.fixture
def runner(gated: GatedEngine, registry: MemoryRegistry, clock: FixedClock) -> Runner:
    return make_runner(gated, registry, clock)


@pytest.fixture
def api(runner: Runner) -> FlaskClient:
    settings = ApiSettings(endpoints=frozenset(API_ENDPOINTS), token=TOKEN)
    return create_app(runner, settings).test_client()


def stale(engine: GatedEngine, registry: MemoryRegistry, name: str, reference: str) -> None:
    registry.publish(reference)
    engine.run(name, reference)
    registry.publish(reference)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/v1/update"),
        ("post", "/v1/check"),
        ("get", "/v1/containers"),
        ("get", "/v1/metrics"),
        ("get", "/v1/status"),
        ("get", "/v1/history"),
    ],
)
@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic " + TOKEN}]
)
def test_a_wrong_or_missing_token_is_401_and_does_nothing(
    api: FlaskClient,
    gated: GatedEngine,
    registry: MemoryRegistry,
    method: str,
    path: str,
    headers: dict[str, str],
) -> None:
    stale(gated, registry, "web", WEB)
    before = len(gated.calls)
    response = getattr(api, method)(path, headers=headers)
    assert response.status_code == 401
    assert len(gated.calls) == before
    assert gated.container("web").image_id != registry.served(WEB)[1]


def test_update_replaces_the_stale_container(
    api: FlaskClient, gated: GatedEngine, registry: MemoryRegistry
) -> None:
    stale(gated, registry, "web", WEB)
    registry.publish(DB)
    gated.run("db", DB)
    response = api.post("/v1/update", headers=AUTH)
    assert response.status_code == 200
    body = response.get_json()
    assert body["summary"] == {
        "scanned": 2,
        "updated": 1,
        "failed": 0,
        "restarted": 0,
        "skipped": 0,
        "deferred": 0,
    }
    assert body["api_version"] == "v1"
    assert gated.container("web").image_id == registry.served(WEB)[1]


def test_token_without_bearer_prefix_and_in_any_case(api: FlaskClient) -> None:
    assert api.get("/v1/status", headers={"Authorization": TOKEN}).status_code == 204
    assert api.get("/v1/status", headers={"Authorization": f"bearer {TOKEN}"}).status_code == 204


def test_update_filters_by_container(
    api: FlaskClient, gated: GatedEngine, registry: MemoryRegistry
) -> None:
    stale(gated, registry, "web", WEB)
    stale(gated, registry, "db", DB)
    response = api.post("/v1/update?container=web", headers=AUTH)
    assert response.get_json()["summary"]["updated"] == 1
    assert gated.container("web").image_id == registry.served(WEB)[1]
    assert gated.container("db").image_id != registry.served(DB)[1]


def test_update_filters_by_image(
    api: FlaskClient, gated: GatedEngine, registry: MemoryRegistry
) -> None:
    stale(gated, registry, "web", WEB)
    stale(gated, registry, "db", DB)
    api.post("/v1/update?image=example.org/db", headers=AUTH)
    assert gated.container("db").image_id == registry.served(DB)[1]
    assert gated.container("web").image_id != registry.served(WEB)[1]


def _hold_a_run(runner: Runner, gated: GatedEngine) -> threading.Thread:
    gated.hold()
    thread = threading.Thread(target=runner.run)
    thread.start()
    assert gated.entered.wait(10)
    return thread


def test_a_full_update_while_a_run_is_going_is_429_with_retry_after(
    api: FlaskClient,
    runner: Runner,
    gated: GatedEngine,
) -> None:
    thread = _hold_a_run(runner, gated)
    try:
        response = api.post("/v1/update", headers=AUTH)
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "30"
        assert response.get_json() == {
            "error": "another update is already running",
            "api_version": "v1",
            "timestamp": "2026-01-01T00:00:00Z",
        }
        assert runner.metrics.value("watchtower_scans_skipped_total") == 1
    finally:
        gated.let_go()
        thread.join()


def test_an_async_update_is_accepted_and_runs(
    api: FlaskClient, runner: Runner, gated: GatedEngine, registry: MemoryRegistry
) -> None:
    stale(gated, registry, "web", WEB)
    gated.hold()
    response = api.post("/v1/update?async=true", headers=AUTH)
    assert response.status_code == 202
    assert gated.entered.wait(10)
    assert api.post("/v1/update?async=true", headers=AUTH).status_code == 429
    gated.let_go()
    assert runner.wait_idle(timedelta(seconds=30))
    assert gated.container("web").image_id == registry.served(WEB)[1]


def test_check_reports_stale_without_pulling(
    api: FlaskClient, gated: GatedEngine, registry: MemoryRegistry
) -> None:
    stale(gated, registry, "web", WEB)
    registry.publish(DB)
    gated.run("db", DB)
    registry.publish("example.org/pinned:1")
    pinned = registry.served("example.org/pinned:1")[0]
    gated.run("pinned", f"example.org/pinned:1@{pinned}")
    pulls = gated.count("pull")
    response = api.post("/v1/check", headers=AUTH)
    assert response.status_code == 200
    by_name = {c["name"]: c for c in response.get_json()["containers"]}
    assert by_name["web"]["update_available"] is True
    assert by_name["db"]["update_available"] is False
    assert by_name["pinned"]["error"] == "its image is pinned to a digest"
    assert gated.count("pull") == pulls
    assert gated.count("stop") == 0


def test_containers_lists_what_is_watched(
    api: FlaskClient, gated: GatedEngine, registry: MemoryRegistry
) -> None:
    registry.publish(WEB)
    web = gated.run("web", WEB)
    # A swarm service's task is the service's, not a container to watch.
    gated.run("svc.1.abc", WEB, labels={"com.docker.swarm.service.id": "s1"})
    body = api.get("/v1/containers", headers=AUTH).get_json()
    assert body["count"] == 1
    assert body["containers"][0] == {
        "name": "web",
        "image": "example.org/web:1",
        "image_id": web.image_id,
        "digest": registry.served(WEB)[0],
    }
    assert api.get("/v1/containers?name=db", headers=AUTH).get_json()["count"] == 0


def test_metrics_status_and_history_after_a_run(
    api: FlaskClient, gated: GatedEngine, registry: MemoryRegistry
) -> None:
    assert api.get("/v1/status", headers=AUTH).status_code == 204
    stale(gated, registry, "web", WEB)
    api.post("/v1/update", headers=AUTH)
    text = api.get("/v1/metrics", headers=AUTH).get_data(as_text=True)
    assert "watchtower_containers_scanned 1.0" in text
    assert "watchtower_containers_updated 1.0" in text
    assert "watchtower_scans_total 1.0" in text
    assert "# TYPE watchtower_containers_restarted_total counter" in text
    status = api.get("/v1/status", headers=AUTH).get_json()
    assert status["summary"]["updated"] == 1
    history = api.get("/v1/history?limit=5", headers=AUTH).get_json()
    assert history["count"] == 1
    assert history["entries"][0]["updated"] == 1
    assert history["entries"][0]["timestamp"] == "2026-01-01T00:00:00Z"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("since=yesterday", "invalid 'since' parameter"),
        ("limit=-1", "invalid 'limit' parameter"),
        ("since=99999999999999999", "invalid 'since' parameter"),
        ("until=" + "9" * 5000, "invalid 'until' parameter"),
        ("since=-5", "invalid 'since' parameter"),
        ("since=%C2%B2", "invalid 'since' parameter"),
        ("limit=%C2%B2", "invalid 'limit' parameter"),
        ("since=9999-12-31T23:59:59%2B23:59x", "invalid 'since' parameter"),
        ("since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z", "invalid time range"),
    ],
)
def test_history_rejects_bad_parameters(api: FlaskClient, query: str, message: str) -> None:
    response = api.get(f"/v1/history?{query}", headers=AUTH)
    assert response.status_code == 400 and response.mimetype == "application/json"
    assert response.get_json()["error"].startswith(message)


def test_health_needs_no_token(api: FlaskClient) -> None:
    assert api.get("/livez").status_code == 200
    assert api.get("/readyz").status_code == 200


def test_readyz_is_503_when_the_engine_does_not_answer(runner: Runner) -> None:
    app = create_app(runner, ApiSettings(endpoints=frozenset({"health"})), ready=lambda: False)
    assert app.test_client().get("/readyz").status_code == 503


def test_only_enabled_endpoints_exist(runner: Runner) -> None:
    app = create_app(runner, ApiSettings(endpoints=frozenset({"metrics"}), token=TOKEN))
    client: Any = app.test_client()
    assert client.post("/v1/update", headers=AUTH).status_code == 404
    assert client.get("/livez").status_code == 404
    assert client.get("/v1/metrics", headers=AUTH).status_code == 200


def test_a_refused_request_is_answered_in_json_and_logged(
    api: FlaskClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level("WARNING", logger="watchtower.test"):
        response = api.get("/v1/metrics", headers={"Authorization": "Bearer wrong"})
    assert response.get_json() == {"error": "missing or invalid API token", "api_version": "v1"}
    assert [r.getMessage() for r in caplog.records] == [
        "Refused an HTTP API request with a missing or invalid token"
    ]
    assert "wrong" not in caplog.text


def test_the_token_may_come_in_the_access_token_cookie(api: FlaskClient) -> None:
    api.set_cookie("access_token", TOKEN)
    assert api.get("/v1/status").status_code == 204
    api.set_cookie("access_token", "wrong")
    assert api.get("/v1/status").status_code == 401


def test_no_token_configured_refuses_everyone(runner: Runner) -> None:
    app = create_app(runner, ApiSettings(endpoints=frozenset({"metrics"})))
    for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": "Bearer x"}):
        assert app.test_client().get("/v1/metrics", headers=headers).status_code == 401


def test_update_answers_with_its_timing(api: FlaskClient) -> None:
    body = api.post("/v1/update", headers=AUTH).get_json()
    assert set(body) == {"summary", "timing", "timestamp", "api_version"}
    assert isinstance(body["timing"]["duration_ms"], int)
    assert body["timing"]["duration"].endswith("s")


def test_an_update_that_fails_is_500(api: FlaskClient, gated: GatedEngine) -> None:
    gated.fail("list")
    response = api.post("/v1/update", headers=AUTH)
    assert response.status_code == 500
    assert response.get_json() == {"error": "the update failed; see the log", "api_version": "v1"}


def test_check_and_containers_are_500_when_the_engine_fails(
    api: FlaskClient, gated: GatedEngine
) -> None:
    gated.fail("list", times=2)
    check = api.post("/v1/check", headers=AUTH)
    assert (check.status_code, check.get_json()["error"]) == (500, "failed to check for updates")
    listing = api.get("/v1/containers", headers=AUTH)
    assert (listing.status_code, listing.get_json()["error"]) == (500, "failed to list containers")


def test_check_answers_each_container_in_full(
    api: FlaskClient, gated: GatedEngine, registry: MemoryRegistry
) -> None:
    stale(gated, registry, "web", WEB)
    web = gated.container("web")
    body = api.post("/v1/check?container=web", headers=AUTH).get_json()
    assert body["count"] == 1
    assert body["containers"] == [
        {
            "name": "web",
            "image": "example.org/web:1",
            "image_id": web.image_id,
            "digest": web.repo_digests[0].rpartition("@")[2],
            "update_available": True,
            "latest_image_id": "",
            "latest_digest": registry.served(WEB)[0],
            "timestamp": "2026-01-01T00:00:00Z",
            "status": "stale",
        }
    ]


def test_every_timestamp_is_the_clock_time(
    api: FlaskClient, clock: FixedClock, gated: GatedEngine, registry: MemoryRegistry
) -> None:
    clock.advance(timedelta(days=3, seconds=5))
    stale(gated, registry, "web", WEB)
    answers = [
        api.post("/v1/update", headers=AUTH),
        api.post("/v1/check", headers=AUTH),
        api.get("/v1/containers", headers=AUTH),
        api.get("/v1/status", headers=AUTH),
        api.get("/v1/history", headers=AUTH),
    ]
    stamps = {response.get_json()["timestamp"] for response in answers}
    assert stamps == {"2026-01-04T00:00:05Z"}
    assert api.get("/v1/history", headers=AUTH).get_json()["entries"][0]["timestamp"] == (
        "2026-01-04T00:00:05Z"
    )


def test_health_answers_in_plain_text(api: FlaskClient) -> None:
    for path in ("/livez", "/readyz", "/startupz"):
        response = api.get(path)
        assert (response.status_code, response.get_data(as_text=True)) == (200, "OK")
        assert response.mimetype == "text/plain"


def test_a_wrong_method_is_405(api: FlaskClient) -> None:
    assert api.get("/v1/update", headers=AUTH).status_code == 405
    assert api.post("/v1/metrics", headers=AUTH).status_code == 405


PATHS = {
    "health": [("get", "/livez"), ("get", "/readyz"), ("get", "/startupz")],
    "update": [("post", "/v1/update")],
    "check": [("post", "/v1/check")],
    "containers": [("get", "/v1/containers"), ("get", "/v1/containers/details")],
    "metrics": [("get", "/v1/metrics"), ("get", "/v1/status")],
    "history": [("get", "/v1/history")],
    "images": [("get", "/v1/images")],
    "config": [("get", "/v1/config")],
    "swagger": [("get", "/v1/openapi.json"), ("get", "/swagger/")],
    "page": [("get", "/")],
    "events": [("get", "/v1/events")],
}


@pytest.mark.parametrize("endpoint", API_ENDPOINTS)
def test_each_endpoint_name_serves_its_paths_alone(runner: Runner, endpoint: str) -> None:
    settings = ApiSettings(endpoints=frozenset({endpoint}), token=TOKEN, events_token="e")
    app = create_app(runner, settings)
    client: Any = app.test_client()
    for name, routes in PATHS.items():
        for method, path in routes:
            status = getattr(client, method)(path, headers=AUTH).status_code
            assert (status != 404) == (name == endpoint), (method, path)


def test_two_apps_share_nothing(registry: MemoryRegistry, clock: FixedClock) -> None:
    first = create_app(
        make_runner(GatedEngine(registry), registry, clock),
        ApiSettings(endpoints=frozenset({"update"}), token="first"),
    )
    second = create_app(
        make_runner(GatedEngine(registry), registry, clock),
        ApiSettings(endpoints=frozenset({"metrics"}), token="second"),
    )
    one, two = first.test_client(), second.test_client()
    assert one.post("/v1/update", headers={"Authorization": "first"}).status_code == 200
    assert one.post("/v1/update", headers={"Authorization": "second"}).status_code == 401
    assert two.get("/v1/metrics", headers={"Authorization": "second"}).status_code == 200
    assert two.post("/v1/update", headers={"Authorization": "second"}).status_code == 404
    text = two.get("/v1/metrics", headers={"Authorization": "second"}).get_data(as_text=True)
    assert "watchtower_scans_total 0.0" in text


def test_the_server_serves_the_app_over_tls(runner: Runner, tmp_path: Path) -> None:
    authority = CertificateAuthority.create(tmp_path / "ca")
    cert, key = authority.issue(tmp_path)
    settings = ApiSettings(endpoints=frozenset({"health", "metrics"}), token=TOKEN)
    server = ApiServer(
        create_app(runner, settings), "127.0.0.1", free_port(), tls_cert=str(cert), tls_key=str(key)
    )
    server.start()
    try:
        base = f"https://127.0.0.1:{server.port}"
        assert requests.get(f"{base}/livez", verify=authority.cert_path, timeout=10).text == "OK"
        metrics = requests.get(
            f"{base}/v1/metrics", headers=AUTH, verify=authority.cert_path, timeout=10
        )
        assert metrics.status_code == 200
        assert "watchtower_scans_total 0.0" in metrics.text
        refused = requests.get(f"{base}/v1/metrics", verify=authority.cert_path, timeout=10)
        assert refused.status_code == 401
    finally:
        server.stop()
