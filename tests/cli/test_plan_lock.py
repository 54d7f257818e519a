"""A plan or a check of the API goes after a run in progress, never beside it.

``POST /v1/plan`` and ``POST /v1/check`` hold the runs' lock while they list,
pull and spend registry requests (:meth:`Runner.between_runs`): a plan asked
during a run waits for it and pulls nothing meanwhile; one whose wait
outlasts its timeout answers 504 with one sentence and is never made later;
a scheduled run that comes during a plan waits for it rather than being
skipped.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.cli.support import DB, GatedEngine, make_runner
from tests.support.openapi import assert_matches_schema
from watchtower.cli.api import create_app
from watchtower.cli.api_settings import API_ENDPOINTS, ApiSettings
from watchtower.cli.runner import Runner
from watchtower.testing import FixedClock, MemoryRegistry

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def gated(registry: MemoryRegistry) -> GatedEngine:
    """db runs an image its registry has replaced since."""
    engine = GatedEngine(registry)
    registry.publish(DB)
    engine.run("db", DB)
    registry.publish(DB)
    return engine


@pytest.fixture
def runner(gated: GatedEngine, registry: MemoryRegistry, clock: FixedClock) -> Runner:
    return make_runner(gated, registry, clock)


@pytest.fixture
def api(runner: Runner) -> FlaskClient:
    settings = ApiSettings(endpoints=frozenset(API_ENDPOINTS), token=TOKEN)
    return create_app(runner, settings).test_client()


def _in_background(api: FlaskClient, path: str) -> tuple[threading.Thread, list[Any]]:
    answers: list[Any] = []
    thread = threading.Thread(target=lambda: answers.append(api.post(path, headers=AUTH)))
    thread.start()
    return thread, answers


def test_a_plan_asked_during_a_run_waits_for_it_and_pulls_nothing_meanwhile(
    api: FlaskClient, runner: Runner, gated: GatedEngine
) -> None:
    gated.hold()
    assert runner.start(trigger="schedule")
    assert gated.entered.wait(10), "the run never listed its containers"
    calls = len(gated.calls)

    thread, answers = _in_background(api, "/v1/plan")
    thread.join(0.3)
    # The plan waits: it neither listed nor pulled while the run goes.
    assert thread.is_alive() and answers == []
    assert len(gated.calls) == calls and gated.count("pull") == 0
    assert runner.busy

    gated.let_go()
    thread.join(10)
    assert not thread.is_alive()
    body = assert_matches_schema(answers[0], "POST /v1/plan", 200)
    # The run pulled and replaced db first; the plan came after and found it fresh.
    assert gated.count("pull") == 1
    assert runner.last_report is not None and runner.last_report.get("db") is not None
    assert [(e["name"], e["group"]) for e in body["entries"]] == [("db", "fresh")]
    assert body["counts"]["update"] == 0


def test_a_plan_whose_wait_outlasts_its_timeout_is_one_sentence_and_never_made(
    api: FlaskClient, runner: Runner, gated: GatedEngine
) -> None:
    with runner._lock:  # a run in progress
        answer = api.post("/v1/plan?timeout=0.2s", headers=AUTH)
        calls = len(gated.calls)
    body = assert_matches_schema(answer, "POST /v1/plan", 504)
    assert body["error"] == (
        "a run was in progress and did not end within 0.2s, so the plan was not started:"
        " try again once the run ends"
    )
    assert calls == 0 and gated.count("pull") == 0
    # The lock is free again, and the plan that gave up never runs late.
    assert not runner.busy
    assert gated.calls == []
    again = assert_matches_schema(api.post("/v1/plan", headers=AUTH), "POST /v1/plan", 200)
    assert again["counts"]["update"] == 1 and gated.count("pull") == 1


def test_a_check_asked_during_a_run_waits_for_it_too(
    api: FlaskClient, runner: Runner, gated: GatedEngine
) -> None:
    with runner._lock:
        late = api.post("/v1/check?timeout=0.2s", headers=AUTH)
        thread, answers = _in_background(api, "/v1/check")
        thread.join(0.3)
        assert thread.is_alive() and gated.calls == []
    body = assert_matches_schema(late, "POST /v1/check", 504)
    assert "so the check was not started" in body["error"]
    thread.join(10)
    checked = assert_matches_schema(answers[0], "POST /v1/check", 200)
    assert [(c["name"], c["update_available"]) for c in checked["containers"]] == [("db", True)]


def test_a_scheduled_run_during_a_plan_waits_for_it_rather_than_being_skipped(
    runner: Runner, gated: GatedEngine
) -> None:
    order: list[str] = []
    let_go = threading.Event()

    def plan() -> None:
        order.append("plan")
        assert let_go.wait(10)
        order.append("plan done")

    held = runner.between_runs(plan, timeout=timedelta(seconds=1))
    assert held is not None
    planning = threading.Thread(target=held)
    planning.start()
    # A plan is no run: the page's buttons stay enabled, and a run comes after it.
    assert not runner.busy
    assert runner.start(wait=False, trigger="schedule")
    # Another plan waits for the run that waits: at most its timeout.
    assert runner.between_runs(lambda: None, timeout=timedelta(seconds=0.1)) is None
    let_go.set()
    planning.join(10)
    for thread in runner._threads:
        thread.join(10)
    assert order == ["plan", "plan done"]
    assert runner.metrics.value("watchtower_scans_skipped_total") == 0
    report = runner.last_report
    assert report is not None and [e.name for e in report.updated] == ["db"]
    assert gated.count("pull") == 1


def test_a_plan_that_raises_lets_the_lock_go(runner: Runner) -> None:
    def broken() -> None:
        raise RuntimeError("boom")

    held = runner.between_runs(broken, timeout=timedelta(seconds=1))
    assert held is not None
    with pytest.raises(RuntimeError):
        held()
    again = runner.between_runs(lambda: 1, timeout=timedelta(0))
    assert again is not None and again() == 1
