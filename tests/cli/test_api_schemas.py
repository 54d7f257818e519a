"""The API answers what its OpenAPI document says: real answers held up to the declared schemas.

Every declared operation's errors (400, 401, 404, 405) are JSON matching
``Error``; every boolean parameter is read by one parser; a ``POST`` refuses
a parameter it does not take; a filter naming no watched container is 400.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from flask import Blueprint
from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate

from tests.support.openapi import assert_matches_schema, component, document
from watchtower import UpdateParams, events, update
from watchtower._text import parse_bool
from watchtower.cli.api import OPERATIONS, create_app
from watchtower.cli.api.stream import sse_message
from watchtower.cli.api_settings import API_ENDPOINTS, ApiSettings
from watchtower.cli.openapi import Operation
from watchtower.cli.runner import Runner
from watchtower.events import Checked, Failed, HookRan, RunFinished, Stopping
from watchtower.history import MemoryHistory
from watchtower.labels import POLICY, SNAPSHOT_VOLUMES
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry
from watchtower.versions import VERSION

from .support import DB, WEB, make_runner

AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
TOKEN = "s3cret-token"
EVENTS = "events-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def history() -> MemoryHistory:
    return MemoryHistory()


@pytest.fixture
def runner(
    engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock, history: MemoryHistory
) -> Runner:
    return make_runner(engine, registry, clock, history=history)


def client_of(runner: Runner, **settings: Any) -> FlaskClient:
    given = {"endpoints": frozenset(API_ENDPOINTS), "token": TOKEN, "events_token": EVENTS}
    return create_app(runner, ApiSettings(**{**given, **settings})).test_client()


@pytest.fixture
def api(runner: Runner) -> FlaskClient:
    return client_of(runner)


@pytest.fixture
def watched(engine: MemoryEngine, registry: MemoryRegistry) -> None:
    """web is stale (1.0, the registry serves 1.1); db is up to date."""
    registry.publish(WEB, labels={VERSION: "1.0"})
    engine.run("web", WEB)
    registry.publish(WEB, labels={VERSION: "1.1"})
    registry.publish(DB)
    engine.run("db", DB)


def _concrete(path: str) -> str:
    return re.sub(r"\{\w+\}", "web", path)


def _id(op: Operation) -> str:
    return f"{op.method.upper()} {op.path}"


# The document -----------------------------------------------------------------------


def test_the_document_is_valid_and_every_error_answer_is_the_error_schema() -> None:
    doc = document()
    validate(doc)
    assert {"Error", "Container", "CheckResult", "Summary", "HistoryRun", "HistoryChange"} <= set(
        doc["components"]["schemas"]
    )
    assert {"Event", "Approval"} <= set(doc["components"]["schemas"])
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            for status, answer in op["responses"].items():
                if status == "default" or int(status) >= 400:
                    assert answer["content"] == {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    }, (method, path, status)


def test_json_answers_are_described_beyond_a_bare_object() -> None:
    for path, methods in document()["paths"].items():
        for method, op in methods.items():
            content = op["responses"]["200"].get("content", {})
            schema = content.get("application/json", {}).get("schema")
            if schema is not None and path != "/v1/openapi.json":
                assert schema.get("required"), (method, path)


def test_the_operations_that_change_containers_say_so_and_the_others_do_not() -> None:
    changing = {
        f"{method.upper()} {path}": op.get("x-watchtower-changes", "")
        for path, methods in document()["paths"].items()
        for method, op in methods.items()
    }
    for which in (
        "POST /v1/update",
        "POST /v1/rollback",
        "POST /v1/release",
        "POST /v1/approvals/{name}/approve",
        "POST /v1/approvals/{name}/reject",
    ):
        assert changing[which].startswith("This "), which
    assert not changing["POST /v1/check"]
    assert not [w for w, said in changing.items() if w.startswith("GET ") and said]


def test_the_event_schema_covers_every_event_class() -> None:
    classes = [
        getattr(events, name)
        for name in events.__all__
        if isinstance(getattr(events, name), type)
        and issubclass(getattr(events, name), events.Event)
        and getattr(events, name) is not events.Event
    ]
    # An instance made without its fields is enough to read its kind.
    kinds = {object.__new__(cls).kind for cls in classes}
    schema = document()["components"]["schemas"]["Event"]
    assert set(schema["properties"]["type"]["enum"]) == kinds
    assert {v["properties"]["kind"]["enum"][0] for v in schema["properties"]["data"]["oneOf"]} == (
        kinds
    )


@pytest.mark.parametrize(
    "event",
    [
        Checked(at=AT, container="web", image=WEB, status="stale"),
        Stopping(
            at=AT,
            container="web",
            container_id="abc",
            signal="SIGTERM",
            timeout=timedelta(seconds=10),
        ),
        HookRan(at=AT, container="web", hook="pre-check", command="x", exit_code=None),
        Failed(at=AT, container="web", step="pull", reason="it failed"),
        RunFinished(
            at=AT,
            duration=timedelta(seconds=2),
            scanned=2,
            updated=1,
            failed=0,
        ),
    ],
    ids=lambda e: e.kind,
)
def test_a_stream_message_matches_the_event_schema(event: Any) -> None:
    data = json.loads(sse_message(event).split("data: ", 1)[1])
    component("Event", data)
    broken = {**data, "data": {**data["data"], "kind": "no_such_event"}}
    with pytest.raises(Exception, match=r"no_such_event|not valid"):
        component("Event", broken)


# Errors of every declared operation -----------------------------------------------------

_GUARDED = [op for op in OPERATIONS if op.auth != "none"]


@pytest.mark.parametrize("op", _GUARDED, ids=_id)
def test_without_the_token_every_guarded_operation_is_401_json(
    api: FlaskClient, op: Operation
) -> None:
    response = api.open(_concrete(op.path), method=op.method.upper())
    body = assert_matches_schema(response, _id(op), 401)
    assert body["error"] == "missing or invalid API token"


@pytest.mark.parametrize("op", OPERATIONS, ids=_id)
def test_the_wrong_method_on_every_operation_is_405_json(api: FlaskClient, op: Operation) -> None:
    other = "POST" if op.method == "get" else "PUT"
    response = api.open(_concrete(op.path), method=other, headers=AUTH)
    body = assert_matches_schema(response, _id(op), 405)
    assert body["error"] == f"{other} is not allowed on {_concrete(op.path)}"
    assert op.method.upper() in response.headers["Allow"]


@pytest.mark.parametrize("op", OPERATIONS, ids=_id)
def test_a_path_below_every_operation_is_404_json(api: FlaskClient, op: Operation) -> None:
    path = _concrete(op.path).rstrip("/") + "/no-such-thing"
    response = api.open(path, method=op.method.upper(), headers=AUTH)
    assert response.status_code == 404 and response.mimetype == "application/json"
    component("Error", response.get_json())
    assert response.get_json()["error"] == f"no such endpoint: {op.method.upper()} {path}"


_POSTS = [op for op in OPERATIONS if op.method == "post"]


@pytest.mark.parametrize("op", _POSTS, ids=_id)
def test_every_post_refuses_a_parameter_it_does_not_take(
    api: FlaskClient, op: Operation, watched: None, engine: MemoryEngine
) -> None:
    before = engine.container("web").image_id
    response = api.post(_concrete(op.path) + "?contaner=web", headers=AUTH)
    body = assert_matches_schema(response, _id(op), 400)
    assert body["error"].startswith(f"unknown query parameter 'contaner' for {_id(op)}")
    assert engine.container("web").image_id == before


_BOOLEANS = [(op, p.name) for op in OPERATIONS for p in op.params if p.type == "boolean"]


@pytest.mark.parametrize(("op", "name"), _BOOLEANS, ids=lambda v: getattr(v, "path", v))
@pytest.mark.parametrize("value", ["maybe", "tru", "2"])
def test_every_boolean_parameter_refuses_what_is_no_boolean(
    api: FlaskClient, op: Operation, name: str, value: str, watched: None, engine: MemoryEngine
) -> None:
    before = engine.container("web").image_id
    response = api.open(f"{op.path}?{name}={value}", method=op.method.upper(), headers=AUTH)
    body = assert_matches_schema(response, _id(op), 400)
    assert body["error"] == f"invalid {name!r} parameter: {value!r} is not true or false"
    assert engine.container("web").image_id == before


def test_async_maybe_runs_nothing(api: FlaskClient, watched: None, engine: MemoryEngine) -> None:
    before = engine.container("web").image_id
    assert api.post("/v1/update?async=maybe", headers=AUTH).status_code == 400
    assert engine.container("web").image_id == before
    assert api.post("/v1/update?async=yes", headers=AUTH).status_code == 202


def test_a_get_ignores_a_parameter_it_does_not_take(api: FlaskClient, watched: None) -> None:
    response = api.get("/v1/containers?cache=123", headers=AUTH)
    assert_matches_schema(response, "GET /v1/containers", 200)


# Filters that name nothing ------------------------------------------------------------


@pytest.mark.parametrize("path", ["/v1/update", "/v1/check"])
@pytest.mark.parametrize(
    ("query", "sentence"),
    [
        ("container=no-such", "no watched container is named 'no-such'"),
        ("container=web,no-such", "no watched container is named 'no-such'"),
        ("container=web&container=no-such", "no watched container is named 'no-such'"),
        ("image=example.org/none", "no watched container runs the image 'example.org/none'"),
        ("container=db&image=example.org/web", "no watched container is named 'db' and runs"),
    ],
)
def test_a_filter_naming_no_watched_container_is_400(
    api: FlaskClient,
    watched: None,
    engine: MemoryEngine,
    path: str,
    query: str,
    sentence: str,
) -> None:
    before = engine.container("web").image_id
    response = api.post(f"{path}?{query}", headers=AUTH)
    body = assert_matches_schema(response, f"POST {path}", 400)
    assert body["error"].startswith(sentence)
    assert engine.container("web").image_id == before


def test_a_filter_naming_an_up_to_date_container_is_200(api: FlaskClient, watched: None) -> None:
    body = assert_matches_schema(
        api.post("/v1/update?container=db", headers=AUTH), "POST /v1/update", 200
    )
    assert body["summary"] == {
        "scanned": 1,
        "updated": 0,
        "failed": 0,
        "restarted": 0,
        "skipped": 0,
        "deferred": 0,
    }
    checked = assert_matches_schema(
        api.post("/v1/check?container=db", headers=AUTH), "POST /v1/check", 200
    )
    assert [(c["name"], c["update_available"]) for c in checked["containers"]] == [("db", False)]


# Flask's and the hardening's own errors ---------------------------------------------------


def test_an_unexpected_error_is_500_json_without_its_detail(runner: Runner) -> None:
    failing = Blueprint("failing", __name__)

    @failing.get("/v1/boom")
    def _boom() -> str:
        raise RuntimeError("secret detail")

    app = create_app(
        runner, ApiSettings(endpoints=frozenset(API_ENDPOINTS), token=TOKEN), extra=[failing]
    )
    app.testing = False
    response = app.test_client().get("/v1/boom")
    assert (response.status_code, response.mimetype) == (500, "application/json")
    component("Error", response.get_json())
    assert "secret detail" not in response.get_data(as_text=True)


def test_a_body_over_flasks_bound_is_413_json(runner: Runner) -> None:
    app = create_app(runner, ApiSettings(endpoints=frozenset(API_ENDPOINTS), token=TOKEN))
    app.config["MAX_CONTENT_LENGTH"] = 10
    failing = app.test_client().post("/login", data={"token": "x" * 100})
    assert (failing.status_code, failing.mimetype) == (413, "application/json")
    assert failing.get_json()["error"] == "request body too large"


def test_readyz_is_503_json_when_the_engine_does_not_answer(runner: Runner) -> None:
    app = create_app(
        runner, ApiSettings(endpoints=frozenset({"health"}), token=TOKEN), ready=lambda: False
    )
    body = assert_matches_schema(app.test_client().get("/readyz"), "GET /readyz", 503)
    assert body["error"] == "the engine does not answer"


def test_rate_limits_failed_logins_and_refused_origins_are_json(runner: Runner) -> None:
    limited = client_of(runner, rate_limit=1)
    assert limited.get("/v1/containers", headers=AUTH).status_code == 200
    over = limited.get("/v1/containers", headers=AUTH)
    body = assert_matches_schema(over, "GET /v1/containers", 429)
    assert over.headers["Retry-After"] == "60" and "too many requests" in body["error"]

    guessed = client_of(runner)
    for _ in range(10):
        guessed.get("/v1/containers", headers={"Authorization": "Bearer wrong"})
    locked = guessed.get("/v1/containers", headers=AUTH)
    assert (
        "failed authentications"
        in assert_matches_schema(locked, "GET /v1/containers", 429)["error"]
    )

    cors = client_of(runner, cors_origins=("https://ui.example",))
    refused = cors.options("/v1/containers", headers={"Origin": "https://x.example"})
    assert (refused.status_code, refused.mimetype) == (403, "application/json")
    component("Error", refused.get_json())


# Real answers of every endpoint, held up to their schemas --------------------------------


def test_the_inventory_answers_match_their_schemas(api: FlaskClient, watched: None) -> None:
    listed = assert_matches_schema(
        api.get("/v1/containers", headers=AUTH), "GET /v1/containers", 200
    )
    assert {c["name"] for c in listed["containers"]} == {"web", "db"}
    assert_matches_schema(api.get("/v1/images", headers=AUTH), "GET /v1/images", 200)
    assert_matches_schema(api.get("/v1/config", headers=AUTH), "GET /v1/config", 200)
    assert_matches_schema(api.get("/v1/openapi.json"), "GET /v1/openapi.json", 200)
    assert_matches_schema(api.get("/v1/status", headers=AUTH), "GET /v1/status", 204)
    checked = assert_matches_schema(api.post("/v1/check", headers=AUTH), "POST /v1/check", 200)
    assert {(c["name"], c["update_available"]) for c in checked["containers"]} == {
        ("web", True),
        ("db", False),
    }
    details = assert_matches_schema(
        api.get("/v1/containers/details", headers=AUTH), "GET /v1/containers/details", 200
    )
    assert {c["name"]: c["status"] for c in details["containers"]} == {
        "web": "stale",
        "db": "fresh",
    }


def test_the_run_answers_and_history_match_their_schemas(
    api: FlaskClient, watched: None, engine: MemoryEngine
) -> None:
    before = engine.container("web").image_id
    ran = assert_matches_schema(api.post("/v1/update", headers=AUTH), "POST /v1/update", 200)
    assert ran["summary"]["updated"] == 1 and engine.container("web").image_id != before
    assert_matches_schema(api.get("/v1/status", headers=AUTH), "GET /v1/status", 200)
    runs = assert_matches_schema(api.get("/v1/history", headers=AUTH), "GET /v1/history", 200)
    assert [r["updated"] for r in runs["entries"]] == [1]
    changes = assert_matches_schema(
        api.get("/v1/history?changes=yes", headers=AUTH), "GET /v1/history", 200
    )
    assert [(c["container"], c["outcome"]) for c in changes["entries"]] == [("web", "updated")]
    back = assert_matches_schema(
        api.post("/v1/rollback?container=web", headers=AUTH), "POST /v1/rollback", 200
    )
    assert back["entry"]["name"] == "web" and engine.container("web").image_id == before
    holds = assert_matches_schema(api.get("/v1/holds", headers=AUTH), "GET /v1/holds", 200)
    assert [h["container"] for h in holds["holds"]] == ["web"]
    released = assert_matches_schema(
        api.post("/v1/release?container=web", headers=AUTH), "POST /v1/release", 200
    )
    assert released["released"] is True
    unknown = assert_matches_schema(
        api.post("/v1/release?container=no-such", headers=AUTH), "POST /v1/release", 404
    )
    assert "'no-such'" in unknown["error"]
    assert_matches_schema(api.post("/v1/update?async=1", headers=AUTH), "POST /v1/update", 202)


def test_the_approval_answers_match_their_schemas(
    api: FlaskClient, engine: MemoryEngine, registry: MemoryRegistry, history: MemoryHistory
) -> None:
    registry.publish(WEB, labels={VERSION: "1.0"})
    engine.run("web", WEB, labels={POLICY: "approve"})
    registry.publish(WEB, labels={VERSION: "1.1"})
    update(engine, registry, history=history)
    waiting = assert_matches_schema(
        api.get("/v1/approvals", headers=AUTH), "GET /v1/approvals", 200
    )
    assert [a["state"] for a in waiting["approvals"]] == ["pending"]
    approved = assert_matches_schema(
        api.post("/v1/approvals/web/approve", headers=AUTH),
        "POST /v1/approvals/{name}/approve",
        200,
    )
    assert approved["approval"]["state"] == "approved" and approved["entry"]["name"] == "web"
    rejected = assert_matches_schema(
        api.post("/v1/approvals/web/reject", headers=AUTH), "POST /v1/approvals/{name}/reject", 200
    )
    assert rejected["approval"]["state"] == "rejected"
    nothing = api.post("/v1/approvals/db/approve", headers=AUTH)
    assert_matches_schema(nothing, "POST /v1/approvals/{name}/approve", 409)


def test_the_snapshot_answers_match_their_schema(
    api: FlaskClient, engine: MemoryEngine, registry: MemoryRegistry, history: MemoryHistory
) -> None:
    registry.publish(WEB)
    engine.run("web", WEB, labels={SNAPSHOT_VOLUMES: "data"}, volumes={"data": "/data"})
    registry.publish(WEB)
    taken = update(engine, registry, UpdateParams(snapshot_keep=1), history=history).get("web")
    listed = assert_matches_schema(
        api.get("/v1/history/snapshots?removed=true", headers=AUTH),
        "GET /v1/history/snapshots",
        200,
    )
    assert [(s["volume"], s["name"], s["available"]) for s in listed["entries"]] == [
        ("data", taken.snapshots[0].name, True)
    ]
    assert listed["entries"][0]["change"] is not None and listed["entries"][0]["removed_at"] is None
    bad = api.get("/v1/history/snapshots?before=soon", headers=AUTH)
    assert_matches_schema(bad, "GET /v1/history/snapshots", 400)


def test_the_helper_refuses_an_answer_off_its_schema() -> None:
    from flask import Response

    item = '{"name": 1, "image": "i", "image_id": "", "digest": ""}'
    wrong_type = Response(f'{{"containers": [{item}], "count": 1, "timestamp": "{AT:%FT%TZ}"}}')
    wrong_type.mimetype = "application/json"
    with pytest.raises(Exception, match=r"is not of type 'string'"):
        assert_matches_schema(wrong_type, "GET /v1/containers", 200)
    as_text = Response("nope", status=400, mimetype="text/plain")
    with pytest.raises(AssertionError, match=r"answered 400 as text/plain"):
        assert_matches_schema(as_text, "POST /v1/update", 400)


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=12))
def test_async_is_a_boolean_or_400_and_never_a_synchronous_run_by_mistake(value: str) -> None:
    registry = MemoryRegistry(FixedClock())
    runner = make_runner(MemoryEngine(registry), registry, FixedClock())
    api = client_of(runner)
    response = api.post("/v1/update", query_string={"async": value}, headers=AUTH)
    try:
        expected = 202 if parse_bool(value) else 200
    except ValueError:
        expected = 200 if not value.strip() else 400
    assert response.status_code == expected, (value, response.get_data())
    if expected == 400:
        assert response.get_json()["error"].startswith("invalid 'async' parameter: ")
