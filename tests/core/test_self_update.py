"""Watchtower's own container: replaced last, never in a one-time run, rolled back if unhealthy."""

from __future__ import annotations

from watchtower import UpdateParams, plan, update
from watchtower import labels as L
from watchtower.model import ContainerState
from watchtower.plans import Action, Status
from watchtower.report import Outcome
from watchtower.testing import MemoryEngine, MemoryRegistry

WT = "example.org/watchtower:1"
APP = "example.org/app:1"
SELF = {L.WATCHTOWER: "true"}


def _fleet(engine: MemoryEngine, registry: MemoryRegistry) -> None:
    """A stale watchtower whose name sorts first, and three stale applications."""
    registry.publish(WT)
    registry.publish(APP)
    engine.run("a-watchtower", WT, labels=SELF)
    for name in ("b-app", "c-app", "d-app"):
        engine.run(name, APP)
    registry.publish(WT)
    registry.publish(APP)


def _steps(engine: MemoryEngine) -> list[tuple[str, str]]:
    return [call for call in engine.calls if call[0] in ("rename", "create", "start", "remove")]


def test_the_plan_puts_watchtower_s_unit_last(
    engine: MemoryEngine, registry: MemoryRegistry
) -> None:
    _fleet(engine, registry)
    the_plan = plan(engine, registry)
    assert the_plan.units[-1] == ("a-watchtower",)
    assert list(the_plan.units[:-1]) == [("b-app",), ("c-app",), ("d-app",)]


def test_watchtower_is_replaced_after_every_other_unit(
    engine: MemoryEngine, registry: MemoryRegistry
) -> None:
    _fleet(engine, registry)
    report = update(engine, registry, UpdateParams(update_concurrency=4))
    assert {e.name: e.outcome for e in report} == {
        "a-watchtower": Outcome.UPDATED,
        "b-app": Outcome.UPDATED,
        "c-app": Outcome.UPDATED,
        "d-app": Outcome.UPDATED,
    }
    steps = _steps(engine)
    first_own = next(i for i, (_, who) in enumerate(steps) if who.startswith("a-watchtower"))
    others = [i for i, (_, who) in enumerate(steps) if not who.startswith("a-watchtower")]
    assert max(others) < first_own, steps
    # The predecessor keeps running aside; its successor removes it.
    aside = [n for n in engine.names() if n.startswith("a-watchtower-watchtower-old-")]
    assert len(aside) == 1
    assert engine.container(aside[0]).state is ContainerState.RUNNING


def test_a_one_time_run_never_replaces_watchtower(
    engine: MemoryEngine, registry: MemoryRegistry
) -> None:
    _fleet(engine, registry)
    old = engine.container("a-watchtower")
    report = update(engine, registry, UpdateParams(self_update=False))
    entry = report.get("a-watchtower")
    assert entry.outcome is Outcome.STALE
    # Why it is off the planner does not know: a one-time run, another host, a caller.
    assert entry.reason == "self-update is off: watchtower's own container is not replaced"
    assert engine.container("a-watchtower").id == old.id
    assert engine.names() == {"a-watchtower", "b-app", "c-app", "d-app"}
    assert [report.get(n).outcome for n in ("b-app", "c-app", "d-app")] == [Outcome.UPDATED] * 3


def test_without_self_update_the_plan_has_no_action_for_watchtower(
    engine: MemoryEngine, registry: MemoryRegistry
) -> None:
    _fleet(engine, registry)
    entry = plan(engine, registry, UpdateParams(self_update=False)).entry("a-watchtower")
    assert (entry.status, entry.action) == (Status.STALE, Action.NONE)


def test_an_unhealthy_successor_is_rolled_back_and_the_predecessor_keeps_running(
    engine: MemoryEngine, registry: MemoryRegistry
) -> None:
    _fleet(engine, registry)
    old = engine.container("a-watchtower")
    engine.unhealthy.add("a-watchtower")
    report = update(engine, registry)
    entry = report.get("a-watchtower")
    assert entry.outcome is Outcome.FAILED
    assert entry.rolled_back
    current = engine.container("a-watchtower")
    assert (current.id, current.state) == (old.id, ContainerState.RUNNING)
    assert engine.names() == {"a-watchtower", "b-app", "c-app", "d-app"}
    # Only the failed successor was stopped (killed), never the predecessor.
    assert [s[1] for s in engine.stops if s[0] == "a-watchtower"] == ["SIGKILL"]
