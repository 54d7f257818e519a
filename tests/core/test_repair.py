"""The repair after a crash: the names a transaction writes, and what the next run does."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from watchtower import UpdateParams, update
from watchtower import labels as L
from watchtower.events import Event, Failed, Observers, Repaired, Step
from watchtower.model import Container, ContainerState
from watchtower.reference import parse_reference
from watchtower.repair import (
    Leftover,
    Mark,
    Verdict,
    aside_name,
    failed_name,
    find_repairs,
    read_name,
)
from watchtower.report import Outcome
from watchtower.testing import FixedClock, Killed, MemoryEngine, MemoryRegistry

WEB = "example.org/web:1"
ID = "0123456789abcdef" * 4
OTHER_ID = "fedcba9876543210" * 4


def container(name: str, container_id: str = ID, **fields: object) -> Container:
    return Container(
        id=container_id, name=name, image=parse_reference(WEB), image_id="sha256:1", **fields
    )


# The names ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "container_id", "read"),
    [
        ("web", ID, None),
        ("web-watchtower-old-0123456789ab", ID, Leftover("web", Mark.RAN)),
        ("web-watchtower-old-stopped-0123456789ab", ID, Leftover("web", Mark.STOPPED)),
        ("web-watchtower-failed-0123456789ab", ID, Leftover("web", Mark.FAILED)),
        # The id at the end must be the container's own: a person's name is never read.
        ("web-watchtower-old-0123456789ab", OTHER_ID, None),
        ("web-watchtower-old-", ID, None),
        ("-watchtower-old-0123456789ab", ID, None),
        ("web-watchtower-0123456789ab", ID, None),
        # Names that contain a mark themselves.
        (
            "a-watchtower-old-watchtower-old-0123456789ab",
            ID,
            Leftover("a-watchtower-old", Mark.RAN),
        ),
        (
            "a-watchtower-old-stopped-watchtower-old-0123456789ab",
            ID,
            Leftover("a-watchtower-old-stopped", Mark.RAN),
        ),
        (
            "a-watchtower-old-watchtower-old-stopped-0123456789ab",
            ID,
            Leftover("a-watchtower-old", Mark.STOPPED),
        ),
    ],
)
def test_read_name(name: str, container_id: str, read: Leftover | None) -> None:
    assert read_name(container(name, container_id)) == read


NAMES = st.from_regex(r"[a-zA-Z0-9][a-zA-Z0-9_.-]{0,30}", fullmatch=True)
IDS = st.text("0123456789abcdef", min_size=64, max_size=64)


@given(NAMES, IDS, st.booleans())
def test_an_aside_name_reads_back(name: str, container_id: str, running: bool) -> None:
    aside = aside_name(name, container_id, running=running)
    expected = Leftover(name, Mark.RAN if running else Mark.STOPPED)
    assert read_name(container(aside, container_id)) == expected


@given(NAMES, IDS)
def test_a_failed_name_reads_back(name: str, container_id: str) -> None:
    failed = failed_name(name, container_id)
    assert read_name(container(failed, container_id)) == Leftover(name, Mark.FAILED)


# The decisions ----------------------------------------------------------------


RUNNING, EXITED, CREATED = ContainerState.RUNNING, ContainerState.EXITED, ContainerState.CREATED


@pytest.mark.parametrize(
    ("old_state", "mark", "holder_state", "watchtower", "verdict"),
    [
        (EXITED, Mark.RAN, None, False, Verdict.UNDO),
        (RUNNING, Mark.RAN, None, False, Verdict.UNDO),
        (EXITED, Mark.RAN, CREATED, False, Verdict.UNDO),
        (EXITED, Mark.STOPPED, CREATED, False, Verdict.UNDO),
        (EXITED, Mark.RAN, EXITED, False, Verdict.UNDO),
        (EXITED, Mark.RAN, RUNNING, False, Verdict.CHECK),
        (RUNNING, Mark.RAN, RUNNING, False, Verdict.CHECK),
        (RUNNING, Mark.RAN, RUNNING, True, Verdict.HANDOVER),
        (EXITED, Mark.RAN, RUNNING, True, Verdict.CHECK),
        (EXITED, Mark.FAILED, RUNNING, False, Verdict.DISCARD),
    ],
)
def test_find_repairs_decides_from_names_and_states(
    old_state, mark, holder_state, watchtower, verdict
) -> None:
    labels = {L.WATCHTOWER: "true"} if watchtower else {}
    old = container(f"web{mark.value}0123456789ab", state=old_state, labels=labels)
    listed = [old]
    if holder_state is not None:
        listed.append(container("web", OTHER_ID, state=holder_state, labels=labels))
    [decision] = find_repairs(listed, UpdateParams())
    assert decision.verdict is verdict
    assert decision.ran == (mark is Mark.RAN)


def test_a_name_held_by_another_image_is_not_taken() -> None:
    old = container("web-watchtower-old-0123456789ab")
    other = attrs.evolve(container("web", OTHER_ID), image=parse_reference("example.org/x:1"))
    [decision] = find_repairs([old, other], UpdateParams())
    assert decision.verdict is Verdict.TAKEN


def test_only_leftovers_in_scope_are_repaired() -> None:
    mine = container("web-watchtower-old-0123456789ab", labels={L.SCOPE: "mine"})
    theirs = container("db-watchtower-old-fedcba987654", OTHER_ID, labels={L.SCOPE: "theirs"})
    decisions = find_repairs([mine, theirs], UpdateParams(scope="mine"))
    assert [d.name for d in decisions] == ["web"]
    # Names are matched as the container's own name, not the aside one.
    assert find_repairs([mine], UpdateParams(scope="mine", names=("web",)))
    assert not find_repairs([mine], UpdateParams(scope="mine", names=("db",)))


# The next run, after a kill at each step ------------------------------------


Setup = Callable[[MemoryEngine, MemoryRegistry], None]


def fleet(engine: MemoryEngine, registry: MemoryRegistry) -> None:
    registry.publish(WEB)
    engine.run("web", WEB, healthcheck=True)
    engine.run("idle", WEB, state=ContainerState.EXITED)
    registry.publish(WEB)


def killed_after(
    step: str, setup: Setup = fleet, name: str = "web"
) -> tuple[MemoryEngine, MemoryRegistry]:
    """An engine whose run was killed right after the ``step`` call of ``name`` took effect."""
    params = UpdateParams(include_stopped=True)
    reference = MemoryEngine(MemoryRegistry(FixedClock()))
    setup(reference, reference.registry)
    update(reference, reference.registry, params)
    at = 2 + next(
        i
        for i, (called, subject) in enumerate(reference.calls)
        if called == step and subject.partition("-watchtower-")[0] == name
    )

    registry = MemoryRegistry(FixedClock())
    engine = MemoryEngine(registry)
    setup(engine, registry)
    engine.kill_at(at)
    with pytest.raises(Killed):
        update(engine, registry, params)
    engine.kill_at(None)
    return engine, registry


@pytest.mark.parametrize("step", ["rename", "stop", "create", "start", "health"])
def test_the_next_run_repairs_a_run_killed_after_each_step(step) -> None:
    engine, registry = killed_after(step)
    assert engine.names() != {"web", "idle"}  # something was left half done
    events: list[Event] = []

    report = update(engine, registry, UpdateParams(include_stopped=True), observer=events.append)

    assert engine.names() == {"web", "idle"}
    assert engine.container("web").state is ContainerState.RUNNING
    assert engine.container("idle").state is not ContainerState.RUNNING
    new_image = registry.served(WEB)[1]
    assert engine.container("web").image_id == engine.container("idle").image_id == new_image
    finished = step in ("start", "health")  # the replacement ran: kept, not replaced again
    expected = Outcome.FRESH if finished else Outcome.UPDATED
    assert report.get("web").outcome is expected
    # Renames come in a batch ahead of the stops: idle may be aside too.
    assert any(line.startswith("web: an interrupted update was ") for line in report.repaired)
    assert {line.partition(":")[0] for line in report.repaired} <= {"web", "idle"}
    repaired = [e.container for e in events if isinstance(e, Repaired)]
    assert "web" in repaired and set(repaired) <= {"web", "idle"}
    assert "repaired" in report.to_dict()


def test_a_replacement_that_runs_healthy_is_kept() -> None:
    engine, registry = killed_after("start")
    replacement = engine.container("web").id
    report = update(engine, registry, UpdateParams(include_stopped=True))
    assert engine.container("web").id == replacement
    assert "was finished" in report.repaired[0]


def test_an_old_container_restarted_by_a_reboot_is_stopped_before_it_is_removed() -> None:
    engine, registry = killed_after("start")
    [aside] = [n for n in engine.names() if n.startswith("web-watchtower-old-")]
    engine.start_container(aside)  # its restart policy, at boot
    replacement = engine.container("web").id
    update(engine, registry, UpdateParams(include_stopped=True))
    assert engine.names() == {"web", "idle"}
    assert engine.container("web").id == replacement
    assert (aside, "SIGTERM", timedelta(seconds=30)) in engine.stops


def test_a_replacement_that_is_not_healthy_is_removed() -> None:
    engine, registry = killed_after("start")
    replacement = engine.container("web").id
    engine.unhealthy.add("web")
    report = update(engine, registry, UpdateParams(health_timeout=timedelta(seconds=3)))
    assert replacement not in {c.id for c in engine.containers()}
    assert "was undone" in report.repaired[0] and "not healthy within 3s" in report.repaired[0]
    assert engine.container("web").state is ContainerState.RUNNING


def test_a_replacement_never_started_is_removed_and_the_old_one_runs() -> None:
    engine, registry = killed_after("create")
    replacement = engine.container("web").id
    report = update(engine, registry, UpdateParams(include_stopped=True))
    assert replacement not in {c.id for c in engine.containers()}
    assert "runs again" in report.repaired[0]


def test_a_container_that_did_not_run_is_not_started() -> None:
    def stopped(engine: MemoryEngine, registry: MemoryRegistry) -> None:
        registry.publish(WEB)
        engine.run("idle", WEB, state=ContainerState.EXITED)
        registry.publish(WEB)

    engine, registry = killed_after("create", stopped, "idle")
    update(engine, registry)  # without include_stopped: repaired, not updated
    assert engine.names() == {"idle"}
    assert engine.count("start") == 0


@pytest.mark.parametrize("dry", [True, False])
def test_a_run_that_changes_nothing_repairs_nothing(dry) -> None:
    engine, registry = killed_after("stop")
    left = engine.names()
    report = update(engine, registry, UpdateParams(monitor_only=not dry), dry_run=dry)
    assert engine.names() == left and report.repaired == ()
    assert not [e.name for e in report if "-watchtower-" in e.name]  # never planned


@pytest.mark.parametrize("include_stopped", [False, True])
def test_with_nothing_to_repair_one_listing_serves_the_repair_and_the_selection(
    engine, registry, include_stopped
) -> None:
    fleet(engine, registry)
    report = update(engine, registry, UpdateParams(include_stopped=include_stopped))
    assert engine.count("list") == 1
    # The listing holds the stopped containers for the repair; the selection follows the params.
    assert sorted(e.name for e in report) == (["idle", "web"] if include_stopped else ["web"])


def test_a_self_update_in_progress_is_left_to_the_successor(engine, registry) -> None:
    registry.publish(WEB)
    old = engine.run("watchtower", WEB, labels={L.WATCHTOWER: "true"})
    registry.publish(WEB)
    update(engine, registry)
    aside = aside_name("watchtower", old.id, running=True)
    assert engine.container(aside).state is ContainerState.RUNNING

    report = update(engine, registry)

    assert engine.container(aside).id == old.id  # the successor removes it
    assert report.repaired == ()
    assert [e.name for e in report] == ["watchtower"]  # the aside one is never planned


def test_a_failed_replacement_left_by_a_rollback_is_removed(engine, registry) -> None:
    registry.publish(WEB)
    engine.run("web", WEB)
    registry.publish(WEB)
    engine.fail("start", "web")
    engine.fail("remove", "web")  # the rollback cannot remove the replacement
    first = update(engine, registry)
    assert "remains as web-watchtower-failed-" in first.get("web").reason
    engine.clear_failures()

    report = update(engine, registry)

    assert engine.names() == {"web"}
    assert report.repaired[0].startswith("web: the failed replacement web-watchtower-failed-")


def test_a_name_taken_by_another_container_is_reported(engine, registry) -> None:
    registry.publish(WEB)
    old = engine.run("web", WEB)
    aside = aside_name("web", old.id, running=True)
    engine.rename_container(old.id, aside)
    engine.run("web", registry.publish("example.org/other:1"))
    events: list[Event] = []

    report = update(engine, registry, observer=events.append)

    assert engine.container(aside).id == old.id
    assert "web is held by a container of example.org/other:1" in report.repaired[0]
    assert any(isinstance(e, Failed) and e.step == "repair" for e in events)


def test_a_repair_that_fails_is_reported_and_the_run_goes_on(engine, registry) -> None:
    registry.publish(WEB)
    old = engine.run("web", WEB)
    engine.run("db", WEB)
    aside = aside_name("web", old.id, running=True)
    engine.rename_container(old.id, aside)
    engine.fail("rename", aside)
    registry.publish(WEB)

    report = update(engine, registry)

    assert "could not be repaired" in report.repaired[0]
    assert report.get("db").outcome is Outcome.UPDATED
    assert engine.container(aside).id == old.id

    again = update(engine, registry)  # the next run tries again

    assert again.repaired[0].startswith("web: an interrupted update was undone")
    assert engine.names() == {"web", "db"}


def test_a_stopped_containers_update_is_kept_when_its_old_container_cannot_be_removed(
    engine, registry
) -> None:
    registry.publish(WEB)
    old = engine.run("web", WEB, state=ContainerState.EXITED)
    registry.publish(WEB)
    engine.fail("remove", "web")

    report = update(engine, registry, UpdateParams(include_stopped=True))

    entry = report.get("web")
    assert entry.outcome is Outcome.UPDATED
    new = engine.container("web")
    assert new.id == entry.new_id != old.id
    assert not new.state.is_running  # as its user left it
    assert engine.names() == {"web"}  # the last pass removed the old one
    assert report.repaired == (
        f"web: the update was finished; the old container web-watchtower-old-stopped-"
        f"{old.id[:12]} was removed",
    )
    assert not engine.pending_faults


@pytest.mark.parametrize(
    ("mark", "holder_state", "done", "verdict"),
    [
        (Mark.STOPPED, CREATED, True, Verdict.KEEP),
        (Mark.STOPPED, EXITED, True, Verdict.KEEP),
        (Mark.STOPPED, CREATED, False, Verdict.UNDO),  # its create may have been cut short
        (Mark.RAN, CREATED, True, Verdict.KEEP),  # recreated with no_restart
        (Mark.RAN, CREATED, False, Verdict.UNDO),
        (Mark.RAN, RUNNING, True, Verdict.KEEP),  # its health was checked already
        (Mark.RAN, RUNNING, False, Verdict.CHECK),
        (Mark.STOPPED, RUNNING, False, Verdict.CHECK),
    ],
)
def test_a_replacement_the_run_finished_is_kept_whatever_its_state(
    mark, holder_state, done, verdict
) -> None:
    old = container(f"web{mark.value}0123456789ab", state=EXITED)
    holder = container("web", OTHER_ID, state=holder_state)
    ids = {OTHER_ID} if done else set()

    [decision] = find_repairs([old, holder], UpdateParams(), done=ids)

    assert decision.verdict is verdict


def test_a_no_restart_update_is_kept_when_its_old_container_cannot_be_removed(
    engine, registry
) -> None:
    registry.publish(WEB)
    old = engine.run("web", WEB)
    registry.publish(WEB)
    engine.fail("remove", "web")

    report = update(engine, registry, UpdateParams(no_restart=True))

    entry = report.get("web")
    assert entry.outcome is Outcome.UPDATED
    new = engine.container("web")
    assert new.id == entry.new_id != old.id
    assert not new.state.is_running  # recreated, not started, as no_restart says
    assert engine.names() == {"web"}
    assert report.repaired[0].startswith("web: the update was finished")
    assert not engine.pending_faults


def test_a_tag_rules_update_is_finished_when_its_old_container_cannot_be_removed(
    engine, registry
) -> None:
    """The replacement runs the newer tag: known by its id, it is not taken for a stranger."""
    for tag in ("1.0.0", "1.0.1"):
        registry.publish(f"example.org/app:{tag}")
    engine.run("app", "example.org/app:1.0.0", labels={L.TAG_RULE: "patch"})
    engine.fail("remove", "app")

    report = update(engine, registry)

    entry = report.get("app")
    assert entry.outcome is Outcome.UPDATED and entry.new_image == "example.org/app:1.0.1"
    assert engine.names() == {"app"} and engine.container("app").id == entry.new_id
    assert report.repaired[0].startswith("app: the update was finished")
    assert not engine.pending_faults


def test_a_failed_revival_left_under_the_name_is_undone_and_reported_failed(
    engine, registry
) -> None:
    registry.publish(WEB)
    old = engine.run("web", WEB, state=ContainerState.EXITED)
    registry.publish(WEB)
    engine.fail("start", "web")  # the revived replacement does not start

    def rollback_fails(event: object) -> None:
        # ... and the rollback can neither remove it nor rename it away from the name.
        if isinstance(event, Failed) and event.step is Step.START:
            engine.fail("remove", "web")
            engine.fail("rename", "web")

    params = UpdateParams(include_stopped=True, revive_stopped=True)
    entry = update(engine, registry, params, observer=Observers(prompt=rollback_fails)).get("web")

    assert entry.outcome is Outcome.FAILED
    assert engine.container("web").id == old.id  # the last pass undid it
    assert not engine.pending_faults
