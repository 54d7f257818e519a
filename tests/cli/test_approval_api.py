"""``GET /v1/approvals`` and ``POST /v1/approvals/<name>/approve|reject``, via the runner."""

from __future__ import annotations

import threading

import pytest
from flask.testing import FlaskClient

from watchtower import update
from watchtower.cli.api import OPERATIONS, create_app
from watchtower.cli.api_settings import API_ENDPOINTS, ApiSettings
from watchtower.cli.runner import Runner
from watchtower.history import MemoryHistory, State
from watchtower.labels import POLICY
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry
from watchtower.versions import VERSION

from .support import make_runner

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
WEB = "example.org/web:1"


@pytest.fixture
def history() -> MemoryHistory:
    return MemoryHistory()


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
def pending(engine: MemoryEngine, registry: MemoryRegistry, history: MemoryHistory) -> str:
    """web, of the approve policy, runs 1.0 and waits for 1.1; the digest it waits with."""
    registry.publish(WEB, labels={VERSION: "1.0"})
    engine.run("web", WEB, labels={POLICY: "approve"})
    registry.publish(WEB, labels={VERSION: "1.1"})
    update(engine, registry, history=history)
    return history.approvals()[("", "web")].digest


def test_approvals_need_the_token(api: FlaskClient, pending: str, engine: MemoryEngine) -> None:
    assert api.get("/v1/approvals").status_code == 401
    for verb in ("approve", "reject"):
        assert api.post(f"/v1/approvals/web/{verb}").status_code == 401
    assert engine.container("web").labels[VERSION] == "1.0"


def test_the_pending_updates_are_listed(api: FlaskClient, pending: str) -> None:
    body = api.get("/v1/approvals", headers=AUTH).json
    assert body is not None
    [approval] = body["approvals"]
    assert (approval["container"], approval["state"], approval["digest"]) == (
        "web",
        "pending",
        pending,
    )
    assert (approval["old_version"], approval["new_version"]) == ("1.0", "1.1")
    assert "(version 1.0 -> 1.1)  (waits for approval" in approval["summary"]
    decided = api.get("/v1/approvals?state=approved", headers=AUTH).json
    assert decided is not None and decided["approvals"] == []
    assert api.get("/v1/approvals?state=later", headers=AUTH).status_code == 400


def test_an_approval_runs_the_update_at_once(
    api: FlaskClient, pending: str, engine: MemoryEngine, history: MemoryHistory
) -> None:
    response = api.post(f"/v1/approvals/web/approve?digest={pending}", headers=AUTH)
    assert response.status_code == 200, response.json
    body = response.json
    assert body is not None
    assert body["approval"]["state"] == "approved" and body["approval"]["digest"] == pending
    assert body["entry"]["outcome"] == "updated"
    assert engine.container("web").labels[VERSION] == "1.1"
    [run] = history.runs(limit=1)
    assert run.trigger == "approval"


def test_an_approval_of_another_digest_is_refused_and_nothing_runs(
    api: FlaskClient, pending: str, engine: MemoryEngine, history: MemoryHistory
) -> None:
    runs = len(history.runs(limit=0))
    response = api.post("/v1/approvals/web/approve?digest=" + "f" * 64, headers=AUTH)
    assert response.status_code == 409
    assert response.json is not None and "is for digest" in response.json["error"]
    assert engine.container("web").labels[VERSION] == "1.0"
    assert len(history.runs(limit=0)) == runs
    assert history.approvals()[("", "web")].state is State.PENDING


def test_an_approval_the_registry_moved_past_is_asked_anew(
    api: FlaskClient,
    pending: str,
    engine: MemoryEngine,
    registry: MemoryRegistry,
    history: MemoryHistory,
) -> None:
    registry.publish(WEB, labels={VERSION: "1.2"})
    body = api.post("/v1/approvals/web/approve", headers=AUTH).json
    assert body is not None and body["entry"]["outcome"] == "stale"
    assert engine.container("web").labels[VERSION] == "1.0"
    again = history.approvals()[("", "web")]
    assert again.state is State.PENDING and again.new_version == "1.2"


def test_a_rejection_is_kept_and_runs_nothing(
    api: FlaskClient, pending: str, engine: MemoryEngine, runner: Runner
) -> None:
    body = api.post("/v1/approvals/web/reject", headers=AUTH).json
    assert body is not None and body["approval"]["state"] == "rejected"
    assert "entry" not in body
    report = runner.run()
    assert report is not None and report.get("web").outcome.value == "skipped"  # type: ignore[union-attr]
    assert engine.container("web").labels[VERSION] == "1.0"
    listed = api.get("/v1/approvals?state=all", headers=AUTH).json
    assert listed is not None and [a["state"] for a in listed["approvals"]] == ["rejected"]


def test_nothing_to_decide_is_a_409_naming_the_container(api: FlaskClient) -> None:
    response = api.post("/v1/approvals/db/approve?host=b", headers=AUTH)
    assert response.status_code == 409
    assert response.json is not None
    assert response.json["error"].startswith("No update of db on host b waits for approval")


def test_without_a_history_approvals_are_refused(api: FlaskClient, runner: Runner) -> None:
    runner.history = None
    for call in (
        api.get("/v1/approvals", headers=AUTH),
        api.post("/v1/approvals/web/approve", headers=AUTH),
    ):
        assert call.status_code == 400
        assert call.json is not None
        assert call.json["error"] == "Approvals need the history kept with --data-dir."


def test_an_approval_waits_for_a_run_in_progress(
    api: FlaskClient, pending: str, runner: Runner, engine: MemoryEngine
) -> None:
    answers: list[int] = []
    with runner._lock:  # a run in progress
        thread = threading.Thread(
            target=lambda: answers.append(
                api.post("/v1/approvals/web/approve", headers=AUTH).status_code
            )
        )
        thread.start()
        thread.join(0.3)
        assert thread.is_alive() and engine.container("web").labels[VERSION] == "1.0"
    thread.join(10)
    assert answers == [200] and engine.container("web").labels[VERSION] == "1.1"


def test_the_operations_are_in_the_openapi_document(api: FlaskClient) -> None:
    paths = {(op.method, op.path) for op in OPERATIONS}
    assert {
        ("get", "/v1/approvals"),
        ("post", "/v1/approvals/{name}/approve"),
        ("post", "/v1/approvals/{name}/reject"),
    } <= paths
    document = api.get("/v1/openapi.json").json
    assert document is not None
    approve = document["paths"]["/v1/approvals/{name}/approve"]["post"]
    assert approve["operationId"] == "post_v1_approvals_name_approve"
    assert {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}} in (
        approve["parameters"]
    )
