"""Plan, approve, act: ``update(..., plan=approved)`` carries out the plan it is given, no other."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from watchtower import UpdateParams, execute, plan, update
from watchtower import labels as L
from watchtower.errors import RegistryError
from watchtower.events import Event, RunFinished, Skipped
from watchtower.history import MemoryHistory
from watchtower.planner import MOVED
from watchtower.plans import Action, Plan
from watchtower.repair import aside_name
from watchtower.report import Outcome, Report
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry

WEB = "example.org/web:1"
DB = "example.org/db:1"
API = "example.org/api:1"


class Recorder:
    """A notifier that keeps the reports it is given."""

    def __init__(self) -> None:
        self.reports: list[Report] = []

    def notify(self, report: Report) -> None:
        self.reports.append(report)


def drop(engine: MemoryEngine, name: str) -> None:
    """Stop and remove the container ``name``, as a person would."""
    container = engine.container(name)
    engine.stop_container(container, signal="SIGTERM", timeout=timedelta(seconds=1))
    engine.remove_container(container.id)


def test_an_approved_plan_is_carried_out_without_a_second_scan(engine, registry) -> None:
    for ref in (WEB, DB):
        registry.publish(ref)
    for n in range(3):
        engine.run(f"web{n}", WEB)
    engine.run("db", DB)
    registry.publish(WEB)
    approved = plan(engine, registry)
    assert (registry.digest_requests, engine.count("pull")) == (2, 1)

    report = update(engine, registry, plan=approved)

    assert sorted(e.name for e in report.updated) == ["web0", "web1", "web2"]
    assert report.get("db").outcome is Outcome.FRESH
    # One re-check for the one image the plan updates to; no pull at all.
    assert registry.digest_requests == 2 + 1
    assert engine.count("pull") == 1
    _, new_image_id = registry.served(WEB)
    assert {engine.container(f"web{n}").image_id for n in range(3)} == {new_image_id}


def test_a_tag_pushed_again_after_the_plan_is_not_replaced_and_says_so(engine, registry) -> None:
    registry.publish(WEB)
    registry.publish(DB)
    old = engine.run("web", WEB)
    engine.run("db", DB)
    registry.publish(WEB)
    registry.publish(DB)
    approved = plan(engine, registry)
    registry.publish(WEB)  # pushed again between the approval and the act

    report = update(engine, registry, plan=approved)

    web = report.get("web")
    assert web.outcome is Outcome.SKIPPED and not report.failed
    assert web.reason.startswith(MOVED) and "plan again" in web.reason
    assert engine.container("web").id == old.id
    assert report.get("db").outcome is Outcome.UPDATED
    assert engine.count("pull") == 2  # the plan's, none since


def test_a_rebuilt_image_the_plan_left_alone_is_not_replaced(engine, registry) -> None:
    """The run that first showed the problem: update() planned again and replaced it."""
    registry.publish(WEB)
    engine.run("web", WEB)
    approved = plan(engine, registry)
    assert approved.entry("web").action is Action.NONE
    registry.publish(WEB)

    report = update(engine, registry, plan=approved)

    assert report.get("web").outcome is Outcome.FRESH
    assert engine.count("create") == 0 and engine.count("pull") == 0
    assert registry.digest_requests == 1  # the plan's only


def test_a_container_changed_since_the_plan_is_not_acted_on(engine, registry) -> None:
    for ref in (WEB, DB, API):
        registry.publish(ref)
    engine.run("web", WEB)
    engine.run("db", DB)
    engine.run("api", API)
    for ref in (WEB, DB, API):
        registry.publish(ref)
    approved = plan(engine, registry)
    # Someone replaced web by hand, and removed db.
    drop(engine, "web")
    by_hand = engine.run("web", WEB)
    drop(engine, "db")

    report = update(engine, registry, plan=approved)

    assert report.get("web").outcome is Outcome.SKIPPED
    assert "another container" in report.get("web").reason
    assert engine.container("web").id == by_hand.id
    assert report.get("db").outcome is Outcome.SKIPPED
    assert "gone" in report.get("db").reason
    assert "db" not in engine.names()
    assert report.get("api").outcome is Outcome.UPDATED


def test_a_dependent_restarts_only_while_what_it_depends_on_is_replaced(engine, registry) -> None:
    registry.publish(DB)
    registry.publish(WEB)
    engine.run("db", DB)
    web = engine.run("web", WEB, links=["db"])
    registry.publish(DB)
    approved = plan(engine, registry)
    assert approved.entry("web").action is Action.RESTART
    registry.publish(DB)

    report = update(engine, registry, plan=approved)

    assert report.get("db").outcome is Outcome.SKIPPED
    assert report.get("web").outcome is not Outcome.RESTARTED
    assert engine.container("web").id == web.id
    assert engine.count("create") == 0


def test_the_whole_pipeline_runs_on_an_approved_plan(engine, registry, clock) -> None:
    """Repair, hooks, cleanup, history and notifiers, as update() does them."""
    registry.publish(WEB)
    registry.publish(DB)
    hooks = {L.PRE_CHECK: "pre-check", L.POST_CHECK: "post-check"}
    old = engine.run("web", WEB, labels=hooks)
    engine.run("db", DB)
    registry.publish(WEB)
    approved = plan(engine, registry)
    # A run killed half way through db's replacement, after the plan was made.
    db = engine.container("db")
    engine.rename_container(db.id, aside_name("db", db.id, running=True))
    history, notifier, events = MemoryHistory(), Recorder(), []

    report = update(
        engine,
        registry,
        UpdateParams(cleanup=True, lifecycle_hooks=True, keep_previous=0),
        plan=approved,
        clock=clock,
        history=history,
        notifiers=[notifier],
        observer=events.append,
    )

    assert report.repaired and "db" in engine.names()
    assert report.get("web").outcome is Outcome.UPDATED
    ran = [command for _, command, _ in engine.hook_users]
    assert ran == ["pre-check", "post-check"]
    assert report.removed_images == (old.image_id,)
    assert notifier.reports == [report]
    assert len(history.runs()) == 1
    assert isinstance(events[-1], RunFinished)


def test_a_dry_run_of_an_approved_plan_changes_nothing(engine, registry) -> None:
    registry.publish(WEB)
    engine.run("web", WEB)
    registry.publish(WEB)
    approved = plan(engine, registry)

    report = update(engine, registry, plan=approved, dry_run=True)

    assert report.get("web").outcome is Outcome.STALE
    assert engine.count("create") == 0 and engine.count("rename") == 0


def test_execute_removes_the_old_images_with_cleanup(engine, registry) -> None:
    registry.publish(WEB)
    old = engine.run("web", WEB)
    registry.publish(WEB)

    report = execute(plan(engine, registry), engine, UpdateParams(cleanup=True))

    assert report.removed_images == (old.image_id,)
    assert old.image_id not in engine.images()


def test_a_registry_that_cannot_be_asked_again_leaves_the_approved_update(engine, registry) -> None:
    registry.publish(WEB)
    engine.run("web", WEB)
    registry.publish(WEB)
    approved = plan(engine, registry)
    registry.fail(WEB, RegistryError("the registry is down"))

    report = update(engine, registry, plan=approved)

    assert report.get("web").outcome is Outcome.UPDATED
    assert engine.container("web").image_id == registry.served(WEB)[1]


def test_skipped_actions_are_told_to_the_observer(engine, registry) -> None:
    registry.publish(WEB)
    engine.run("web", WEB)
    registry.publish(WEB)
    approved = plan(engine, registry)
    registry.publish(WEB)
    events: list[Event] = []

    update(engine, registry, plan=approved, observer=events.append)

    skipped = [e for e in events if isinstance(e, Skipped)]
    assert [(e.container, e.reason.startswith(MOVED)) for e in skipped] == [("web", True)]


def test_a_container_a_rollback_holds_since_the_plan_is_not_updated(engine, registry) -> None:
    registry.publish(WEB)
    old = engine.run("web", WEB)
    registry.publish(WEB)
    approved = plan(engine, registry)
    history = MemoryHistory()
    history.hold("web", "", old.image_id, "1.0")

    report = update(engine, registry, plan=approved, history=history)

    assert report.get("web").outcome is Outcome.SKIPPED
    assert "held on 1.0" in report.get("web").reason
    assert engine.container("web").id == old.id


def test_monitor_only_acts_on_no_plan(engine, registry) -> None:
    registry.publish(WEB)
    engine.run("web", WEB)
    registry.publish(WEB)
    approved = plan(engine, registry)

    report = update(engine, registry, UpdateParams(monitor_only=True), plan=approved)

    assert report.get("web").outcome is Outcome.STALE
    assert engine.count("create") == 0


def test_an_update_whose_tag_moved_is_restarted_when_what_it_needs_is_replaced(
    engine, registry
) -> None:
    registry.publish(DB)
    registry.publish(WEB)
    engine.run("db", DB)
    web = engine.run("web", WEB, links=["db"])
    registry.publish(DB)
    registry.publish(WEB)
    approved = plan(engine, registry)
    assert approved.entry("web").action is Action.UPDATE
    registry.publish(WEB)

    report = update(engine, registry, plan=approved)

    assert report.get("db").outcome is Outcome.UPDATED
    entry = report.get("web")
    assert entry.outcome is Outcome.RESTARTED
    assert entry.reason.startswith(MOVED) and "it depends on db" in entry.reason
    now = engine.container("web")
    assert now.id != web.id and now.image_id == web.image_id


def test_an_update_whose_new_image_was_removed_since_the_plan_is_skipped(engine, registry) -> None:
    registry.publish(WEB)
    old = engine.run("web", WEB)
    registry.publish(WEB)
    approved = plan(engine, registry)
    engine.remove_image(approved.entry("web").new_image.id)

    report = update(engine, registry, plan=approved)

    assert report.get("web").outcome is Outcome.SKIPPED
    assert "no longer on the engine" in report.get("web").reason
    assert engine.container("web").id == old.id and engine.count("create") == 0


def test_an_action_taken_out_of_a_plan_is_not_carried_out_by_its_unit(engine, registry) -> None:
    registry.publish(WEB)
    web = engine.run("web", WEB)
    registry.publish(WEB)
    edited = declining(plan(engine, registry), ["web"])
    assert edited.units == (("web",),)

    assert execute(edited, engine).get("web").outcome is Outcome.STALE
    assert update(engine, registry, plan=edited).get("web").outcome is Outcome.STALE
    assert engine.container("web").id == web.id


def test_a_container_a_repair_gives_back_is_updated_as_planned(engine, registry) -> None:
    """A run killed after the plan left web aside; the repair undoes it, the plan goes on."""
    registry.publish(WEB)
    old = engine.run("web", WEB)
    registry.publish(WEB)
    approved = plan(engine, registry)
    engine.rename_container(old.id, aside_name("web", old.id, running=True))

    report = update(engine, registry, plan=approved)

    assert report.repaired
    assert report.get("web").outcome is Outcome.UPDATED
    assert engine.container("web").image_id == approved.entry("web").new_image.id
    assert engine.names() == {"web"}


def test_a_container_a_repair_finished_is_not_replaced_again(engine, registry) -> None:
    """The killed run had started web's replacement: the repair keeps it; the plan is old."""
    registry.publish(WEB)
    old = engine.run("web", WEB)
    registry.publish(WEB)
    approved = plan(engine, registry)
    engine.rename_container(old.id, aside_name("web", old.id, running=True))
    successor = engine.run("web", WEB)  # on the image the plan pulled

    report = update(engine, registry, plan=approved)

    assert report.repaired
    assert report.get("web").outcome is Outcome.SKIPPED
    assert "another container" in report.get("web").reason
    assert engine.container("web").id == successor.id and engine.names() == {"web"}


# The property ---------------------------------------------------------------

NAMES = ["a", "b", "c", "d", "e"]


@st.composite
def fleets(draw: st.DrawFn) -> dict[str, Any]:
    """A fleet with links; pushes before the plan; what a person and the registry do after."""
    images = {name: draw(st.sampled_from(["x", "y", name])) for name in NAMES}
    links = {
        name: draw(st.lists(st.sampled_from(NAMES[:i]), unique=True, max_size=2)) if i else []
        for i, name in enumerate(NAMES)
    }
    refs = sorted(set(images.values()))
    some = st.lists(st.sampled_from(NAMES), unique=True, max_size=2)
    return {
        "images": images,
        "links": links,
        "before": draw(st.lists(st.sampled_from(refs), unique=True)),
        # The approver declines some actions of the plan before approving it.
        "declined": draw(some),
        "between": draw(st.lists(st.sampled_from(refs), unique=True)),
        "removed": draw(some),
        "by_hand": draw(some),
    }


def declining(approved: Plan, names: list[str]) -> Plan:
    """``approved`` with the actions on ``names`` taken out, as an approver edits a plan."""
    entries = [
        attrs.evolve(e, action=Action.NONE) if e.name in names else e for e in approved.entries
    ]
    return attrs.evolve(approved, entries=entries)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fleet=fleets())
def test_acting_on_a_plan_never_replaces_a_container_the_plan_did_not_name(fleet) -> None:
    registry = MemoryRegistry(FixedClock())
    engine = MemoryEngine(registry)
    ref = {image: f"example.org/{image}:1" for image in {*fleet["images"].values()}}
    for image in ref.values():
        registry.publish(image)
    for name in NAMES:
        engine.run(name, ref[fleet["images"][name]], links=fleet["links"][name])
    for image in fleet["before"]:
        registry.publish(ref[image])
    approved = declining(plan(engine, registry), fleet["declined"])
    named = {e.name for e in approved.actions}
    for image in fleet["between"]:
        registry.publish(ref[image])
    for name in fleet["removed"]:
        drop(engine, name)
    for name in fleet["by_hand"]:
        if name in engine.names():
            drop(engine, name)
            engine.run(name, ref[fleet["images"][name]])
    ids = {c.name: c.id for c in engine.containers()}
    images = {c.name: c.image_id for c in engine.containers()}
    asked, pulled = registry.digest_requests, engine.count("pull")

    report = update(engine, registry, plan=approved)

    now = {c.name: c.id for c in engine.containers()}
    assert set(now) == set(ids)  # nothing lost, nothing added
    replaced = {name for name, id_ in ids.items() if now[name] != id_}
    assert replaced <= named
    assert {e.name for e in report if e.outcome in (Outcome.UPDATED, Outcome.RESTARTED)} <= named
    for name in replaced:
        entry, image_id = approved.entry(name), engine.container(name).image_id
        if report.get(name).outcome is Outcome.UPDATED:
            # The image approved, and only while the registry still serves it.
            assert entry.new_image is not None and image_id == entry.new_image.id
            assert image_id == registry.served(ref[fleet["images"][name]])[1]
        else:
            assert image_id == images[name]  # a restart keeps its image
    updates_to = {e.target_reference for e in approved.actions if e.action is Action.UPDATE}
    assert registry.digest_requests - asked <= len(updates_to)
    assert engine.count("pull") == pulled  # the plan's pulls only
    assert not report.failed
