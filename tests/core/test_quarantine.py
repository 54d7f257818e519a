"""Quarantine and circuit breaker: a digest that failed is not deployed again; a run stops."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watchtower import UpdateParams, plan, update
from watchtower.events import Event, Failed, Step, Updated
from watchtower.history import MemoryHistory
from watchtower.hosts import update_hosts
from watchtower.notify import Template
from watchtower.notify._templates import json_v1
from watchtower.report import ContainerReport, Outcome, Quarantine, Report
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry

WEB = "example.org/web:1"


def engine_of(registry: MemoryRegistry, *names: str, image: str = WEB) -> MemoryEngine:
    engine = MemoryEngine(registry)
    for name in names:
        engine.run(name, image)
    return engine


class TestOneEngine:
    def test_a_failed_start_quarantines_the_digest_and_the_next_container_is_skipped(
        self, clock: FixedClock
    ) -> None:
        """One at a time: web1 fails to start, so web2 is not moved to that digest."""
        registry = MemoryRegistry(clock)
        registry.publish(WEB)
        engine = engine_of(registry, "web1", "web2")
        registry.publish(WEB)
        digest, image_id = registry.served(WEB)
        engine.fail("start", "web1")
        history = MemoryHistory(clock=clock)

        report = update(
            engine, registry, UpdateParams(update_concurrency=1), clock=clock, history=history
        )

        web1, web2 = report.get("web1"), report.get("web2")
        assert web1 is not None and web1.outcome is Outcome.FAILED
        assert web2 is not None and web2.outcome is Outcome.SKIPPED
        assert f"digest {digest[:19]}\u2026 is quarantined: it failed on web1:" in web2.reason
        assert "release it with watchtower release-digest" in web2.reason
        assert [q.digest for q in report.quarantined] == [digest]
        assert report.quarantined[0].container == "web1"
        kept = history.quarantined()[digest]
        assert kept.active and kept.image == WEB and "did not start" in kept.reason
        assert all(c.image_id != image_id for c in engine.list_containers())

    def test_a_later_run_skips_it_on_purpose_and_reports_it_once(self, clock: FixedClock) -> None:
        registry = MemoryRegistry(clock)
        registry.publish(WEB)
        engine = engine_of(registry, "web1")
        registry.publish(WEB)
        engine.fail("start", "web1")
        history = MemoryHistory(clock=clock)
        first = update(engine, registry, clock=clock, history=history)
        assert len(first.quarantined) == 1
        starts = engine.count("start")

        second = update(engine, registry, clock=clock, history=history)

        entry = second.get("web1")
        assert entry is not None and entry.outcome is Outcome.SKIPPED
        assert "is quarantined" in entry.reason
        assert second.quarantined == ()
        assert engine.count("start") == starts  # nothing stopped, nothing started

    def test_a_newer_digest_is_tried_and_ends_the_quarantine(self, clock: FixedClock) -> None:
        registry = MemoryRegistry(clock)
        registry.publish(WEB)
        engine = engine_of(registry, "web1")
        registry.publish(WEB)
        bad, _ = registry.served(WEB)
        engine.fail("start", "web1")
        history = MemoryHistory(clock=clock)
        update(engine, registry, clock=clock, history=history)
        registry.publish(WEB)
        _, good = registry.served(WEB)

        report = update(engine, registry, clock=clock, history=history)

        assert [e.name for e in report.updated] == ["web1"]
        assert engine.list_containers()[0].image_id == good
        ended = history.quarantined()[bad]
        assert not ended.active and ended.released_by.startswith("the registry serves")

    def test_release_lets_the_next_run_try_again(self, clock: FixedClock) -> None:
        registry = MemoryRegistry(clock)
        registry.publish(WEB)
        engine = engine_of(registry, "web1")
        registry.publish(WEB)
        digest, image_id = registry.served(WEB)
        engine.fail("start", "web1")
        history = MemoryHistory(clock=clock)
        update(engine, registry, clock=clock, history=history)

        history.release_digest(digest[:19], by="fixed the config")
        report = update(engine, registry, clock=clock, history=history)

        assert [e.name for e in report.updated] == ["web1"]
        assert engine.list_containers()[0].image_id == image_id
        assert history.quarantined()[digest].released_by == "fixed the config"

    def test_an_approved_plan_to_a_digest_quarantined_since_is_not_carried_out(
        self, clock: FixedClock
    ) -> None:
        registry = MemoryRegistry(clock)
        registry.publish(WEB)
        engine = engine_of(registry, "web1")
        before = engine.container("web1").id
        registry.publish(WEB)
        digest, _ = registry.served(WEB)
        approved = plan(engine, registry, clock=clock)
        history = MemoryHistory(clock=clock)
        history.quarantine(Quarantine(digest=digest, image=WEB, reason="exit 1", at=clock()))

        report = update(engine, registry, clock=clock, history=history, plan=approved)

        entry = report.get("web1")
        assert entry is not None and entry.outcome is Outcome.SKIPPED
        assert entry.reason.startswith(f"digest {digest[:19]}\u2026 is quarantined")
        assert engine.container("web1").id == before

    def test_a_dry_run_quarantines_nothing(self, clock: FixedClock) -> None:
        registry = MemoryRegistry(clock)
        registry.publish(WEB)
        engine = engine_of(registry, "web1")
        registry.publish(WEB)
        history = MemoryHistory(clock=clock)
        report = update(engine, registry, clock=clock, history=history, dry_run=True)
        assert report.quarantined == () and history.quarantined() == {}

    @pytest.mark.parametrize("step", ["rename", "stop"])
    def test_a_failure_before_the_new_image_runs_quarantines_nothing(
        self, clock: FixedClock, step: str
    ) -> None:
        """The old container could not be renamed or stopped: the image is not to blame."""
        registry = MemoryRegistry(clock)
        registry.publish(WEB)
        engine = engine_of(registry, "web1", "web2")
        registry.publish(WEB)
        engine.fail(step, "web1")
        history = MemoryHistory(clock=clock)

        report = update(
            engine, registry, UpdateParams(update_concurrency=1), clock=clock, history=history
        )

        assert [e.name for e in report.failed] == ["web1"]
        assert [e.name for e in report.updated] == ["web2"]
        assert report.quarantined == () and history.quarantined() == {}

    def test_a_restart_that_fails_quarantines_nothing(self, clock: FixedClock) -> None:
        """A dependent recreated on its own image: its failure is not the new image's."""
        registry = MemoryRegistry(clock)
        registry.publish(WEB)
        registry.publish("example.org/db:1")
        engine = MemoryEngine(registry)
        engine.run("db", "example.org/db:1")
        engine.run("web", WEB, links=["db"])
        registry.publish("example.org/db:1")
        engine.fail("start", "web")
        history = MemoryHistory(clock=clock)

        report = update(engine, registry, clock=clock, history=history)

        assert {e.name for e in report.failed} == {"web"}
        assert [q.container for q in report.quarantined] == []


class TestCircuitBreaker:
    def test_after_n_failures_the_rest_are_skipped_and_nothing_is_lost(
        self, clock: FixedClock
    ) -> None:
        registry = MemoryRegistry(clock)
        names = [f"app{n}" for n in range(5)]
        engine = MemoryEngine(registry)
        for name in names:
            registry.publish(f"example.org/{name}:1")
            engine.run(name, f"example.org/{name}:1")
        for name in names:
            registry.publish(f"example.org/{name}:1")
        for name in names[:3]:
            engine.fail("start", name)
        params = UpdateParams(update_concurrency=1, max_failures=2)

        report = update(engine, registry, params, clock=clock)

        outcomes = {e.name: e.outcome for e in report}
        failed = [n for n, o in outcomes.items() if o is Outcome.FAILED]
        skipped = [e for e in report if e.outcome is Outcome.SKIPPED]
        assert len(failed) == 2
        assert len(skipped) == 3
        assert all(
            e.reason == "circuit breaker: 2 replacements failed in this run" for e in skipped
        )
        running = {c.name for c in engine.list_containers()}
        assert running == set(names)  # every container kept its name

    def test_zero_never_stops_a_run(self, clock: FixedClock) -> None:
        registry = MemoryRegistry(clock)
        engine = MemoryEngine(registry)
        for n in range(3):
            registry.publish(f"example.org/app{n}:1")
            engine.run(f"app{n}", f"example.org/app{n}:1")
            registry.publish(f"example.org/app{n}:1")
            engine.fail("start", f"app{n}")
        report = update(engine, registry, UpdateParams(update_concurrency=1), clock=clock)
        assert len(report.failed) == 3

    def test_a_fleet_counts_the_failures_of_every_host(self, clock: FixedClock) -> None:
        registry = MemoryRegistry(clock)
        engines = {}
        for host in ("a", "b", "c"):
            engine = MemoryEngine(registry)
            registry.publish(f"example.org/{host}:1")
            engine.run("app", f"example.org/{host}:1")
            registry.publish(f"example.org/{host}:1")
            engines[host] = engine
        engines["a"].fail("start", "app")
        engines["b"].fail("start", "app")
        params = UpdateParams(max_failures=2)

        result = update_hosts(engines, registry, params, clock=clock, concurrency=1)

        outcomes = {e.host: e.outcome for e in result.total}
        assert outcomes == {"a": Outcome.FAILED, "b": Outcome.FAILED, "c": Outcome.SKIPPED}


class TestFleet:
    def test_a_failure_on_host_a_keeps_host_b_off_that_digest_in_the_same_run(
        self, clock: FixedClock
    ) -> None:
        registry = MemoryRegistry(clock)
        registry.publish(WEB)
        engines = {"a": engine_of(registry, "web"), "b": engine_of(registry, "web")}
        registry.publish(WEB)
        digest, image_id = registry.served(WEB)
        engines["a"].fail("start", "web")
        history = MemoryHistory(clock=clock)

        result = update_hosts(engines, registry, clock=clock, concurrency=1, history=history)

        b = result.reports["b"].get("web")
        assert b is not None and b.outcome is Outcome.SKIPPED
        assert "it failed on web at host a:" in b.reason
        assert [(q.host, q.digest) for q in result.total.quarantined] == [("a", digest)]
        assert history.quarantined()[digest].host == "a"
        assert engines["b"].list_containers()[0].image_id != image_id
        # And in every later run: the history keeps it.
        again = update_hosts(engines, registry, clock=clock, history=history)
        assert {e.outcome for e in again.total} == {Outcome.SKIPPED}
        assert again.total.quarantined == ()


@st.composite
def fleets(draw: st.DrawFn) -> tuple[list[list[int]], set[tuple[int, int]]]:
    """Hosts, each running containers on some of three images; which replacements fail."""
    hosts = draw(st.integers(min_value=1, max_value=4))
    layout = [
        draw(st.lists(st.integers(min_value=0, max_value=2), min_size=1, max_size=4))
        for _ in range(hosts)
    ]
    cells = [(h, c) for h, row in enumerate(layout) for c in range(len(row))]
    return layout, draw(st.sets(st.sampled_from(cells)))


@given(fleets(), st.sets(st.integers(min_value=0, max_value=2)))
@settings(max_examples=60, deadline=None)
def test_a_quarantined_digest_is_never_deployed_on_any_host(
    drawn: tuple[list[list[int]], set[tuple[int, int]]], before: set[int]
) -> None:
    """No container of any host is moved to a digest once it is quarantined.

    Quarantined before the run (in the history), or by a failure earlier in
    the run, on this host or another: the run's events, in order, never
    show a replacement to it after that.
    """
    layout, failing = drawn
    clock = FixedClock()
    registry = MemoryRegistry(clock)
    images = [f"example.org/img{n}:1" for n in range(3)]
    for image in images:
        registry.publish(image)
    engines: dict[str, MemoryEngine] = {}
    for h, row in enumerate(layout):
        engine = MemoryEngine(registry)
        for c, i in enumerate(row):
            engine.run(f"c{c}", images[i])
        engines[f"h{h}"] = engine
    for image in images:
        registry.publish(image)
    served = {i: registry.served(image) for i, image in enumerate(images)}
    history = MemoryHistory(clock=clock)
    for i in before:
        history.quarantine(Quarantine(digest=served[i][0], image=images[i], at=clock()))
    for h, c in failing:
        engines[f"h{h}"].fail("start", f"c{c}")
    events: list[Event] = []

    result = update_hosts(
        engines,
        registry,
        UpdateParams(update_concurrency=1),
        clock=clock,
        history=history,
        concurrency=1,
        observer=events.append,
    )

    target = {
        (f"h{h}", f"c{c}"): served[i][1] for h, row in enumerate(layout) for c, i in enumerate(row)
    }
    banned = {served[i][1] for i in before}
    for event in events:
        if isinstance(event, Updated):
            assert event.new_image_id not in banned, f"{event.host}/{event.container}"
        elif isinstance(event, Failed) and event.step is Step.START:
            banned.add(target[(event.host, event.container)])
    # Every digest that failed is quarantined, once.
    failed = {served[layout[h][c]][0] for h, c in failing} - {served[i][0] for i in before}
    quarantined = [q.digest for q in result.total.quarantined]
    assert len(quarantined) == len(set(quarantined))
    assert set(quarantined) <= failed
    assert {q.digest for q in history.quarantined().values() if q.active} <= failed | {
        served[i][0] for i in before
    }


def test_the_default_template_and_json_v1_name_a_new_quarantine_once() -> None:
    at = FixedClock()()
    failed = ContainerReport(
        id="c1",
        name="web",
        image=WEB,
        old_image_id="sha256:" + "a" * 64,
        outcome=Outcome.FAILED,
        reason="its replacement did not start",
    )
    quarantine = Quarantine(digest="sha256:" + "b" * 64, image=WEB, container="web", at=at)
    report = Report(entries=[failed], started_at=at, finished_at=at, quarantined=[quarantine])

    text = Template("default").render(title="", host="", report=report)

    assert text.splitlines()[-1] == (
        f"- quarantined sha256:bbbbbbbbbbbb\u2026 ({WEB}): no other container is moved to it "
        "until `watchtower release-digest`"
    )
    body = json_v1(title="", host="", report=report, entries=[])["report"]
    assert [q["digest"] for q in body["quarantined"]] == [quarantine.digest]
    plain = Report(entries=[failed], started_at=at, finished_at=at)
    assert "quarantined" not in Template("default").render(title="", host="", report=plain)
    assert "quarantined" not in json_v1(title="", host="", report=plain, entries=[])["report"]
    assert report.to_dict()["quarantined"][0]["active"] is True
