"""Stacks: a compose project or a group planned, replaced and rolled back as one."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watchtower import UpdateParams, plan, update
from watchtower import labels as L
from watchtower._emitter import Emitter
from watchtower.events import Event, Failed, RolledBack
from watchtower.history import MemoryHistory
from watchtower.model import ContainerState
from watchtower.plans import Action
from watchtower.repair import repair
from watchtower.report import Outcome
from watchtower.stacks import held_back, merge_units
from watchtower.testing import FixedClock, Killed, MemoryEngine, MemoryRegistry, Misbehaviour

PROBED = {L.PROBE_HTTP: "http://:8080/health"}


def member(project: str, service: str, depends_on: str = "", **extra: str) -> dict[str, str]:
    """The labels of a compose container of ``project`` that is replaced with its stack."""
    labels = {L.COMPOSE_PROJECT: project, L.COMPOSE_SERVICE: service, L.STACK: "true"}
    if depends_on:
        labels[L.COMPOSE_DEPENDS_ON] = f"{depends_on}:service_started:false"
    return {**labels, **extra}


def shop(engine: MemoryEngine, registry: MemoryRegistry, **web: str) -> dict[str, str]:
    """A running two-service stack, db and web (which depends on db), both stale; old ids."""
    for ref in ("example.org/db:1", "example.org/web:1"):
        registry.publish(ref)
    db = engine.run("db", "example.org/db:1", labels=member("shop", "db"))
    site = engine.run("web", "example.org/web:1", labels=member("shop", "web", "db", **web))
    for ref in ("example.org/db:1", "example.org/web:1"):
        registry.publish(ref)
    return {"db": db.id, "web": site.id}


def test_a_stack_whose_second_service_fails_its_probe_ends_all_old(engine, registry) -> None:
    old = shop(engine, registry, **PROBED)
    engine.misbehaving["web"] = Misbehaviour(probe="answered 503")
    events: list[Event] = []
    report = update(engine, registry, observer=events.append)

    assert {c.name: c.id for c in engine.containers()} == old
    assert all(c.state is ContainerState.RUNNING for c in engine.containers())
    db, web = report.get("db"), report.get("web")
    assert web.outcome is Outcome.FAILED and web.rolled_back
    assert db.outcome is Outcome.FAILED and db.rolled_back
    assert db.reason.startswith(
        "rolled back with its stack: web failed: its replacement failed a check: "
        "probe http://:8080/health answered 503"
    )
    # The member that failed is rolled back last, its failure told then.
    assert [(e.container, e.step) for e in events if isinstance(e, Failed)] == [
        ("db", "stack"),
        ("web", "verify"),
    ]
    assert {e.container for e in events if isinstance(e, RolledBack) and e.restored} == {
        "db",
        "web",
    }
    # The tags name the images the stack runs again: compose recreates nothing.
    for name in ("db", "web"):
        local = engine.inspect_image(f"example.org/{name}:1")
        assert local is not None and local.id == engine.container(name).image_id


def test_a_stack_that_passes_is_all_new_and_the_old_containers_go_last(engine, registry) -> None:
    old = shop(engine, registry)
    report = update(engine, registry)
    assert [e.outcome for e in report] == [Outcome.UPDATED, Outcome.UPDATED]
    now = {c.name: c for c in engine.containers()}
    assert set(now) == {"db", "web"} and not set(old.values()) & {c.id for c in now.values()}
    removes = [i for i, (step, _) in enumerate(engine.calls) if step == "remove"]
    starts = [i for i, (step, _) in enumerate(engine.calls) if step == "start"]
    # Both replacements ran and passed before either old container was removed.
    assert len(removes) == 2 and max(starts) < min(removes)


def test_without_the_label_a_compose_project_is_replaced_container_by_container(
    engine, registry
) -> None:
    registry.publish("example.org/db:1")
    registry.publish("example.org/web:1")
    labels = {L.COMPOSE_PROJECT: "shop", L.PROBE_HTTP: "http://:8080/health"}
    engine.run("db", "example.org/db:1", labels={L.COMPOSE_PROJECT: "shop"})
    engine.run("web", "example.org/web:1", labels=labels)
    registry.publish("example.org/db:1")
    registry.publish("example.org/web:1")
    engine.misbehaving["web"] = Misbehaviour(probe="answered 503")
    report = update(engine, registry)
    assert report.get("db").outcome is Outcome.UPDATED  # as Watchtower always did
    assert report.get("web").outcome is Outcome.FAILED


def test_a_member_that_cannot_be_updated_holds_its_stack_back(engine, registry) -> None:
    shop(engine, registry, **{L.MONITOR_ONLY: "true"})
    the_plan = plan(engine, registry)
    db = next(e for e in the_plan.entries if e.name == "db")
    assert db.action is Action.NONE
    assert (
        db.reason
        == "held back with its stack (compose project shop): web cannot be updated: monitor only"
    )
    assert not the_plan.units
    assert update(engine, registry).get("db").outcome is Outcome.STALE


def test_a_group_label_makes_a_stack_of_unrelated_containers(engine, registry) -> None:
    registry.publish("example.org/a:1")
    registry.publish("example.org/b:1")
    group = {L.GROUP: "pair"}
    a = engine.run("a", "example.org/a:1", labels=group)
    b = engine.run("b", "example.org/b:1", labels={**group, **PROBED})
    registry.publish("example.org/a:1")
    registry.publish("example.org/b:1")
    assert plan(engine, registry).units == (("a", "b"),)
    engine.misbehaving["b"] = Misbehaviour(probe="was refused")
    report = update(engine, registry)
    assert report.get("a").reason.startswith("rolled back with its stack: b failed:")
    assert {c.name: c.id for c in engine.containers()} == {"a": a.id, "b": b.id}


def test_a_stack_label_without_a_compose_project_makes_no_stack(engine, registry) -> None:
    registry.publish("example.org/a:1")
    engine.run("a", "example.org/a:1", labels={L.STACK: "true"})
    engine.run("b", "example.org/a:1", labels={L.STACK: "true"})
    registry.publish("example.org/a:1")
    assert plan(engine, registry).units == (("a",), ("b",))


@pytest.mark.parametrize(
    ("units", "stacks", "merged"),
    [
        ([("a",), ("b",)], {"a": "s", "b": "s"}, (("a", "b"),)),
        ([("a",), ("b",)], {"a": "s", "b": "t"}, (("a",), ("b",))),
        ([("b", "c"), ("a",), ("d",)], {"a": "s", "c": "s"}, (("a", "b", "c"), ("d",))),
        # Two stacks that a unit joins become one unit.
        (
            [("a",), ("b",), ("c", "d")],
            {"a": "s", "b": "t", "c": "s", "d": "t"},
            (("a", "b", "c", "d"),),
        ),
    ],
)
def test_merge_units(
    units: list[tuple[str, ...]], stacks: dict[str, str], merged: tuple[tuple[str, ...], ...]
) -> None:
    assert merge_units(units, stacks, "abcd") == merged


def test_held_back_names_the_first_member_that_cannot_be_updated() -> None:
    stacks = {"a": "s", "b": "s", "c": "s", "d": ""}
    held = held_back(stacks, {"a", "d"}, {"c": "monitor only", "b": "its check failed: x"})
    assert held == {"a": "held back with its stack (s): b cannot be updated: its check failed: x"}


_FAILURES = ("create", "start", "stop", "probe", "hook")


@st.composite
def stacks(draw: Any) -> dict[str, Any]:
    """A compose stack of 2 to 5 services, each depending on an earlier one or not."""
    size = draw(st.integers(2, 5))
    services = [f"s{i}" for i in range(size)]
    depends = [draw(st.sampled_from(["", *services[:i]])) for i in range(size)]
    stale = draw(st.lists(st.booleans(), min_size=size, max_size=size))
    stale[draw(st.integers(0, size - 1))] = True
    failing = draw(st.sampled_from([s for s, old in zip(services, stale, strict=True) if old]))
    return {
        "services": services,
        "depends": depends,
        "stale": stale,
        "failing": failing,
        "failure": draw(st.sampled_from(_FAILURES)),
        "fails": draw(st.booleans()),
        "rolling": draw(st.booleans()),
        "hooks": draw(st.booleans()),
    }


@settings(max_examples=80, deadline=None)
@given(stacks())
def test_a_stack_never_ends_half_updated(stack: dict[str, Any]) -> None:
    registry = MemoryRegistry()
    engine = MemoryEngine(registry)
    before = {}
    for service, depends in zip(stack["services"], stack["depends"], strict=True):
        ref = f"example.org/{service}:1"
        registry.publish(ref)
        labels = member("app", service, depends, **PROBED)
        labels[L.PRE_UPDATE] = "true"
        before[service] = engine.run(service, ref, labels=labels)
    # A container outside the stack, updated as ever.
    registry.publish("example.org/other:1")
    engine.run("other", "example.org/other:1")
    registry.publish("example.org/other:1")
    for service, stale in zip(stack["services"], stack["stale"], strict=True):
        if stale:
            registry.publish(f"example.org/{service}:1")
    failing, failure = stack["failing"], stack["failure"]
    if stack["fails"]:
        if failure == "probe":
            engine.misbehaving[failing] = Misbehaviour(probe="answered 503")
        elif failure == "hook":
            engine.hook_exit_codes[(failing, "true")] = 1
        else:
            engine.fail(failure, failing)
    params = UpdateParams(rolling_restart=stack["rolling"], lifecycle_hooks=stack["hooks"])
    report = update(engine, registry, params)

    now = {c.name: c for c in engine.containers()}
    assert set(now) == {*stack["services"], "other"}, sorted(now)
    assert all(c.state is ContainerState.RUNNING for c in now.values())
    new = {s: registry.served(f"example.org/{s}:1")[1] for s in stack["services"]}
    old_images = {s: now[s].image_id == before[s].image_id for s in stack["services"]}
    new_images = {s: now[s].image_id == new[s] for s in stack["services"]}
    hook_fails = failure == "hook" and not stack["hooks"]
    if stack["fails"] and not hook_fails:
        assert all(old_images.values()), (old_images, [(e.name, e.reason) for e in report])
        assert all(now[s].id == before[s].id for s in stack["services"])
    else:
        assert all(new_images.values()), (new_images, [(e.name, e.reason) for e in report])
    assert report.get("other").outcome is Outcome.UPDATED


def _stack_engine(size: int, failing: int | None) -> tuple[MemoryEngine, MemoryRegistry]:
    """A chain of ``size`` stale services of one stack; the ``failing``-th fails its probe."""
    registry = MemoryRegistry()
    engine = MemoryEngine(registry)
    for i in range(size):
        registry.publish(f"example.org/s{i}:1")
        labels = member("app", f"s{i}", f"s{i - 1}" if i else "", **PROBED)
        engine.run(f"s{i}", f"example.org/s{i}:1", labels=labels)
        registry.publish(f"example.org/s{i}:1")
    if failing is not None:
        engine.misbehaving[f"s{failing}"] = Misbehaviour(probe="answered 503")
    return engine, registry


@settings(max_examples=12, deadline=None)
@given(size=st.integers(2, 3), failing=st.one_of(st.none(), st.integers(0, 2)))
def test_a_stack_run_killed_at_any_call_is_repaired_all_old_or_all_new(
    size: int, failing: int | None
) -> None:
    failing = None if failing is None or failing >= size else failing
    engine, registry = _stack_engine(size, failing)
    update(engine, registry)
    calls = len(engine.calls)
    for at in range(1, calls + 1):
        engine, registry = _stack_engine(size, failing)
        before = {c.name: c.image_id for c in engine.containers()}
        engine.kill_at(at)
        with contextlib.suppress(Killed):
            update(engine, registry)
        engine.kill_at(None)
        with Emitter(None, FixedClock()) as emit:
            lines = repair(engine, UpdateParams(), emit)
        now = {c.name: c for c in engine.containers()}
        where = f"killed at call {at} of {calls}: {lines}"
        assert set(now) == set(before), where
        assert all(c.state is ContainerState.RUNNING for c in now.values()), where
        kept = {name for name, c in now.items() if c.image_id == before[name]}
        assert kept in (set(), set(before)), where


def test_an_approved_plan_drops_a_stack_whole_when_a_member_moved(engine, registry) -> None:
    old = shop(engine, registry)
    approved = plan(engine, registry)
    assert approved.units == (("db", "web"),)
    registry.publish("example.org/web:1")  # pushed again since the plan was made
    report = update(engine, registry, plan=approved)
    assert report.get("web").reason.startswith("the registry serves another image")
    assert report.get("db").reason.startswith(
        "held back with its stack (compose project shop): web cannot be updated: "
        "the registry serves another image"
    )
    assert {c.name: c.id for c in engine.containers()} == old


def test_the_stacks_flag_makes_a_stack_of_every_compose_project_but_a_label_opts_out(
    engine, registry
) -> None:
    for name in ("db", "web", "cache"):
        registry.publish(f"example.org/{name}:1")
    compose = {L.COMPOSE_PROJECT: "shop"}
    engine.run("db", "example.org/db:1", labels=compose)
    engine.run("web", "example.org/web:1", labels=compose)
    engine.run("cache", "example.org/cache:1", labels={**compose, L.STACK: "false"})
    for name in ("db", "web", "cache"):
        registry.publish(f"example.org/{name}:1")
    assert plan(engine, registry).units == (("cache",), ("db",), ("web",))
    assert plan(engine, registry, UpdateParams(stacks=True)).units == (("cache",), ("db", "web"))


def test_a_failed_stack_quarantines_the_failing_members_digest_only(
    engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    """db was rolled back only because web failed: db's new image is not to blame."""
    shop(engine, registry, **PROBED)
    engine.misbehaving["web"] = Misbehaviour(probe="answered 503")
    history = MemoryHistory(clock=clock)
    report = update(engine, registry, clock=clock, history=history)

    web_digest = registry.served("example.org/web:1")[0]
    assert [q.digest for q in report.quarantined] == [web_digest]
    assert set(history.quarantined()) == {web_digest}


def compose_v2(
    engine: MemoryEngine, registry: MemoryRegistry, *, probed: bool = False, **other: str
) -> dict[str, str]:
    """Containers made by compose v2: each labelled with its image's local id; stale now.

    ``other`` gives a service's ``com.docker.compose.image`` another value.
    """
    made = {}
    for service in ("db", "web"):
        ref = f"example.org/{service}:1"
        registry.publish(ref)
        labels = {
            **member("shop", service, **(PROBED if probed else {})),
            L.COMPOSE_CONFIG_HASH: f"hash-of-{service}",
            L.COMPOSE_IMAGE: other.get(service) or engine.add_image(ref).id,
        }
        made[service] = engine.run(service, ref, labels=labels).image_id
        registry.publish(ref)
    return made


def test_compose_v2_finds_each_replacement_on_the_image_its_tag_names(engine, registry) -> None:
    old = compose_v2(engine, registry)
    report = update(engine, registry)
    assert [e.outcome for e in report] == [Outcome.UPDATED, Outcome.UPDATED]
    for service in ("db", "web"):
        now = engine.container(service)
        local = engine.inspect_image(f"example.org/{service}:1")
        # What `docker compose up -d` compares: the label against the tag's local id.
        assert local is not None and now.image_id == local.id != old[service]
        assert now.labels[L.COMPOSE_IMAGE] == local.id
        assert now.labels[L.COMPOSE_CONFIG_HASH] == f"hash-of-{service}"


def test_a_compose_image_label_that_named_no_old_image_is_carried_as_it_was(
    engine, registry
) -> None:
    compose_v2(engine, registry, web="sha256:" + "f" * 64)
    report = update(engine, registry)
    assert [e.outcome for e in report] == [Outcome.UPDATED, Outcome.UPDATED]
    assert engine.container("web").labels[L.COMPOSE_IMAGE] == "sha256:" + "f" * 64
    assert engine.container("db").labels[L.COMPOSE_IMAGE] == engine.container("db").image_id


def test_a_stack_rolled_back_keeps_compose_v2_labels_on_the_old_image(engine, registry) -> None:
    old = compose_v2(engine, registry, probed=True)
    engine.misbehaving["web"] = Misbehaviour(probe="answered 503")
    engine_labels = {c.name: dict(c.labels) for c in engine.containers()}
    update(engine, registry)
    for service in ("db", "web"):
        now = engine.container(service)
        assert now.image_id == old[service] == now.labels[L.COMPOSE_IMAGE]
        assert dict(now.labels) == engine_labels[service]
