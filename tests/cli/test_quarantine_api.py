"""``GET /v1/quarantine`` and ``POST /v1/quarantine/release``: token-guarded, JSON errors."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from watchtower.cli.api import OPERATIONS, create_app
from watchtower.cli.api_settings import API_ENDPOINTS, ApiSettings
from watchtower.cli.runner import Runner
from watchtower.history import MemoryHistory
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry

from .support import make_runner

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
WEB = "example.org/web:1"


@pytest.fixture
def history(clock: FixedClock) -> MemoryHistory:
    return MemoryHistory(clock=clock)


@pytest.fixture
def runner(
    engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock, history: MemoryHistory
) -> Runner:
    return make_runner(engine, registry, clock, history=history)


@pytest.fixture
def api(runner: Runner) -> FlaskClient:
    settings = ApiSettings(endpoints=frozenset(API_ENDPOINTS), token=TOKEN)
    return create_app(runner, settings).test_client()


@pytest.fixture
def failed(engine: MemoryEngine, registry: MemoryRegistry, runner: Runner) -> str:
    """web's update failed to start: its digest is quarantined. The digest."""
    registry.publish(WEB)
    engine.run("web", WEB)
    registry.publish(WEB)
    engine.fail("start", "web")
    report = runner.run()
    assert report is not None and len(report.quarantined) == 1
    return registry.served(WEB)[0]


def test_both_need_the_token(api: FlaskClient, failed: str) -> None:
    assert api.get("/v1/quarantine").status_code == 401
    response = api.post(f"/v1/quarantine/release?digest={failed}")
    assert response.status_code == 401


def test_the_list_shows_it_and_the_release_lets_the_next_run_update(
    api: FlaskClient, failed: str, runner: Runner, engine: MemoryEngine, registry: MemoryRegistry
) -> None:
    body = api.get("/v1/quarantine", headers=AUTH).json
    assert body is not None
    [listed] = body["quarantined"]
    assert listed["digest"] == failed and listed["active"] is True
    assert listed["container"] == "web" and "did not start" in listed["reason"]
    report = runner.run()
    assert report is not None and report.get("web").outcome.value == "skipped"  # type: ignore[union-attr]

    response = api.post(f"/v1/quarantine/release?digest={failed[:19]}&by=ops", headers=AUTH)

    assert response.status_code == 200, response.json
    assert response.json is not None
    released = response.json["released"]
    assert released["active"] is False and released["released_by"] == "ops"
    report = runner.run()
    assert report is not None and report.get("web").outcome.value == "updated"  # type: ignore[union-attr]
    assert engine.container("web").image_id == registry.served(WEB)[1]


@pytest.mark.parametrize(
    ("query", "status", "words"),
    [
        ("", 400, "the 'digest' parameter names the digest to release"),
        ("digest=nothex", 400, "'nothex' is no digest"),
        ("digest=sha256:cdcdcdcdcdcd", 404, "No quarantined digest starts with"),
    ],
)
def test_what_cannot_be_released_is_a_json_error(
    api: FlaskClient, failed: str, query: str, status: int, words: str
) -> None:
    response = api.post(f"/v1/quarantine/release?{query}", headers=AUTH)
    assert response.status_code == status
    assert response.json is not None and response.json["error"].startswith(words)


def test_without_a_history_the_list_is_empty_and_a_release_is_refused(
    api: FlaskClient, runner: Runner
) -> None:
    runner.history = None
    body = api.get("/v1/quarantine", headers=AUTH).json
    assert body is not None and body["quarantined"] == []
    response = api.post("/v1/quarantine/release?digest=abababababab", headers=AUTH)
    assert response.status_code == 400
    assert response.json is not None
    assert response.json["error"] == "A release needs the history kept with --data-dir."


def test_the_operations_are_declared_and_the_release_changes_something() -> None:
    ops = {(op.method, op.path): op for op in OPERATIONS}
    assert ops["get", "/v1/quarantine"].changes == ""
    assert ops["post", "/v1/quarantine/release"].changes
    assert [p.name for p in ops["post", "/v1/quarantine/release"].params] == ["digest", "by"]
