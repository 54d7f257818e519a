"""update_pushed: only the containers whose image a push names are checked and updated."""

from __future__ import annotations

from datetime import timedelta

from watchtower.params import UpdateParams
from watchtower.push import PushEvent, update_pushed
from watchtower.report import Outcome, Report
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry

WEB = "example.org/web:1"
DB = "example.org/db:1"


def push_of(reference: str, clock: FixedClock, digest: str | None = None) -> PushEvent:
    repository, _, tag = reference.rpartition(":")
    return PushEvent(repository, tag, digest, "generic", clock())


def two_stale(engine: MemoryEngine, registry: MemoryRegistry) -> None:
    for name, reference in (("web", WEB), ("db", DB)):
        registry.publish(reference)
        engine.run(name, reference)
        registry.publish(reference)


def test_only_the_pushed_image_is_asked_for_and_updated(
    engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    two_stale(engine, registry)
    report = update_pushed([push_of(WEB, clock)], engine, registry, clock=clock)
    assert report is not None
    assert [(e.name, e.outcome) for e in report] == [("web", Outcome.UPDATED)]
    assert engine.container("web").image_id == registry.served(WEB)[1]
    assert engine.container("db").image_id != registry.served(DB)[1]
    assert registry.digest_requests == 1


def test_the_report_says_push_and_the_latency_from_the_push(
    engine: MemoryEngine, registry: MemoryRegistry
) -> None:
    clock = FixedClock(step=timedelta(seconds=1))
    two_stale(engine, registry)
    pushed = push_of(WEB, clock)
    report = update_pushed([pushed], engine, registry, clock=clock)
    assert report is not None
    assert report.trigger == "push"
    assert report.push_latency == report.finished_at - pushed.received
    assert report.push_latency > timedelta(0)
    assert report.to_dict()["trigger"] == "push"


def test_notifiers_get_the_report_that_names_the_push(
    engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    two_stale(engine, registry)
    sent: list[Report] = []

    class Broken:
        def notify(self, report: Report) -> None:
            raise OSError("receiver down")

    class Kept:
        def notify(self, report: Report) -> None:
            sent.append(report)

    report = update_pushed(
        [push_of(WEB, clock)], engine, registry, clock=clock, notifiers=[Broken(), Kept()]
    )
    assert report is not None
    assert [r.trigger for r in sent] == ["push"]
    assert sent[0].push_latency is not None
    assert report.failed_notifications == 1


def test_an_unknown_repository_runs_nothing(
    engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    two_stale(engine, registry)
    before = list(engine.calls)
    pushed = push_of("example.org/other:1", clock)
    assert update_pushed([pushed], engine, registry, clock=clock) is None
    assert registry.digest_requests == 0
    assert [m for m, _ in engine.calls[len(before) :]] == ["list"]


def test_another_tag_of_a_running_repository_runs_nothing(
    engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    two_stale(engine, registry)
    assert update_pushed([push_of("example.org/web:2", clock)], engine, registry) is None
    assert registry.digest_requests == 0


def test_a_container_out_of_scope_is_not_updated_by_a_push(
    engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    two_stale(engine, registry)
    params = UpdateParams(names=("db",))
    assert update_pushed([push_of(WEB, clock)], engine, registry, params, clock=clock) is None
    assert engine.container("web").image_id != registry.served(WEB)[1]


def test_a_name_with_a_dot_selects_that_container_only(
    engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    registry.publish(WEB)
    registry.publish(DB)
    engine.run("web.1", WEB)
    engine.run("webx1", DB)
    registry.publish(WEB)
    report = update_pushed([push_of(WEB, clock)], engine, registry, clock=clock)
    assert report is not None
    assert [e.name for e in report] == ["web.1"]


def test_monitor_only_reports_stale_and_changes_nothing(
    engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    two_stale(engine, registry)
    params = UpdateParams(monitor_only=True)
    report = update_pushed([push_of(WEB, clock)], engine, registry, params, clock=clock)
    assert report is not None
    assert [(e.name, e.outcome) for e in report] == [("web", Outcome.STALE)]


def test_a_container_that_depends_on_a_pushed_one_restarts_with_it(
    engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    for reference in (DB, WEB, "example.org/cache:1"):
        registry.publish(reference)
    engine.run("db", DB)
    engine.run("web", WEB, links=["db"])
    engine.run("cache", "example.org/cache:1")
    registry.publish(DB)
    report = update_pushed([push_of(DB, clock)], engine, registry, clock=clock)
    assert report is not None
    assert [(e.name, e.outcome) for e in report] == [
        ("db", Outcome.UPDATED),
        ("web", Outcome.RESTARTED),
    ]
