"""``POST /v1/plan`` and ``POST /v1/update?plan=<id>``, on the in-memory backends.

The plan's shape and groups, leaving entries out, expiry on the runner's
clock, a plan carried out once, and the answers of a request that cannot
be served.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from tests.support.openapi import assert_matches_schema
from watchtower import labels as L
from watchtower.cli.api import create_app
from watchtower.cli.api.plans import UNKNOWN, USED
from watchtower.cli.api_settings import API_ENDPOINTS, ApiSettings
from watchtower.cli.metrics import Metrics
from watchtower.cli.runner import Runner
from watchtower.errors import EngineError, RegistryError
from watchtower.fleet import Engine, Fleet, Host
from watchtower.history import MemoryHistory
from watchtower.params import UpdateParams
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry, MemorySwarm

from .support import DB, WEB, make_runner

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CACHE = "example.org/cache:1"
LOG = "example.org/log:1"
GONE = "example.org/gone:1"


@pytest.fixture
def runner(engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock) -> Runner:
    return make_runner(engine, registry, clock)


@pytest.fixture
def api(runner: Runner) -> FlaskClient:
    settings = ApiSettings(endpoints=frozenset(API_ENDPOINTS), token=TOKEN)
    return create_app(runner, settings).test_client()


@pytest.fixture
def fleet(engine: MemoryEngine, registry: MemoryRegistry) -> MemoryEngine:
    """db stale, web depends on it, cache stale but monitor-only, log fresh, gone unreachable."""
    for ref in (DB, WEB, CACHE, LOG, GONE):
        registry.publish(ref)
    engine.run("db", DB)
    engine.run("web", WEB, labels={L.DEPENDS_ON: "db"})
    engine.run("cache", CACHE, labels={L.MONITOR_ONLY: "true"})
    engine.run("log", LOG)
    engine.run("gone", GONE)
    for ref in (DB, CACHE):
        registry.publish(ref)
    registry.fail(GONE, RegistryError("connection refused"), times=5)
    engine.fail("pull", image=GONE, times=5)
    return engine


def planned(api: FlaskClient, query: str = "") -> dict[str, Any]:
    answer = api.post(f"/v1/plan{query}", headers=AUTH)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body: dict[str, Any] = answer.get_json()
    return body


def by_name(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in body["entries"]}


def test_the_plan_answers_each_container_in_its_group(api: FlaskClient, fleet) -> None:
    body = planned(api)
    entries = by_name(body)

    assert [e["name"] for e in body["entries"]] == ["db", "web", "gone", "cache", "log"]
    assert body["counts"] == {
        "update": 1, "restart": 1, "error": 1, "skip": 1, "fresh": 1, "canary": 0, "deferred": 0
    }  # fmt: skip
    db, web = entries["db"], entries["web"]
    assert (db["action"], db["group"], db["because"], db["reason"]) == ("update", "update", [], "")
    assert (web["action"], web["group"], web["because"]) == ("restart", "restart", ["db"])
    assert "db" in web["reason"]
    assert (entries["cache"]["group"], entries["cache"]["reason"]) == ("skip", "monitor only")
    assert entries["cache"]["action"] == "none"
    assert entries["gone"]["group"] == "error"
    assert "connection refused" in entries["gone"]["detail"]
    assert len(entries["gone"]["reason"]) <= 120
    assert (entries["log"]["group"], entries["log"]["reason"]) == ("fresh", "")
    assert db["latest_digest"].startswith("sha256:") and db["latest_digest"] != db["digest"]
    assert entries["log"]["digest"].startswith("sha256:")
    assert all(e["key"] == e["name"] and "host" not in e for e in body["entries"])
    assert body["id"] and body["pending_repairs"] == [] and body["hosts_failed"] == {}
    assert body["created_at"] == "2026-01-01T00:00:00Z"
    assert body["expires_at"] == "2026-01-01T00:15:00Z"


def test_a_restart_names_the_updates_behind_the_restarts_it_depends_on(
    api: FlaskClient, fleet: MemoryEngine, registry: MemoryRegistry
) -> None:
    registry.publish("example.org/proxy:1")
    fleet.run("proxy", "example.org/proxy:1", labels={L.DEPENDS_ON: "web"})

    proxy = by_name(planned(api))["proxy"]

    assert (proxy["group"], proxy["because"]) == ("restart", ["db"])


def test_a_plan_needs_the_token(api: FlaskClient, fleet) -> None:
    assert api.post("/v1/plan").status_code == 401


def test_a_plan_is_narrowed_by_the_filters(api: FlaskClient, fleet) -> None:
    body = planned(api, "?container=db&container=log")
    assert sorted(by_name(body)) == ["db", "log"]


def test_acting_on_the_plan_replaces_what_it_says(
    api: FlaskClient, fleet: MemoryEngine, registry: MemoryRegistry, runner: Runner
) -> None:
    plan_id = planned(api)["id"]
    ids = {c.name: c.id for c in fleet.containers()}

    answer = api.post(f"/v1/update?plan={plan_id}", headers=AUTH)

    assert answer.status_code == 200
    body = answer.get_json()
    outcomes = {e["name"]: (e["key"], e["outcome"]) for e in body["entries"]}
    assert outcomes == {"db": ("db", "updated"), "web": ("web", "restarted")}
    assert fleet.container("db").image_id == registry.served(DB)[1]
    assert fleet.container("web").id != ids["web"]
    assert fleet.container("web").image_id != registry.served(DB)[1]
    assert fleet.container("cache").id == ids["cache"]
    assert {"summary", "timing", "timestamp"} <= set(body)
    assert body["summary"]["updated"] == 1
    # A run as the others are: the runner's report, its trigger and its metrics.
    assert runner.last_report is not None and runner.last_report.trigger == "api"
    assert runner.metrics.last is not None and runner.metrics.last.updated == 1


def test_a_plan_is_carried_out_in_the_background_with_async(
    api: FlaskClient, fleet: MemoryEngine, registry: MemoryRegistry, runner: Runner
) -> None:
    plan_id = planned(api)["id"]

    answer = api.post(f"/v1/update?plan={plan_id}&async=true", headers=AUTH)

    assert answer.status_code == 202
    runner.wait_idle(timedelta(seconds=30))
    assert fleet.container("db").image_id == registry.served(DB)[1]
    assert api.post(f"/v1/update?plan={plan_id}", headers=AUTH).status_code == 409


def test_a_plan_is_carried_out_once(api: FlaskClient, fleet) -> None:
    plan_id = planned(api)["id"]
    assert api.post(f"/v1/update?plan={plan_id}", headers=AUTH).status_code == 200

    again = api.post(f"/v1/update?plan={plan_id}", headers=AUTH)

    assert again.status_code == 409
    assert again.get_json()["error"] == USED


def test_leaving_out_the_update_leaves_its_dependent_too(api: FlaskClient, fleet) -> None:
    plan_id = planned(api)["id"]
    ids = {c.name: c.id for c in fleet.containers()}

    body = api.post(f"/v1/update?plan={plan_id}&leave_out=db", headers=AUTH).get_json()

    assert {c.name: c.id for c in fleet.containers()} == ids
    outcomes = {e["name"]: (e["outcome"], e["reason"]) for e in body["entries"]}
    assert outcomes["db"] == ("stale", "left out")
    assert outcomes["web"][0] == "fresh" and "not restarted" in outcomes["web"][1]


def test_leaving_out_the_restart_keeps_the_update(api: FlaskClient, fleet) -> None:
    plan_id = planned(api)["id"]
    web = fleet.container("web").id

    body = api.post(f"/v1/update?plan={plan_id}&leave_out=web", headers=AUTH).get_json()

    assert {e["name"]: e["outcome"] for e in body["entries"]} == {"db": "updated", "web": "fresh"}
    assert fleet.container("web").id == web


def test_a_plan_expires_after_15_minutes(api: FlaskClient, fleet, clock: FixedClock) -> None:
    plan_id = planned(api)["id"]
    clock.advance(timedelta(minutes=15, seconds=1))

    answer = api.post(f"/v1/update?plan={plan_id}", headers=AUTH)

    assert answer.status_code == 409
    assert answer.get_json()["error"] == UNKNOWN


def test_a_plan_is_still_known_before_15_minutes(api: FlaskClient, fleet, clock) -> None:
    plan_id = planned(api)["id"]
    clock.advance(timedelta(minutes=14))
    assert api.post(f"/v1/update?plan={plan_id}", headers=AUTH).status_code == 200


def test_only_the_newest_plans_are_kept(api: FlaskClient, fleet) -> None:
    first = planned(api, "?container=log")["id"]
    newer = [planned(api, "?container=log")["id"] for _ in range(8)]

    assert api.post(f"/v1/update?plan={first}", headers=AUTH).status_code == 409
    assert api.post(f"/v1/update?plan={newer[0]}", headers=AUTH).status_code == 200


@pytest.mark.parametrize(
    ("query", "status", "says"),
    [
        ("plan=nonsense", 409, UNKNOWN),
        ("plan={id}&leave_out=nobody", 400, "'nobody'"),
        ("plan={id}&container=db", 400, "container"),
        ("plan={id}&image=example.org/db", 400, "container or image"),
    ],
)
def test_a_request_that_cannot_act_is_one_json_sentence(
    api: FlaskClient, fleet, query: str, status: int, says: str
) -> None:
    plan_id = planned(api)["id"]
    ids = {c.name: c.id for c in fleet.containers()}

    answer = api.post(f"/v1/update?{query.format(id=plan_id)}", headers=AUTH)

    assert answer.status_code == status
    assert says in answer.get_json()["error"]
    assert {c.name: c.id for c in fleet.containers()} == ids


def test_a_refused_leave_out_does_not_use_the_plan(api: FlaskClient, fleet) -> None:
    plan_id = planned(api)["id"]
    assert api.post(f"/v1/update?plan={plan_id}&leave_out=x", headers=AUTH).status_code == 400
    assert api.post(f"/v1/update?plan={plan_id}", headers=AUTH).status_code == 200


def test_a_plan_moved_since_is_skipped_with_the_reason(
    api: FlaskClient, fleet: MemoryEngine, registry: MemoryRegistry
) -> None:
    plan_id = planned(api, "?container=db")["id"]
    registry.publish(DB)  # pushed again between the plan and the act

    body = api.post(f"/v1/update?plan={plan_id}", headers=AUTH).get_json()

    (db,) = body["entries"]
    assert db["outcome"] == "skipped"
    assert db["reason"].startswith("the registry serves another image")


# What a check and the containers' details say ---------------------------------------


def test_a_check_says_whether_each_was_stale_fresh_skipped_or_failed(
    api: FlaskClient, fleet: MemoryEngine, registry: MemoryRegistry
) -> None:
    registry.publish("example.org/pinned:1")
    pinned = registry.served("example.org/pinned:1")[0]
    fleet.run("pinned", f"example.org/pinned:1@{pinned}")

    body = api.post("/v1/check", headers=AUTH).get_json()

    statuses = {c["name"]: c["status"] for c in body["containers"]}
    assert statuses == {
        "db": "stale",
        "web": "fresh",
        "cache": "stale",  # monitor-only: stale all the same
        "log": "fresh",
        "gone": "failed",  # its registry did not answer
        "pinned": "skipped",
    }
    assert all("update_available" in c and "latest_digest" in c for c in body["containers"])


def details(api: FlaskClient) -> dict[str, Any]:
    body: dict[str, Any] = api.get("/v1/containers/details", headers=AUTH).get_json()
    return body


def test_a_container_a_cooldown_keeps_is_still_stale_in_its_details(
    api: FlaskClient, engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    registry.publish(DB)
    engine.run("db", DB, labels={L.COOLDOWN_DELAY: "1h"})
    registry.publish(DB)  # younger than its cooldown: the check skips it

    api.post("/v1/check", headers=AUTH)

    (db,) = details(api)["containers"]
    assert (db["status"], db["check_status"]) == ("skipped", "skipped")
    assert db["latest_digest"] == registry.served(DB)[0] != db["digest"]
    assert db["stale"] is True
    assert db["checked_at"] == "2026-01-01T00:00:00Z"


def test_details_say_when_each_was_last_checked(
    api: FlaskClient, fleet: MemoryEngine, clock: FixedClock
) -> None:
    before = {c["name"]: c for c in details(api)["containers"]}
    assert "checked_at" not in before["db"] and "check_status" not in before["db"]
    clock.advance(timedelta(minutes=3))
    planned(api, "?container=db&container=gone")

    after = {c["name"]: c for c in details(api)["containers"]}

    assert (after["db"]["checked_at"], after["db"]["check_status"]) == (
        "2026-01-01T00:03:00Z",
        "stale",
    )
    assert after["db"]["stale"] is True
    assert after["gone"]["check_status"] == "failed"
    assert "checked_at" not in after["log"]


def test_a_run_notes_its_checks_and_an_update_is_no_longer_stale(
    api: FlaskClient, fleet: MemoryEngine, runner: Runner
) -> None:
    api.post("/v1/check", headers=AUTH)
    runner.run(runner.params.only(["db"]))

    (db,) = [c for c in details(api)["containers"] if c["name"] == "db"]

    assert (db["stale"], db["status"], db["check_status"]) == (False, "updated", "stale")


def test_details_say_when_the_schedule_runs_next(runner: Runner, fleet) -> None:
    settings = ApiSettings(endpoints=frozenset(API_ENDPOINTS), token=TOKEN)
    without = create_app(runner, settings).test_client()
    assert details(without)["next_run"] is None
    when = runner.clock() + timedelta(hours=6)
    with_one = create_app(runner, settings, next_run=lambda: when).test_client()
    assert details(with_one)["next_run"] == "2026-01-01T06:00:00Z"


# A fleet of named hosts, and swarm services ------------------------------------------


def _down() -> Engine:
    raise EngineError("the engine at unix:///down.sock does not answer")


def test_a_fleet_plan_names_hosts_services_and_the_hosts_that_failed(
    registry: MemoryRegistry, clock: FixedClock
) -> None:
    a, manager = MemoryEngine(registry), MemoryEngine(registry)
    swarm = MemorySwarm(registry, manager)
    registry.publish(WEB)
    a.run("web", WEB)
    swarm.create("svc", WEB, replicas=2)
    registry.publish(WEB)
    fleet = Fleet((Host.of("a", a), Host.of("manager", manager, swarm), Host("down", _down)))
    runner = Runner(
        fleet,
        registry,
        UpdateParams(),
        metrics=Metrics(clock=clock),
        logger=logging.getLogger("watchtower.test"),
        clock=clock,
    )
    settings = ApiSettings(endpoints=frozenset(API_ENDPOINTS), token=TOKEN)
    api = create_app(runner, settings).test_client()
    web = a.container("web").id

    body = planned(api)

    rows = [(e["key"], e["host"], e["name"], e["group"]) for e in body["entries"]]
    assert rows == [
        ("manager/service:svc", "manager", "svc", "update"),
        ("a/web", "a", "web", "update"),
    ]
    assert body["entries"][0]["kind"] == "service"
    assert list(body["hosts_failed"]) == ["down"]
    assert "does not answer" in body["hosts_failed"]["down"]

    acted = api.post(
        f"/v1/update?plan={body['id']}&leave_out=manager/service:svc", headers=AUTH
    ).get_json()

    assert a.container("web").id != web
    assert swarm.updates == []
    outcomes = {(e["host"], e["key"]): e["outcome"] for e in acted["entries"]}
    assert outcomes == {("a", "a/web"): "updated", ("manager", "manager/service:svc"): "stale"}


def test_the_openapi_document_describes_the_plan(api: FlaskClient) -> None:
    document = api.get("/v1/openapi.json").get_json()
    validate(document)
    answer = document["paths"]["/v1/plan"]["post"]["responses"]["200"]
    schema = answer["content"]["application/json"]["schema"]
    entry = schema["properties"]["entries"]["items"]
    assert entry["properties"]["group"]["enum"] == ["update", "restart", "error", "skip", "fresh"]
    assert {"id", "expires_at", "counts", "pending_repairs", "hosts_failed"} <= set(
        schema["properties"]
    )


def test_a_fleet_plan_says_the_canary_stage_and_why_an_entry_waits(
    registry: MemoryRegistry, clock: FixedClock
) -> None:
    a, c = MemoryEngine(registry), MemoryEngine(registry)
    registry.publish(WEB)
    a.run("web", WEB)
    c.run("web", WEB)
    registry.publish(WEB)
    fleet = Fleet((Host.of("a", a), Host.of("c", c, canary=True)))
    history = MemoryHistory(clock=clock)
    params = UpdateParams(canary_soak=timedelta(minutes=30))
    runner = Runner(
        fleet,
        registry,
        params,
        metrics=Metrics(clock=clock),
        logger=logging.getLogger("watchtower.test"),
        clock=clock,
        history=history,
    )
    api = create_app(runner, ApiSettings(endpoints=frozenset(API_ENDPOINTS), token=TOKEN))
    client = api.test_client()

    body = assert_matches_schema(client.post("/v1/plan", headers=AUTH), "POST /v1/plan", 200)
    # The one waiting for the canaries is counted as such, and not among the replaced.
    assert (body["counts"]["update"], body["counts"]["canary"]) == (1, 1)
    before = {e["host"]: e for e in body["entries"]}
    assert before["c"]["group"] == "update" and "stage" not in before["c"]
    assert before["a"]["group"] == "skip" and before["a"]["stage"] == "canary"
    assert before["a"]["detail"].startswith("waits for the canaries: sha256:")
    assert "is on no canary yet" in before["a"]["detail"]

    runner.run()  # the canary is updated; the other host waits
    clock.advance(timedelta(minutes=10))
    soaking = {e["host"]: e for e in planned(client)["entries"]}
    assert soaking["a"]["stage"] == "canary"
    assert "on canary host c since" in soaking["a"]["detail"]

    # The containers' details say the stage the plan found.
    details = client.get("/v1/containers/details", headers=AUTH).get_json()["containers"]
    assert {c["host"]: c.get("stage", "") for c in details} == {"a": "canary", "c": ""}
    # A check pulls nothing, so it cannot tell the new image's stage: it keeps the plan's.
    assert_matches_schema(client.post("/v1/check", headers=AUTH), "POST /v1/check", 200)
    details = client.get("/v1/containers/details", headers=AUTH).get_json()["containers"]
    assert {c["host"]: c.get("stage", "") for c in details} == {"a": "canary", "c": ""}

    clock.advance(timedelta(minutes=25))
    body = planned(client)
    promoted = {e["host"]: e for e in body["entries"]}
    assert promoted["a"]["group"] == "update" and promoted["a"]["stage"] == "promoted"
    assert body["counts"]["canary"] == 0
