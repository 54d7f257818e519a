"""The old and new tag in what a run tells: report, templates, metrics and /v1/check."""

from __future__ import annotations

from datetime import datetime, timezone

import attrs

from tests.cli.support import make_runner
from watchtower import UpdateParams, update
from watchtower import labels as L
from watchtower.cli.api import check, create_app
from watchtower.cli.api_settings import ApiSettings
from watchtower.cli.metrics import Metrics
from watchtower.notify import Template
from watchtower.notify._templates import json_v1
from watchtower.report import ContainerReport, Outcome, Report
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry

APP = "example.org/app"
AT = datetime(2026, 1, 1, tzinfo=timezone.utc)


def moved_report() -> Report:
    entry = ContainerReport(
        id="c" * 64,
        name="app",
        image=f"{APP}:1.0.0",
        old_image_id="sha256:" + "a" * 64,
        new_image_id="sha256:" + "b" * 64,
        new_image=f"{APP}:1.0.1",
        outcome=Outcome.UPDATED,
    )
    return Report(entries=[entry], started_at=AT, finished_at=AT)


def test_templates_carry_the_old_and_new_tag() -> None:
    """Go and Jinja templates read the new tag; json.v1 adds latestImageName only when moved."""
    report = moved_report()
    go = Template("{{range .Report.Updated}}{{.ImageName}} -> {{.LatestImageName}}{{end}}")
    assert go.render(title="T", host="h", report=report, entries=[]) == (
        f"{APP}:1.0.0 -> {APP}:1.0.1"
    )
    jinja = Template("{% for c in report.updated %}{{ c.image }} -> {{ c.new_image }}{% endfor %}")
    assert jinja.render(title="T", host="h", report=report, entries=[]) == (
        f"{APP}:1.0.0 -> {APP}:1.0.1"
    )
    assert report.entries[0].to_dict()["new_image"] == f"{APP}:1.0.1"
    document = json_v1(title="T", host="h", report=report, entries=[])
    assert document["report"]["updated"][0]["latestImageName"] == f"{APP}:1.0.1"
    unmoved = attrs.evolve(report.entries[0], new_image=None)
    plain = json_v1(title="T", host="h", report=attrs.evolve(report, entries=[unmoved]), entries=[])
    assert "latestImageName" not in plain["report"]["updated"][0]


def test_the_metrics_count_containers_on_a_newer_tag(clock: FixedClock) -> None:
    """watchtower_containers_new_tag is the number of containers whose rule moved them."""
    metrics = Metrics(clock=clock)
    metrics.record(moved_report())
    value = metrics.registry.get_sample_value("watchtower_containers_new_tag")
    assert value == 1.0
    # A run over several engines: one number for the scan, next to the per-host gauges.
    on_host = attrs.evolve(moved_report().entries[0], host="tcp://a:2375")
    metrics.record(attrs.evolve(moved_report(), entries=[on_host]))
    assert metrics.registry.get_sample_value("watchtower_containers_new_tag") == 1.0


def test_the_check_answers_the_newer_tag(
    engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    """/v1/check's answer has latest_image for a container a tag rule would move."""
    for tag in ("1.0.0", "1.0.1"):
        registry.publish(f"{APP}:{tag}")
    engine.run("app", f"{APP}:1.0.0", labels={L.TAG_RULE: "patch"})
    engine.run("plain", f"{APP}:1.0.0")
    results = {r["name"]: r for r in check(make_runner(engine, registry, clock), UpdateParams())}
    assert results["app"]["update_available"] is True
    assert results["app"]["latest_image"] == f"{APP}:1.0.1"
    assert "latest_image" not in results["plain"]
    assert engine.count("pull") == 0


def test_the_status_page_s_details_carry_the_newer_tag(
    engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    """After a check, /v1/containers/details (what the status page shows) has latest_image."""
    for tag in ("1.0.0", "1.0.1"):
        registry.publish(f"{APP}:{tag}")
    engine.run("app", f"{APP}:1.0.0", labels={L.TAG_RULE: "patch"})
    engine.run("plain", f"{APP}:1.0.0")
    settings = ApiSettings(endpoints=frozenset({"check", "containers"}), token="t")
    api = create_app(make_runner(engine, registry, clock), settings).test_client()
    auth = {"Authorization": "Bearer t"}
    assert api.post("/v1/check", headers=auth).status_code == 200
    details = api.get("/v1/containers/details", headers=auth).json
    assert details is not None
    latest = {c["name"]: c["latest_image"] for c in details["containers"]}
    assert latest == {"app": f"{APP}:1.0.1", "plain": ""}


def test_the_log_template_shows_the_move(engine: MemoryEngine, registry: MemoryRegistry) -> None:
    """A real run's report reaches a template with both tags."""
    for tag in ("1.0.0", "1.1.0"):
        registry.publish(f"{APP}:{tag}")
    engine.run("app", f"{APP}:1.0.0", labels={L.TAG_RULE: "minor"})
    report = update(engine, registry)
    text = Template("{{range .Report.Updated}}{{.LatestImageName}}{{end}}").render(
        title="T", host="h", report=report, entries=[]
    )
    assert text == f"{APP}:1.1.0"
