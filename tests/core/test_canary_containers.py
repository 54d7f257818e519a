"""Canary containers: a new image reaches the labelled canaries first, the others once promoted."""

from __future__ import annotations

from datetime import datetime, timedelta

from watchtower import UpdateParams, plan, update
from watchtower import labels as L
from watchtower.canary import Deployment
from watchtower.errors import HistoryError
from watchtower.events import Event, Failed, Step, Updated
from watchtower.fleet import Fleet, Host
from watchtower.history import Change, MemoryHistory
from watchtower.hosts import plan_hosts, update_hosts
from watchtower.plans import Action
from watchtower.report import Outcome, Report
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry

WEB = "example.org/web:1"
SOAK = timedelta(minutes=30)
CANARY = {L.CANARY: "true"}


def engine_of(registry: MemoryRegistry) -> MemoryEngine:
    """One engine: web-a, the canary web-canary, web-b, all on WEB; a new WEB published."""
    registry.publish(WEB)
    engine = MemoryEngine(registry)
    # The canary is listed between the others: it still goes first.
    engine.run("web-a", WEB)
    engine.run("web-canary", WEB, labels=CANARY)
    engine.run("web-b", WEB)
    registry.publish(WEB)
    return engine


def images(engine: MemoryEngine) -> dict[str, str]:
    return {c.name: c.image_id for c in engine.list_containers()}


def outcomes(report: Report) -> dict[str, Outcome]:
    return {e.name: e.outcome for e in report}


def test_where_a_deployment_was_is_told_in_words() -> None:
    at = FixedClock()()
    assert Deployment("a", WEB, "sha256:1", at).where == "canary host a"
    assert Deployment("", WEB, "sha256:1", at, container="c").where == "canary container c"
    on_host = Deployment("a", WEB, "sha256:1", at, container="c")
    assert on_host.where == "canary container c of host a"


def test_a_bad_image_fails_on_the_canary_container_and_never_reaches_the_others(
    clock: FixedClock,
) -> None:
    registry = MemoryRegistry(clock)
    engine = engine_of(registry)
    before = images(engine)
    engine.fail("start", "web-canary")
    history = MemoryHistory(clock=clock)
    params = UpdateParams(canary_soak=SOAK)

    first = update(engine, registry, params, clock=clock, history=history)
    clock.advance(SOAK * 3)
    second = update(engine, registry, params, clock=clock, history=history)

    assert outcomes(first)["web-canary"] is Outcome.FAILED
    for result in (first, second):
        for name in ("web-a", "web-b"):
            assert outcomes(result)[name] is Outcome.SKIPPED
    assert images(engine) == before
    waiting = {e.name: e for e in second}["web-a"]
    assert "quarantined" in waiting.reason


def test_a_good_image_reaches_the_others_only_after_the_soak(clock: FixedClock) -> None:
    registry = MemoryRegistry(clock)
    engine = engine_of(registry)
    before = images(engine)
    new = registry.served(WEB)[1]
    history = MemoryHistory(clock=clock)
    params = UpdateParams(canary_soak=SOAK)

    first = update(engine, registry, params, clock=clock, history=history)
    assert images(engine) == {**before, "web-canary": new}
    waiting = {e.name: e for e in first}["web-a"]
    assert waiting.outcome is Outcome.SKIPPED
    assert "waits for the canaries" in waiting.reason
    assert "on no canary yet" in waiting.reason  # the canary went in this very run

    clock.advance(SOAK / 2)
    shown = plan(engine, registry, params, clock=clock, past=history)
    entry = {e.name: e for e in shown.entries}["web-b"]
    assert entry.stage == "canary" and entry.action is Action.NONE
    assert "on canary container web-canary since" in entry.reason
    assert "30m soak" in entry.reason
    update(engine, registry, params, clock=clock, history=history)
    assert images(engine) == {**before, "web-canary": new}

    clock.advance(SOAK)
    shown = plan(engine, registry, params, clock=clock, past=history)
    assert {e.name: e.stage for e in shown.entries}["web-a"] == "promoted"
    last = update(engine, registry, params, clock=clock, history=history)
    assert outcomes(last)["web-a"] is Outcome.UPDATED
    assert set(images(engine).values()) == {new}


class UnreadableHistory(MemoryHistory):
    def changes(self, **_: object) -> list[Change]:
        raise HistoryError("The history at /data/history.db cannot be read: disk I/O error.")


def test_a_history_that_cannot_say_what_the_canaries_did_promotes_nothing_and_says_so(
    clock: FixedClock,
) -> None:
    registry = MemoryRegistry(clock)
    engine = engine_of(registry)
    before = images(engine)
    events: list[Event] = []

    shown = plan(
        engine,
        registry,
        UpdateParams(canary_soak=SOAK),
        clock=clock,
        past=UnreadableHistory(clock=clock),
        observer=events.append,
    )

    (failed,) = [e for e in events if isinstance(e, Failed)]
    assert failed.step is Step.HISTORY
    assert failed.reason == (
        "What canary containers web-canary did could not be read: The history at"
        " /data/history.db cannot be read: disk I/O error."
    )
    entries = {e.name: e for e in shown.entries}
    assert entries["web-canary"].action is Action.UPDATE
    assert entries["web-a"].stage == "canary" and entries["web-a"].action is Action.NONE
    assert images(engine) == before


def test_promote_at_once_replaces_the_canary_first_then_the_rest(clock: FixedClock) -> None:
    registry = MemoryRegistry(clock)
    engine = engine_of(registry)
    new = registry.served(WEB)[1]
    events: list[Event] = []
    params = UpdateParams(canary_soak=SOAK, canary_promote_at_once=True)

    report = update(engine, registry, params, clock=clock, observer=events.append)

    assert set(images(engine).values()) == {new}
    updated = [e.container for e in events if isinstance(e, Updated)]
    assert updated[0] == "web-canary" and sorted(updated[1:]) == ["web-a", "web-b"]
    assert sorted(e.name for e in report) == ["web-a", "web-b", "web-canary"]
    assert all(e.outcome is Outcome.UPDATED for e in report)


def test_promote_at_once_still_stops_a_bad_image(clock: FixedClock) -> None:
    registry = MemoryRegistry(clock)
    engine = engine_of(registry)
    before = images(engine)
    engine.fail("start", "web-canary")
    params = UpdateParams(canary_promote_at_once=True)

    report = update(engine, registry, params, clock=clock)

    assert images(engine) == before
    assert outcomes(report)["web-a"] is Outcome.SKIPPED


def test_a_canary_container_is_never_gated_and_other_images_are_free(clock: FixedClock) -> None:
    registry = MemoryRegistry(clock)
    registry.publish(WEB)
    registry.publish("example.org/db:1")
    engine = MemoryEngine(registry)
    engine.run("web-canary", WEB, labels=CANARY)
    engine.run("web-canary-2", WEB, labels=CANARY)
    engine.run("db", "example.org/db:1")
    registry.publish(WEB)
    registry.publish("example.org/db:1")

    report = update(engine, registry, UpdateParams(canary_soak=SOAK), clock=clock)

    assert all(outcome is Outcome.UPDATED for outcome in outcomes(report).values())


def test_without_a_history_the_others_wait_and_a_warning_says_why(
    clock: FixedClock, caplog
) -> None:
    registry = MemoryRegistry(clock)
    engine = engine_of(registry)
    before = images(engine)
    params = UpdateParams(canary_soak=timedelta(0))

    update(engine, registry, params, clock=clock)
    clock.advance(SOAK)
    update(engine, registry, params, clock=clock)

    assert images(engine)["web-a"] == before["web-a"]
    assert "Canary containers (web-canary) without a history" in caplog.text


def test_on_a_fleet_each_host_gates_by_its_own_canary_containers(clock: FixedClock) -> None:
    registry = MemoryRegistry(clock)
    registry.publish(WEB)
    a, b = MemoryEngine(registry), MemoryEngine(registry)
    a.run("web", WEB)
    b.run("web", WEB)
    b.run("web-canary", WEB, labels=CANARY)
    fleet = Fleet((Host.of("a", a), Host.of("b", b)), concurrency=1)
    registry.publish(WEB)
    new = registry.served(WEB)[1]
    history = MemoryHistory(clock=clock)
    params = UpdateParams(canary_soak=SOAK)

    before = images(b)["web"]
    update_hosts(fleet, registry, params, clock=clock, history=history)
    clock.advance(SOAK / 2)
    plans, _ = plan_hosts(fleet, registry, params, clock=clock, history=history)

    assert images(b) == {"web": before, "web-canary": new}
    assert images(a) == {"web": new}  # a canary container gates its own engine only
    entry = {e.name: e for e in plans["b"].entries}["web"]
    assert entry.stage == "canary"
    assert "on canary container web-canary of host b since" in entry.reason
    assert [e.stage for e in plans["a"].entries] == [""]


def test_promote_at_once_holds_however_long_the_canary_took(clock: FixedClock) -> None:
    """The canary's update is soaked as of the time the rest is checked, not the plan's."""
    registry = MemoryRegistry(clock)
    engine = engine_of(registry)
    new = registry.served(WEB)[1]

    def slow() -> datetime:
        clock.advance(timedelta(seconds=7))  # every reading of the time a bit later
        return clock()

    params = UpdateParams(canary_soak=SOAK, canary_promote_at_once=True)
    update(engine, registry, params, clock=slow)

    assert set(images(engine).values()) == {new}
