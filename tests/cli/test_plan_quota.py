"""``POST /v1/plan`` and ``POST /v1/check`` spend no more of the registry quota than a run.

A runner over the in-memory engine and an :class:`~watchtower.registry.HttpRegistry`
whose transport answers with Docker Hub's rate limit headers, less what the
engine pulled (the registry counts a pull). With ``--registry-quota-share``
a plan pulls at most that share of what is left and defers the rest, said
by the answer's ``deferred`` count and entries; a check, which sends only
uncounted ``HEAD`` requests, sends none once the share is nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from tests.core.test_quota import START, fake_registry, fleet_of
from tests.support.openapi import assert_matches_schema
from watchtower.cli.api import create_app
from watchtower.cli.api_settings import API_ENDPOINTS, ApiSettings
from watchtower.cli.metrics import Metrics
from watchtower.cli.runner import Runner
from watchtower.params import UpdateParams
from watchtower.quota import QuotaBook
from watchtower.registry import HttpRegistry, Request
from watchtower.report import DEFERRED
from watchtower.testing import FixedClock, MemoryEngine

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
COUNT = 20


def _served(left: int, share: float | None) -> tuple[Runner, MemoryEngine, list[Request]]:
    """A runner of ``COUNT`` stale containers whose registry has ``left`` requests left."""
    served, engine = fleet_of(COUNT)
    clock = FixedClock(START)
    seen: list[Request] = []
    remaining = lambda: max(0, left - engine.count("pull"))  # noqa: E731
    registry = HttpRegistry(
        transport=fake_registry(served, remaining, seen), quota=QuotaBook(clock)
    )
    runner = Runner(
        engine,
        registry,
        UpdateParams(registry_quota_share=share),
        metrics=Metrics(clock=clock),
        logger=logging.getLogger("watchtower.test.plan_quota"),
        clock=clock,
    )
    return runner, engine, seen


def _post(runner: Runner, which: str) -> dict[str, Any]:
    client = create_app(
        runner, ApiSettings(endpoints=frozenset(API_ENDPOINTS), token=TOKEN)
    ).test_client()
    path = which.split()[1]
    body: dict[str, Any] = assert_matches_schema(client.post(path, headers=AUTH), which, 200)
    return body


def test_a_plan_pulls_its_share_and_says_what_it_deferred() -> None:
    runner, engine, seen = _served(12, 0.5)

    body = _post(runner, "POST /v1/plan")

    assert engine.count("pull") == 6
    counts = body["counts"]
    assert (counts["update"], counts["skip"], counts["deferred"]) == (6, 14, 14)
    deferred = [e for e in body["entries"] if e.get("deferred")]
    assert len(deferred) == 14 and all(e["group"] == "skip" for e in deferred)
    assert all(e["detail"].startswith(DEFERRED) for e in deferred)
    assert all(e["detail"].endswith("this run may use 6") for e in deferred)
    assert {r.method for r in seen if "/manifests/" in r.url} == {"HEAD"}


def test_without_a_share_a_plan_is_not_limited() -> None:
    runner, engine, _ = _served(12, None)

    body = _post(runner, "POST /v1/plan")

    assert engine.count("pull") == COUNT
    assert (body["counts"]["update"], body["counts"]["deferred"]) == (COUNT, 0)


def test_plans_pressed_again_and_again_each_spend_only_the_share_of_what_is_left() -> None:
    runner, engine, _ = _served(12, 0.5)
    spent = []
    for _ in range(5):
        before = engine.count("pull")
        left = 12 - before
        body = _post(runner, "POST /v1/plan")
        spent.append(engine.count("pull") - before)
        assert spent[-1] == left // 2  # never more than the run's share of it
        assert body["counts"]["deferred"] > 0
    assert spent == [6, 3, 1, 1, 0]
    # Something is always left for the scheduled run, which spends its share of it.
    report = runner.run(trigger="schedule")
    assert report is not None and len(report.deferred) == COUNT


def test_a_check_sends_nothing_once_the_share_is_nothing() -> None:
    runner, _, seen = _served(1, 0.5)
    assert runner.quota is not None  # an earlier answer said 1 was left
    runner.quota.record("example.org", {"ratelimit-remaining": "1;w=21600"})

    body = _post(runner, "POST /v1/check")

    assert body["count"] == COUNT and body["deferred"] == COUNT
    assert all(c["deferred"] and c["error"].startswith(DEFERRED) for c in body["containers"])
    assert not [r for r in seen if "/manifests/" in r.url]


def test_without_a_share_a_check_asks_for_every_image() -> None:
    runner, _, seen = _served(1, None)

    body = _post(runner, "POST /v1/check")

    assert body["deferred"] == 0
    assert sum(1 for c in body["containers"] if c["update_available"]) == COUNT
    assert len([r for r in seen if "/manifests/" in r.url]) == COUNT
