"""Containers the registry quota defers are their own count in every answer that counts.

A runner over the in-memory engine and an :class:`~watchtower.registry.HttpRegistry`
whose transport answers with Docker Hub's rate limit headers (12 requests
left): a run may spend half of them, 6 pulls, and defers the other 14 of 20
stale containers. The report's JSON, the log's summary line, ``/v1/update``,
``/v1/status``, ``/v1/history``, the containers' details and the metrics
each say 14 deferred, and the answers match their OpenAPI schemas.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.core.test_quota import START, fake_registry, fleet_of
from tests.support.openapi import assert_matches_schema
from watchtower.cli.api import create_app
from watchtower.cli.api_settings import API_ENDPOINTS, ApiSettings
from watchtower.cli.metrics import Metrics
from watchtower.cli.runner import Runner
from watchtower.params import UpdateParams
from watchtower.quota import QuotaBook
from watchtower.registry import HttpRegistry
from watchtower.report import DEFERRED, ContainerReport, Outcome, Report, is_deferred
from watchtower.testing import FixedClock

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _runner(count: int) -> Runner:
    served, engine = fleet_of(count)
    clock = FixedClock(START)
    book = QuotaBook(clock)
    registry = HttpRegistry(transport=fake_registry(served, lambda: 12, []), quota=book)
    return Runner(
        engine,
        registry,
        UpdateParams(registry_quota_share=0.5),
        metrics=Metrics(clock=clock),
        logger=logging.getLogger("watchtower.test.deferred"),
        clock=clock,
    )


@pytest.mark.parametrize(
    ("outcome", "reason", "deferred"),
    [
        (Outcome.SKIPPED, f"{DEFERRED}; 12 of 100 requests left at docker.io", True),
        (Outcome.SKIPPED, DEFERRED, True),
        (Outcome.SKIPPED, "the registry is rate limiting: 429", False),
        (Outcome.SKIPPED, f"monitor only; {DEFERRED}", False),
        (Outcome.FAILED, f"{DEFERRED}; 12 left", False),
        (Outcome.STALE, "", False),
    ],
)
def test_a_deferral_is_a_skip_whose_reason_begins_with_the_quotas_words(
    outcome: Outcome, reason: str, deferred: bool
) -> None:
    entry = ContainerReport(
        id="1", name="web", image="web", old_image_id="a", outcome=outcome, reason=reason
    )
    assert entry.deferred is deferred
    assert is_deferred(outcome.value, reason) is deferred
    assert entry.to_dict()["deferred"] is deferred


_REASONS = st.sampled_from(["", DEFERRED, f"{DEFERRED}; 3 left", "monitor only", "held"])


@given(st.lists(st.tuples(st.sampled_from(list(Outcome)), _REASONS), max_size=30))
def test_the_deferred_are_the_skips_the_quota_named_and_every_count_agrees(
    outcomes: list[tuple[Outcome, str]],
) -> None:
    at = datetime(2026, 1, 1, tzinfo=timezone.utc)
    report = Report(
        entries=[
            ContainerReport(
                id=str(i), name=f"c{i}", image="x", old_image_id="a", outcome=o, reason=r
            )
            for i, (o, r) in enumerate(outcomes)
        ],
        started_at=at,
        finished_at=at,
    )
    expected = sum(1 for o, r in outcomes if o is Outcome.SKIPPED and r.startswith(DEFERRED))
    assert set(report.deferred) <= set(report.skipped)
    assert len(report.deferred) == expected == report.to_dict()["counts"]["deferred"]
    assert Metrics().record(report).summary()["deferred"] == expected
    assert ("(deferred" in report.summary()) is (expected > 0)


def test_every_count_says_how_many_the_quota_deferred(caplog: pytest.LogCaptureFixture) -> None:
    runner = _runner(20)
    client = create_app(
        runner, ApiSettings(endpoints=frozenset(API_ENDPOINTS), token=TOKEN)
    ).test_client()

    with caplog.at_level(logging.INFO, logger="watchtower.test.deferred"):
        body = assert_matches_schema(
            client.post("/v1/update", headers=AUTH), "POST /v1/update", 200
        )

    # Counted apart, and still among the skipped: nothing failed.
    assert body["summary"] == {
        "scanned": 6,
        "updated": 6,
        "failed": 0,
        "restarted": 0,
        "skipped": 14,
        "deferred": 14,
    }
    assert any("skipped 14" in r.message and "(deferred 14)" in r.message for r in caplog.records)
    status = assert_matches_schema(client.get("/v1/status", headers=AUTH), "GET /v1/status", 200)
    assert status["summary"]["deferred"] == 14
    runs = assert_matches_schema(client.get("/v1/history", headers=AUTH), "GET /v1/history", 200)
    assert [(r["skipped"], r["deferred"]) for r in runs["entries"]] == [(14, 14)]
    details = assert_matches_schema(
        client.get("/v1/containers/details", headers=AUTH), "GET /v1/containers/details", 200
    )["containers"]
    deferred = [c for c in details if c["deferred"]]
    assert len(deferred) == 14
    assert all(c["status"] == "skipped" and c["reason"].startswith(DEFERRED) for c in deferred)
    assert runner.metrics.value("watchtower_containers_deferred_total") == 14
    # The fork's gauges keep their names and meaning: the deferred are among the skipped.
    assert runner.metrics.value("watchtower_containers_skipped") == 14
    exposition = client.get("/v1/metrics", headers=AUTH).get_data(as_text=True)
    assert "watchtower_containers_deferred_total 14.0" in exposition
    assert "watchtower_containers_deferred " not in exposition  # no gauge of that name


def test_the_reports_json_counts_the_deferred_beside_the_skipped() -> None:
    runner = _runner(20)
    report = runner.run()
    assert report is not None

    data = report.to_dict()
    assert (data["counts"]["skipped"], data["counts"]["deferred"]) == (14, 14)
    assert sum(1 for e in data["entries"] if e["deferred"]) == 14
    # The rest of the shape is as it was: every count of before is still there.
    assert {"scanned", "updated", "restarted", "failed", "skipped", "stale", "fresh"} < set(
        data["counts"]
    )
