"""Versions and release-note links through a run: plan, report, events, logs and templates."""

from __future__ import annotations

import io
import json
import logging
from datetime import datetime, timezone

from tests.cli.support import make_runner
from watchtower import UpdateParams, plan, update
from watchtower import labels as L
from watchtower.cli.api import check, create_app
from watchtower.cli.api_settings import API_ENDPOINTS, ApiSettings
from watchtower.cli.logs import LogfmtFormatter, log_event
from watchtower.events import Event, UpdateAvailable, Updated
from watchtower.model import short_id
from watchtower.notify import Template
from watchtower.notify._entries import LogEntry
from watchtower.report import Outcome, Report
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry
from watchtower.versions import REVISION, SOURCE, VERSION, Version, short_digest

WEB = "example.org/web:1"
AT = datetime(2026, 1, 1, tzinfo=timezone.utc)
NOTES = "https://github.com/example/web/releases/tag/1.25.4"


def labelled(version: str, revision: str = "") -> dict[str, str]:
    return {VERSION: version, REVISION: revision, SOURCE: "https://github.com/example/web"}


def updated_run(engine: MemoryEngine, registry: MemoryRegistry) -> tuple[list[Event], Report]:
    registry.publish(WEB, labels=labelled("1.25.3", "1111111"))
    engine.run("web", WEB)
    registry.publish(WEB, labels=labelled("1.25.4", "2222222"))
    events: list[Event] = []
    return events, update(engine, registry, observer=events.append)


def test_an_update_carries_both_versions_and_the_link(
    engine: MemoryEngine, registry: MemoryRegistry
) -> None:
    """Report entry, its JSON, and both events name 1.25.3 -> 1.25.4 and the release page."""
    events, report = updated_run(engine, registry)
    entry = report.get("web")
    assert entry is not None and entry.outcome is Outcome.UPDATED
    assert entry.old_version is not None and entry.new_version is not None
    assert entry.old_version.version == "1.25.3" and entry.old_version.revision == "1111111"
    assert entry.new_version.version == "1.25.4" and entry.new_version.revision == "2222222"
    assert entry.change == "1.25.3 -> 1.25.4"
    assert entry.notes == NOTES
    document = entry.to_dict()
    assert document["new_version"] == {
        "version": "1.25.4",
        "revision": "2222222",
        "source": "https://github.com/example/web",
        "url": "",
        "created": "",
        "shown": "1.25.4",
    }
    assert document["old_version"]["shown"] == "1.25.3" and document["notes"] == NOTES
    found = [e for e in events if isinstance(e, (UpdateAvailable, Updated))]
    assert [(type(e), e.old_version, e.new_version, e.notes) for e in found] == [
        (UpdateAvailable, "1.25.3", "1.25.4", NOTES),
        (Updated, "1.25.3", "1.25.4", NOTES),
    ]
    # The replacement runs the new image, whose labels it now shows.
    assert Version.read(engine.container("web").labels).version == "1.25.4"


def test_the_templates_show_the_versions_and_the_link(
    engine: MemoryEngine, registry: MemoryRegistry
) -> None:
    """The default Jinja template, a Go template by field name, and json.v1."""
    _, report = updated_run(engine, registry)
    entry = report.get("web")
    assert entry is not None
    text = Template("default").render(title="T", host="h", report=report)
    assert text.splitlines()[1:] == [
        f"- web ({WEB}): {short_id(entry.old_image_id)} updated to "
        f"{short_id(entry.new_image_id)}, 1.25.3 -> 1.25.4",
        f"  {NOTES}",
    ]
    go = Template(
        "{{range .Report.Updated}}{{.Name}} {{.OldVersion}} -> {{.NewVersion}} {{.Notes}}{{end}}"
    )
    assert go.dialect == "go"
    assert go.render(title="T", host="h", report=report) == (f"web 1.25.3 -> 1.25.4 {NOTES}")
    jinja = Template("{% for c in report.updated %}{{ c.change }} {{ c.notes }}{% endfor %}")
    assert jinja.render(title="T", host="h", report=report) == (f"1.25.3 -> 1.25.4 {NOTES}")
    document = json.loads(Template("json.v1").render(title="T", host="h", report=report))
    updated = document["report"]["updated"][0]
    assert (updated["currentVersion"], updated["latestVersion"], updated["releaseNotes"]) == (
        "1.25.3",
        "1.25.4",
        NOTES,
    )


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_the_log_line_and_the_legacy_template_gain_the_version(
    engine: MemoryEngine, registry: MemoryRegistry
) -> None:
    """``Found new image ... version=1.25.3->1.25.4 notes=...``, and default-legacy says it."""
    events, _ = updated_run(engine, registry)
    stream = io.StringIO()
    logger = logging.getLogger("watchtower.test-versions")
    handler = logging.StreamHandler(stream)
    handler.setFormatter(LogfmtFormatter())
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    collect = Collect()
    logger.addHandler(collect)
    try:
        for event in events:
            log_event(logger, event)
    finally:
        logger.removeHandler(handler)
        logger.removeHandler(collect)
    lines = stream.getvalue().splitlines()
    found = next(line for line in lines if "Found new image" in line)
    assert f"version=1.25.3->1.25.4 notes={NOTES}" in found
    assert "version=1.25.3->1.25.4" in next(line for line in lines if "Container updated" in line)
    record = next(r for r in collect.records if r.getMessage() == "Found new image")
    fields = {
        k: str(v) for k, v in vars(record).items() if k in ("image", "new_id", "version", "notes")
    }
    entry = LogEntry(level="info", message="Found new image", time=AT, fields=fields)
    legacy = Template("default-legacy").render(title="", host="", report=None, entries=[entry])
    assert legacy == (
        f"Found new image: {WEB} ({fields['new_id']}), version 1.25.3->1.25.4, notes: {NOTES}"
    )


def test_unlabelled_images_keep_watchtowers_words(
    engine: MemoryEngine, registry: MemoryRegistry
) -> None:
    """No version label: events and logs carry no version, the templates read as before."""
    registry.publish(WEB)
    engine.run("web", WEB)
    registry.publish(WEB)
    events: list[Event] = []
    report = update(engine, registry, observer=events.append)
    entry = report.get("web")
    assert entry is not None and entry.notes == "" and not entry.versioned
    # The report still has something to show: the short digests.
    assert entry.change == (
        f"{entry.old_version.digest[7:19]} -> {entry.new_version.digest[7:19]}"  # type: ignore[union-attr]
    )
    assert all(
        (e.old_version, e.new_version, e.notes) == ("", "", "")
        for e in events
        if isinstance(e, (UpdateAvailable, Updated))
    )
    text = Template("default").render(title="T", host="h", report=report)
    assert text.splitlines()[1] == (
        f"- web ({WEB}): {short_id(entry.old_image_id)} updated to {short_id(entry.new_image_id)}"
    )
    document = json.loads(Template("json.v1").render(title="T", host="h", report=report))
    assert "currentVersion" not in document["report"]["updated"][0]


def test_a_tag_rule_move_shows_the_tags(engine: MemoryEngine, registry: MemoryRegistry) -> None:
    """Without version labels, the tags a rule moves between are the versions."""
    app = "example.org/app"
    for tag in ("1.0.0", "1.0.1"):
        registry.publish(f"{app}:{tag}")
    engine.run("app", f"{app}:1.0.0", labels={L.TAG_RULE: "patch"})
    the_plan = plan(engine, registry, UpdateParams(monitor_only=True))
    entry = the_plan.entry("app")
    assert entry.notes == ""
    report = update(engine, registry, UpdateParams(monitor_only=True))
    stale = report.get("app")
    assert stale is not None and stale.outcome is Outcome.STALE
    assert stale.change == "1.0.0 -> 1.0.1" and stale.versioned
    assert Template("default").render(title="T", host="h", report=report).splitlines()[1] == (
        f"- app ({app}:1.0.0): Stale, 1.0.0 -> 1.0.1"
    )
    assert the_plan.to_dict()["entries"][0]["new_version"]["shown"] == "1.0.1"


def test_a_release_notes_label_gives_the_link(
    engine: MemoryEngine, registry: MemoryRegistry
) -> None:
    """The container's template comes before the image's source."""
    registry.publish(WEB, labels=labelled("1.25.3"))
    template = "https://example.org/changes?from={old_version}&to={version}"
    engine.run("web", WEB, labels={L.RELEASE_NOTES: template})
    registry.publish(WEB, labels=labelled("1.25.4"))
    the_plan = plan(engine, registry)
    assert the_plan.entry("web").notes == "https://example.org/changes?from=1.25.3&to=1.25.4"
    assert "(version 1.25.3 -> 1.25.4)" in the_plan.describe()


def test_a_fresh_container_reports_its_version(
    engine: MemoryEngine, registry: MemoryRegistry
) -> None:
    """Its version is known; there is no new one and no link."""
    registry.publish(WEB, labels=labelled("1.25.3"))
    engine.run("web", WEB)
    entry = update(engine, registry).get("web")
    assert entry is not None and entry.outcome is Outcome.FRESH
    assert entry.old_version is not None and entry.old_version.shown == "1.25.3"
    assert (entry.new_version, entry.notes, entry.change) == (None, "", "")


def test_the_api_answers_the_versions(
    engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    """/v1/check and /v1/containers/details: version, latest_version and notes."""
    registry.publish(WEB, labels=labelled("1.25.3"))
    engine.run("web", WEB)
    engine.run("other", WEB, labels={L.RELEASE_NOTES: "https://example.org/{old_version}"})
    registry.publish(WEB, labels=labelled("1.25.4"))
    runner = make_runner(engine, registry, clock)
    api = create_app(runner, ApiSettings(endpoints=frozenset(API_ENDPOINTS), token="t"))
    client = api.test_client()
    auth = {"Authorization": "Bearer t"}

    def details() -> dict[str, dict[str, object]]:
        answer = client.get("/v1/containers/details", headers=auth).get_json()
        return {c["name"]: c for c in answer["containers"]}

    before = details()["web"]
    assert (before["version"], before["latest_version"], before["notes"]) == ("1.25.3", "", "")
    # Nothing is pulled: the new labels are unknown, the registry's digest stands in.
    results = {r["name"]: r for r in check(runner, UpdateParams())}
    digest = registry.served(WEB)[0]
    assert results["web"]["version"] == "1.25.3"
    assert results["web"]["latest_version"] == short_digest(digest)
    assert "notes" not in results["web"]  # a release page needs the new version
    assert results["other"]["notes"] == "https://example.org/1.25.3"
    assert engine.count("pull") == 0
    # A run finds the new image, and the page's answer says so until the next check.
    runner.run(UpdateParams(monitor_only=True))
    after = details()["web"]
    assert (after["version"], after["latest_version"], after["notes"]) == (
        "1.25.3",
        "1.25.4",
        NOTES,
    )
    assert client.post("/v1/check", headers=auth).status_code == 200
    assert details()["web"]["latest_version"] == short_digest(digest)


def test_the_history_keeps_the_versions_and_the_link(
    engine: MemoryEngine, registry: MemoryRegistry
) -> None:
    from watchtower.history import MemoryHistory

    registry.publish(WEB, labels=labelled("1.25.3", "1111111"))
    engine.run("web", WEB)
    registry.publish(WEB, labels=labelled("1.25.4", "2222222"))
    history = MemoryHistory()
    update(engine, registry, history=history)
    [change] = history.changes()
    assert (change.old_version, change.new_version, change.notes) == ("1.25.3", "1.25.4", NOTES)
