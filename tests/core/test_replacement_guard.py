"""The Replacer's guard: asked before each replacement begins, told how each ended."""

from __future__ import annotations

from watchtower import UpdateParams, plan
from watchtower._emitter import Emitter
from watchtower.events import Event, Skipped, Step
from watchtower.lanes import ScheduledClient
from watchtower.plans import PlanEntry
from watchtower.replacement import Guard, Replacer
from watchtower.report import ContainerReport, Outcome
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry

WEB = "example.org/web:1"


class Recorder:
    """A guard that stops the containers it is told to, and records what it hears."""

    def __init__(self, stopped: dict[str, str]) -> None:
        self.stopped = stopped
        self.asked: list[str] = []
        self.heard: list[tuple[str, Outcome, Step | None]] = []

    def stops(self, entry: PlanEntry) -> str:
        self.asked.append(entry.name)
        return self.stopped.get(entry.name, "")

    def ended(self, entry: PlanEntry, report: ContainerReport, failed_at: Step | None) -> None:
        self.heard.append((entry.name, report.outcome, failed_at))


def replace(
    engine: MemoryEngine,
    registry: MemoryRegistry,
    guard: Guard,
    events: list[Event],
    clock: FixedClock,
) -> dict[str, ContainerReport]:
    params = UpdateParams()
    entries = {e.name: e for e in plan(engine, registry, params, clock=clock).entries}
    units = [[entries["web1"]], [entries["web2"]], [entries["web3"]]]
    with Emitter(events.append, clock) as emit:
        replacer = Replacer(ScheduledClient.around(engine), params, emit, units, guard=guard)
        return replacer.run(1)


def test_a_stopped_replacement_keeps_its_container_and_the_guard_hears_every_outcome(
    clock: FixedClock,
) -> None:
    registry = MemoryRegistry(clock)
    registry.publish(WEB)
    engine = MemoryEngine(registry)
    old = {name: engine.run(name, WEB).id for name in ("web1", "web2", "web3")}
    registry.publish(WEB)
    engine.fail("start", "web3")
    guard, events = Recorder({"web2": "not today"}), list[Event]()

    done = replace(engine, registry, guard, events, clock)

    assert done["web1"].outcome is Outcome.UPDATED
    assert done["web2"].outcome is Outcome.SKIPPED and done["web2"].reason == "not today"
    assert done["web3"].outcome is Outcome.FAILED and done["web3"].rolled_back
    # Stopped before its stop: the same container, under its own name.
    assert {c.name: c.id for c in engine.containers()}["web2"] == old["web2"]
    assert Skipped(at=clock(), container="web2", reason="not today") in events
    assert guard.asked == ["web1", "web2", "web3"]
    assert guard.heard == [
        ("web1", Outcome.UPDATED, None),
        ("web2", Outcome.SKIPPED, None),
        ("web3", Outcome.FAILED, Step.START),
    ]
