"""Repair after a crash: replacements that a killed run left half done, finished or undone.

A run may die at any instant (SIGKILL, out of memory, a reboot, a shutdown
that outlasts its timeout). Every replacement (:mod:`watchtower.replacement`)
therefore keeps its progress where the engine keeps it, in container names,
and at the start of every run :func:`repair` reads them back. There is no
state file to lose.

The names a transaction gives:

- ``<name>-watchtower-old-<id>``: the old container, renamed aside while it
  ran. The rename comes *before* the stop, so "did it run before this run
  touched it?" is its name, whatever its state is now (a kill may have
  stopped it, a reboot may have restarted it).
- ``<name>-watchtower-old-stopped-<id>``: the same, for a container that
  did not run.
- ``<name>-watchtower-failed-<id>``: a failed replacement that a rollback
  could not remove, renamed to free the name.

``<id>`` is the container's own short id, so a name a person chose is never
taken for one of these. The replacement itself is the container under
``<name>`` that was created from the same image reference.

The rules, for each container renamed aside (and in scope):

1. Nothing is under its name: **undo**. It is started again if it ran, then
   given its name back.
2. Its replacement exists but does not run (created, never started, or
   exited): **undo**. The replacement is removed first. (But see below for
   the replacements a run finished itself.)
3. Its replacement runs: it has until the health timeout to be healthy.
   Then **finish**: the old container is removed (stopped first, if a reboot
   restarted it). Otherwise **undo**.
4. A watchtower instance that still runs aside next to its running successor
   is a self-update in progress: **left** for the successor, which removes
   it when the old instance has finished its run.
5. Another container holds its name: **left** as it is, and reported.
6. A member of a stack (:mod:`watchtower.stacks`) whose replacement runs is
   **undone**, unchecked, when another member of its stack is undone: a
   stack ends all old or all new here too.

A failed replacement is **removed**. A replacement that does not run is not
kept when the repair cannot know that its create finished: a create cut
short (killed before all its networks were connected) looks the same to the
engine, so the repair at the start of a run undoes it, and the run that
follows the repair replaces the container again, properly. The run's own
last pass (for the old containers it could not remove) knows better: it is
told which replacements the run finished and reported updated, and those
are **kept** as they are, and their old containers removed (rules 2 to 5
do not apply to them): a replacement that does not run is then one of a
container that did not run, or one recreated with ``no_restart``, in the
state its user asked for, and one that runs passed its health check
already. Nothing is lost, and the report and the engine agree.

Each action starts the old container before renaming it back, so a repair
killed half way leaves names that the next one reads the same way.
Containers stopped by the killed run, and only those, run again.

An update that is undone gets its protected volumes (the ``snapshot-volumes``
label) back from the snapshots taken for it, before its old container
starts again, as a rollback does: the replacement may have written them.
The engine says which snapshots those are: each is labelled with the id of
the container it was taken for, and one made before that container last
started belongs to an earlier update (see
:func:`watchtower.docker.volumes.snapshots_for`). The newest of each volume
is restored, unless its copy never finished (the run was killed while
copying): then the volume is left as it is, and the repair's line says so.
An update that is finished restores nothing.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Sequence
from datetime import timedelta

import attrs
from attrs import frozen

from ._emitter import Emitter
from .errors import EngineTimeoutError
from .events import Failed, Repaired, Step
from .model import Container, short_id
from .params import UpdateParams
from .probes import verify
from .protocols import ContainerClient, SnapshotFinder, VolumeSnapshotter
from .selection import Selector
from .settings import ContainerSettings

__all__ = [
    "Leftover",
    "Mark",
    "Repair",
    "Verdict",
    "aside_name",
    "discard",
    "failed_name",
    "find_repairs",
    "read_name",
    "repair",
    "unhealthy",
]


class Mark(str, enum.Enum):
    """What a transaction's name says about a container."""

    RAN = "-watchtower-old-"
    """The old container, renamed aside while it ran."""
    STOPPED = "-watchtower-old-stopped-"
    """The old container, renamed aside while it did not run."""
    FAILED = "-watchtower-failed-"
    """A failed replacement that could not be removed."""


@frozen
class Leftover:
    """A container named by a transaction, and the name it stands for.

    Attributes:
        name: The container's own name (``web`` for ``web-watchtower-old-<id>``).
        mark: What its name says.
    """

    name: str
    mark: Mark


def aside_name(name: str, container_id: str, *, running: bool) -> str:
    """The name an old container is renamed to, saying whether it ran."""
    mark = Mark.RAN if running else Mark.STOPPED
    return f"{name}{mark.value}{short_id(container_id)}"


def failed_name(name: str, container_id: str) -> str:
    """The name a failed replacement of ``name`` gets when it cannot be removed."""
    return f"{name}{Mark.FAILED.value}{short_id(container_id)}"


def read_name(container: Container) -> Leftover | None:
    """What ``container``'s name says, if a transaction gave it; ``None`` otherwise."""
    ending = short_id(container.id)
    if not ending or not container.name.endswith(ending):
        return None
    stem = container.name[: -len(ending)]
    for mark in Mark:
        if stem.endswith(mark.value) and len(stem) > len(mark.value):
            return Leftover(stem[: -len(mark.value)], mark)
    return None


class Verdict(str, enum.Enum):
    """What the repair does with one leftover."""

    UNDO = "undo"
    """The replacement (if any) is removed; the old container gets its name back."""
    CHECK = "check"
    """The replacement runs; finish when it is healthy, undo otherwise."""
    DISCARD = "discard"
    """A failed replacement is removed."""
    KEEP = "keep"
    """A replacement the run finished is kept as it is; the old container is removed."""
    HANDOVER = "handover"
    """A watchtower instance hands over to its successor; left for the successor."""
    TAKEN = "taken"
    """Another container holds the name; left as it is, and reported."""


@frozen
class Repair:
    """One decision of the repair.

    Attributes:
        name: The name the container stands for.
        leftover: The container renamed by the transaction.
        ran: The old container ran before the transaction touched it.
        verdict: What to do.
        holder: The container now under ``name`` (the replacement, unless the
            verdict is :attr:`Verdict.TAKEN`), when there is one.
        because: Why a replacement that runs is undone without a check:
            another member of its stack is undone (empty otherwise).
        stack: The stack of the container it stands for (:mod:`watchtower.stacks`).
        checked: Its running replacement passed its checks already.
    """

    name: str
    leftover: Container
    ran: bool
    verdict: Verdict
    holder: Container | None = None
    because: str = ""
    stack: str = ""
    checked: bool = False


def find_repairs(
    containers: Sequence[Container],
    params: UpdateParams,
    only: Collection[str] | None = None,
    done: Collection[str] = (),
) -> list[Repair]:
    """Decide, from what the engine lists, what each leftover in scope needs.

    ``containers`` is every container of the engine, stopped ones included.
    A leftover is in scope when a container of its own name with its labels
    would be, and, given ``only``, when its name is one of them. ``done``
    holds the ids of the replacements known to be finished (the run that
    made them reported them updated); they are kept, running or not
    (:attr:`Verdict.KEEP`).

    Raises:
        ConfigurationError: A selection parameter is malformed.
    """
    in_scope = Selector.from_params(params)
    by_name = {c.name: c for c in containers}
    repairs = []
    for container in containers:
        leftover = read_name(container)
        if leftover is None or (only is not None and container.name not in only):
            continue
        own = attrs.evolve(container, name=leftover.name)
        settings = ContainerSettings.read(own, params)
        if in_scope(own, settings):
            holder = by_name.get(leftover.name)
            finished = holder is not None and holder.id in done
            decision = _decide(container, leftover, holder, settings.is_watchtower, finished)
            repairs.append(attrs.evolve(decision, stack=settings.stack))
    return _whole_stacks(repairs)


def _whole_stacks(repairs: list[Repair]) -> list[Repair]:
    """``repairs`` with a stack undone whole when one of its members is undone.

    A member that is undone (or whose failed replacement is discarded: a
    rollback was under way) makes the members whose replacement runs undone
    too, unchecked; one the run reported finished is kept.
    """
    undone: dict[str, str] = {}
    for decision in repairs:
        if decision.stack and decision.verdict in (Verdict.UNDO, Verdict.DISCARD):
            undone.setdefault(decision.stack, decision.name)
    whole = []
    for decision in repairs:
        if decision.verdict is Verdict.CHECK and decision.stack in undone:
            why = f"undone with its stack: {undone[decision.stack]} was undone"
            decision = attrs.evolve(decision, verdict=Verdict.UNDO, because=why)
        whole.append(decision)
    return whole


def _judge_stacks(
    client: ContainerClient, params: UpdateParams, repairs: list[Repair]
) -> list[Repair]:
    """Check each stack's running replacements before any is finished.

    One that is not good undoes its whole stack; those that are good are
    not checked again.
    """
    bad: dict[str, str] = {}
    whys: dict[str, str] = {}
    for decision in repairs:
        holder = decision.holder
        if decision.stack and decision.verdict is Verdict.CHECK and holder is not None:
            if decision.stack in bad:
                continue
            try:
                why = _not_good(client, params, holder)
            except Exception as error:
                why = f"its replacement could not be checked: {error}"
            if why:
                bad[decision.stack], whys[decision.name] = decision.name, why
    judged = []
    for decision in repairs:
        if decision.stack and decision.verdict is Verdict.CHECK:
            if decision.stack in bad:
                why = whys.get(decision.name) or (
                    f"undone with its stack: {bad[decision.stack]} was not good"
                )
                decision = attrs.evolve(decision, verdict=Verdict.UNDO, because=why)
            else:
                decision = attrs.evolve(decision, checked=True)
        judged.append(decision)
    return judged


def _decide(
    container: Container,
    leftover: Leftover,
    holder: Container | None,
    is_watchtower: bool,
    finished: bool = False,
) -> Repair:
    """The verdict on one leftover; ``finished``: its holder is a replacement known finished."""
    name, ran = leftover.name, leftover.mark is Mark.RAN
    if leftover.mark is Mark.FAILED:
        verdict = Verdict.DISCARD
    elif holder is None:
        verdict = Verdict.UNDO
    elif finished:  # the report calls it updated: only the old container's removal is left
        verdict = Verdict.KEEP
    elif holder.image != container.image:
        verdict = Verdict.TAKEN
    elif not holder.state.is_running:
        verdict = Verdict.UNDO
    elif is_watchtower and container.state.is_running:
        verdict = Verdict.HANDOVER
    else:
        verdict = Verdict.CHECK
    return Repair(name, container, ran, verdict, holder)


def repair(
    client: ContainerClient,
    params: UpdateParams,
    emit: Emitter,
    listed: Sequence[Container] | None = None,
    *,
    only: Collection[str] | None = None,
    done: Collection[str] = (),
) -> tuple[str, ...]:
    """Finish or undo what a killed run left half done; one line per container repaired.

    Each repair is told as a :class:`~watchtower.events.Repaired` event, and
    each one that cannot be done as a :class:`~watchtower.events.Failed`
    event (step ``repair``) and a line; a failure never stops the run.
    ``listed`` is the engine's listing with stopped and restarting
    containers, when the caller has it; otherwise it is asked for here. When
    no line comes back, nothing was changed and the listing still holds.
    ``only`` limits the repair to the leftovers of those names; ``done``
    names the replacements known finished (see :func:`find_repairs`).

    Raises:
        ConfigurationError: A selection parameter is malformed.
        EngineError: The containers could not be listed; nothing was changed.
    """
    if listed is None:
        listed = client.list_containers(include_stopped=True, include_restarting=True)
    decisions = _judge_stacks(client, params, find_repairs(listed, params, only, done))
    lines = (_carry_out(client, params, emit, d) for d in decisions)
    return tuple(line for line in lines if line)


def _carry_out(
    client: ContainerClient, params: UpdateParams, emit: Emitter, decision: Repair
) -> str:
    """Act on one decision; its line for the report (empty when nothing was done)."""
    old, holder, verdict = decision.leftover, decision.holder, decision.verdict
    if verdict is Verdict.HANDOVER:
        return ""
    if verdict is Verdict.TAKEN and holder is not None:
        reason = (
            f"{old.name} is left as it is: {decision.name} is held by a container "
            f"of {holder.image.familiar}"
        )
        emit(Failed(at=emit.now(), container=decision.name, step=Step.REPAIR, reason=reason))
        return f"{decision.name}: {reason}"
    why = ""
    try:
        if verdict is Verdict.DISCARD:
            client.stop_container(old, signal="SIGKILL", timeout=timedelta(0))
            client.remove_container(old.id)
            action, line = "removed", f"the failed replacement {old.name} was removed"
        elif verdict is Verdict.KEEP or (
            verdict is Verdict.CHECK
            and holder is not None
            and (decision.checked or not (why := _not_good(client, params, holder)))
        ):
            if old.state.is_running:  # a reboot restarted it
                own = ContainerSettings.read(old, params)
                client.stop_container(old, signal=own.stop_signal, timeout=own.stop_timeout)
            client.remove_container(old.id)
            action = "finished"
            what = "the update" if verdict is Verdict.KEEP else "an interrupted update"
            line = f"{what} was finished; the old container {old.name} was removed"
        else:
            action, line = "undone", _undo(client, decision, why or decision.because)
    except Exception as error:
        reason = f"an interrupted update could not be repaired, {old.name} is left: {error}"
        emit(Failed(at=emit.now(), container=decision.name, step=Step.REPAIR, reason=reason))
        return f"{decision.name}: {reason}"
    emit(Repaired(at=emit.now(), container=decision.name, action=action, reason=line))
    return f"{decision.name}: {line}"


def _undo(client: ContainerClient, decision: Repair, why: str) -> str:
    """Remove the replacement, start the old container if it ran, give it its name back."""
    old, holder = decision.leftover, decision.holder
    notes = [why] if why else []
    if holder is not None:
        problem = discard(client, decision.name, holder.id)
        if problem:
            notes.append(problem)
    notes.extend(_restore(client, old))
    started = decision.ran and not old.state.is_running
    if started:
        # Before the rename back: killed in between, its name still says it ran.
        client.start_container(old.id)
    client.rename_container(old.id, decision.name)
    back = "is back under its name and runs again" if started else "is back under its name"
    return "; ".join([f"an interrupted update was undone; the old container {back}", *notes])


def _restore(client: ContainerClient, old: Container) -> list[str]:
    """Restore the volumes snapshotted for the update of ``old``; a note for each.

    Each volume from its newest snapshot, skipped when that one is
    incomplete. A volume that cannot be restored is said so and the undo
    goes on, as a rollback does: the old container is better back than not.
    """
    if not isinstance(client, SnapshotFinder) or not isinstance(client, VolumeSnapshotter):
        return []
    newest = {s.volume: s for s in client.snapshots_for(old)}  # oldest first: the last wins
    notes = []
    for volume, snapshot in sorted(newest.items()):
        if not snapshot.complete:
            notes.append(
                f"volume {volume} was not restored: its snapshot {snapshot.name} is "
                "incomplete (the run was killed while copying)"
            )
            continue
        try:
            client.restore_volume(old, volume, snapshot.name)
        except Exception as error:
            notes.append(f"volume {volume} could not be restored from {snapshot.name}: {error}")
        else:
            notes.append(f"volume {volume} was restored from {snapshot.name}")
    return notes


def unhealthy(client: ContainerClient, replacement_id: str, timeout: timedelta) -> str:
    """Why a started replacement is not healthy within ``timeout``; empty when it is."""
    try:
        if client.wait_until_healthy(replacement_id, timeout):
            return ""
    except Exception as error:
        return f"its replacement's health could not be read: {error}"
    return f"its replacement was not healthy within {timeout.total_seconds():g}s"


def _not_good(client: ContainerClient, params: UpdateParams, holder: Container) -> str:
    """Why an interrupted replacement may not stay: unhealthy, or failing its own checks.

    Its soak counts from its start, so one the run was killed during is
    soaked only for what was left of it.
    """
    return unhealthy(client, holder.id, params.health_timeout) or verify(
        client, holder.id, ContainerSettings.read(holder, params).checks
    )


def discard(client: ContainerClient, name: str, new_id: str) -> str:
    """Remove a failed replacement of ``name``; what is left of it, in words, when that fails.

    When it cannot be removed it is renamed (see :func:`failed_name`) to free
    the name for the old container, and a later repair removes it.
    """
    try:
        replacement = client.get_container(new_id)
        client.stop_container(replacement, signal="SIGKILL", timeout=timedelta(0))
        client.remove_container(new_id, remove_volumes=False)
    except EngineTimeoutError as error:  # a rename would wait as long again
        return f"the failed replacement {short_id(new_id)} remains: {error}"
    except Exception as error:
        failed = failed_name(name, new_id)
        try:
            client.rename_container(new_id, failed)
        except Exception as rename_error:
            return f"the failed replacement {short_id(new_id)} remains: {rename_error}"
        return f"the failed replacement remains as {failed}: {error}"
    return ""
