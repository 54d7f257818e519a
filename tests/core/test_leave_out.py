"""Leaving entries out of a plan (``Plan.leaving_out``), and acting on plans
over a fleet (``update_hosts(..., plans=...)``)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from watchtower import UpdateParams, plan
from watchtower.errors import ConfigurationError
from watchtower.hosts import plan_hosts, update_hosts
from watchtower.plans import LEFT_OUT, NOT_RESTARTED, Action
from watchtower.report import Outcome
from watchtower.sorter import dependency_graph
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry

NAMES = ["a", "b", "c", "d", "e"]
DB = "example.org/db:1"
WEB = "example.org/web:1"


def stale_pair(engine: MemoryEngine, registry: MemoryRegistry) -> None:
    """``db`` on a stale image, ``web`` linked to it on a fresh one."""
    registry.publish(DB)
    registry.publish(WEB)
    engine.run("db", DB)
    engine.run("web", WEB, links=["db"])
    registry.publish(DB)


def test_leaving_out_an_update_drops_the_restarts_it_caused(engine, registry) -> None:
    stale_pair(engine, registry)
    planned = plan(engine, registry)
    assert planned.entry("web").action is Action.RESTART

    left = planned.leaving_out(["db"])

    assert (left.entry("db").action, left.entry("db").reason) == (Action.NONE, LEFT_OUT)
    assert (left.entry("web").action, left.entry("web").reason) == (Action.NONE, NOT_RESTARTED)
    assert left.units == ()


def test_leaving_out_a_restart_keeps_the_update(engine, registry) -> None:
    stale_pair(engine, registry)
    left = plan(engine, registry).leaving_out(["web"], reason="declined")

    assert left.entry("db").action is Action.UPDATE
    assert (left.entry("web").action, left.entry("web").reason) == (Action.NONE, "declined")
    assert left.units == (("db",),)


def test_leaving_out_a_name_the_plan_lacks_says_which(engine, registry) -> None:
    stale_pair(engine, registry)
    with pytest.raises(ConfigurationError, match="'cache'"):
        plan(engine, registry).leaving_out(["cache"])


@st.composite
def fleets(draw: st.DrawFn) -> dict[str, Any]:
    """Containers with links, some images pushed again, and the names to leave out."""
    images = {name: draw(st.sampled_from(["x", "y", name])) for name in NAMES}
    links = {
        name: draw(st.lists(st.sampled_from(NAMES[:i]), unique=True, max_size=2)) if i else []
        for i, name in enumerate(NAMES)
    }
    refs = sorted(set(images.values()))
    return {
        "images": images,
        "links": links,
        "pushed": draw(st.lists(st.sampled_from(refs), unique=True)),
        "left": draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=3)),
    }


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fleet=fleets())
def test_leaving_out_never_adds_an_action_nor_keeps_a_restart_without_cause(fleet) -> None:
    registry = MemoryRegistry(FixedClock())
    engine = MemoryEngine(registry)
    ref = {image: f"example.org/{image}:1" for image in {*fleet["images"].values()}}
    for image in ref.values():
        registry.publish(image)
    for name in NAMES:
        engine.run(name, ref[fleet["images"][name]], links=fleet["links"][name])
    for image in fleet["pushed"]:
        registry.publish(ref[image])
    planned = plan(engine, registry)

    left = planned.leaving_out(fleet["left"])

    graph = dependency_graph([e.container for e in planned.entries])
    acting = {e.name for e in left.actions}
    for before, after in zip(planned.entries, left.entries, strict=True):
        assert after.name == before.name
        assert after.action in (before.action, Action.NONE)  # never added, never changed
        if after.name in fleet["left"]:
            assert after.action is Action.NONE
        if after.action is Action.RESTART:
            # Something it depends on is still acted on: its cause is not all left out.
            assert graph[after.name] & acting
    assert {n for unit in left.units for n in unit} == acting


def test_acting_on_plans_over_a_fleet_touches_only_the_hosts_planned(clock) -> None:
    registry = MemoryRegistry(clock)
    engines = {"a": MemoryEngine(registry), "b": MemoryEngine(registry)}
    for engine in engines.values():
        stale_pair(engine, registry)
    registry.publish(DB)  # both hosts run the older db
    plans, failures = plan_hosts(engines, registry, UpdateParams(), clock=clock)
    assert not failures
    ids = {host: {c.name: c.id for c in e.containers()} for host, e in engines.items()}

    result = update_hosts(
        engines, registry, clock=clock, plans={"a": plans["a"].leaving_out(["web"])}
    )

    assert set(result.reports) == {"a"}
    assert result.reports["a"].get("db").outcome is Outcome.UPDATED
    assert engines["a"].container("web").id == ids["a"]["web"]
    assert {c.name: c.id for c in engines["b"].containers()} == ids["b"]


def test_a_plan_for_a_host_the_fleet_lacks_is_refused(engine, registry, clock) -> None:
    stale_pair(engine, registry)
    plans, _ = plan_hosts({"a": engine}, registry, clock=clock)
    with pytest.raises(ConfigurationError, match="'z'"):
        update_hosts({"a": engine}, registry, clock=clock, plans={"z": plans["a"]})
