"""The HTTP API on the in-memory backends, through Flask's test client."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from flask.testing import FlaskClient

from watchtower.cli.api import create_app
from watchtower.cli.config import API_ENDPOINTS, ApiSettings
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
    [("post", "/v1/update"), ("post", "/v1/check"), ("get", "/v1/containers"),
     ("get", "/v1/metrics"), ("get", "/v1/status"), ("get", "/v1/history")],
)
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"},
                                     {"Authorization": "Basic " + TOKEN}])
def test_a_wrong_or_missing_token_is_401_and_does_nothing(
    api: FlaskClient, gated: GatedEngine, registry: MemoryRegistry, method: str, path: str,
    headers: dict[str, str],
) -> None:
    stale(gated, registry, "web", WEB)
    before = len(gated.calls)
    response = getattr(api, method)(path, headers=headers)
    assert response.status_code == 401
    assert len(gated.calls) == before
    assert gated.container("web").image_id != registry.served(WEB)[1]


def test_update_replaces_the_stale_container(api: FlaskClient, gated: GatedEngine,
                                             registry: MemoryRegistry) -> None:
    stale(gated, registry, "web", WEB)
    registry.publish(DB)
    gated.run("db", DB)
    response = api.post("/v1/update", headers=AUTH)
    assert response.status_code == 200
    body = response.get_json()
    assert body["summary"] == {"scanned": 2, "updated": 1, "failed": 0, "restarted": 0,
                               "skipped": 0}
    assert body["api_version"] == "v1"
    assert gated.container("web").image_id == registry.served(WEB)[1]


def test_token_without_bearer_prefix_and_in_any_case(api: FlaskClient) -> None:
    assert api.get("/v1/status", headers={"Authorization": TOKEN}).status_code == 204
    assert api.get("/v1/status", headers={"Authorization": f"bearer {TOKEN}"}).status_code == 204


def test_update_filters_by_container(api: FlaskClient, gated: GatedEngine,
                                     registry: MemoryRegistry) -> None:
    stale(gated, registry, "web", WEB)
    stale(gated, registry, "db", DB)
    response = api.post("/v1/update?container=web", headers=AUTH)
    assert response.get_json()["summary"]["updated"] == 1
    assert gated.container("web").image_id == registry.served(WEB)[1]
    assert gated.container("db").image_id != registry.served(DB)[1]


def test_update_filters_by_image(api: FlaskClient, gated: GatedEngine,
                                 registry: MemoryRegistry) -> None:
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
    api: FlaskClient, runner: Runner, gated: GatedEngine,
) -> None:
    thread = _hold_a_run(runner, gated)
    try:
        response = api.post("/v1/update", headers=AUTH)
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "30"
        assert response.get_json()["error"] == "another update is already running"
        assert runner.metrics.value("watchtower_scans_skipped_total") == 1
    finally:
        gated.let_go()
        thread.join()


def test_an_async_update_is_accepted_and_runs(api: FlaskClient, runner: Runner,
                                              gated: GatedEngine,
                                              registry: MemoryRegistry) -> None:
    stale(gated, registry, "web", WEB)
    gated.hold()
    response = api.post("/v1/update?async=true", headers=AUTH)
    assert response.status_code == 202
    assert gated.entered.wait(10)
    assert api.post("/v1/update?async=true", headers=AUTH).status_code == 429
    gated.let_go()
    assert runner.wait_idle(__import__("datetime").timedelta(seconds=30))
    assert gated.container("web").image_id == registry.served(WEB)[1]


def test_check_reports_stale_without_pulling(api: FlaskClient, gated: GatedEngine,
                                             registry: MemoryRegistry) -> None:
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


def test_containers_lists_what_is_watched(api: FlaskClient, gated: GatedEngine,
                                          registry: MemoryRegistry) -> None:
    registry.publish(WEB)
    web = gated.run("web", WEB)
    body = api.get("/v1/containers", headers=AUTH).get_json()
    assert body["count"] == 1
    assert body["containers"][0] == {"name": "web", "image": "example.org/web:1",
                                     "image_id": web.image_id,
                                     "digest": registry.served(WEB)[0]}
    assert api.get("/v1/containers?name=db", headers=AUTH).get_json()["count"] == 0


def test_metrics_status_and_history_after_a_run(api: FlaskClient, gated: GatedEngine,
                                                registry: MemoryRegistry) -> None:
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
    [("since=yesterday", "invalid 'since' parameter"),
     ("limit=-1", "invalid 'limit' parameter"),
     ("since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z", "invalid time range")],
)
def test_history_rejects_bad_parameters(api: FlaskClient, query: str, message: str) -> None:
    response = api.get(f"/v1/history?{query}", headers=AUTH)
    assert response.status_code == 400
    assert response.get_data(as_text=True).startswith(message)


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
