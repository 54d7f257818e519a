"""The replacement transaction: one container swapped for a new one, or not at all.

1. rename the old container aside, to a name that says whether it ran (see
   :mod:`watchtower.repair`), in a batch ahead of the stops
   (:mod:`watchtower.lanes`); ask the replacer's :class:`Guard` whether it
   may begin (one it stops gets its name back); run the pre-update hook (a
   hook that fails or asks to skip gives the name back); stop it (a
   watchtower container is not stopped: it is mid-run, and its successor
   removes it); snapshot the volumes its ``snapshot-volumes`` label
   protects, now quiescent;
2. create the replacement under the original name;
3. start it and wait until it is healthy (when it has a health check),
   then until it passed the checks its labels ask for (probes, a soak, a
   fail pattern: :mod:`watchtower.probes`);
4. only then remove the old container, and run the post-update hook.

How far a transaction got is a :class:`Progress` value. When a step fails,
the rollback reads it and undoes exactly what was done: the replacement is
removed, the old container runs again if it was stopped and gets its name
back, its protected volumes restored from their snapshots before it starts.
The old container is never removed before its replacement runs.

The engine shows the same progress in names, so a run killed at any step
leaves what :func:`watchtower.repair.repair` finishes or undoes: renaming
before stopping keeps "did it run?" readable, and the rollback starts the
old container before it renames it back.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

import attrs
from attrs import frozen

from ._emitter import Emitter
from .events import Failed, RolledBack, Skipped, Started, Step, Stopped, Stopping, Updated
from .lanes import PATIENCE, ScheduledClient, Turn, Turns
from .lifecycle import Hook, run_hook
from .model import VolumeSnapshot
from .params import UpdateParams
from .plans import Action, PlanEntry
from .probes import verify
from .repair import aside_name, discard, unhealthy
from .report import ContainerReport, Outcome
from .stacks import ROLLED_BACK_WITH
from .versions import named_pair

__all__ = ["Failure", "Guard", "Progress", "Replacer"]

_log = logging.getLogger(__name__)


@frozen
class Progress:
    """How far one replacement got: what a rollback has to undo.

    Attributes:
        stopped: The old container was stopped by this transaction.
        aside: The name the old container was renamed to, once renamed.
        new_id: The replacement's id, once created.
        started: The replacement was started.
        snapshots: The snapshot of each protected volume, once taken: a
            rollback restores them, and the report tells them.
    """

    stopped: bool = False
    aside: str | None = None
    new_id: str | None = None
    started: bool = False
    snapshots: tuple[VolumeSnapshot, ...] = ()


@frozen
class Failure:
    """A replacement that failed and is not rolled back yet: a stack rolls it back last.

    Attributes:
        step: The step that failed.
        reason: Why.
        progress: How far it got.
    """

    step: Step
    reason: str
    progress: Progress


class Guard(Protocol):
    """What a :class:`Replacer` asks before each replacement, and tells after each unit.

    The seam for a policy above the transaction, such as the quarantine's
    circuit breaker (:class:`watchtower.quarantine.GuardedReplacer`). Both
    are called from the threads of the units, so they must be safe across
    threads.
    """

    def stops(self, entry: PlanEntry) -> str:
        """Why ``entry``'s replacement must not begin now; empty when it may.

        Asked once its old container is renamed aside, before its pre-update
        hook and its stop: one it stops gets its name back and is reported
        skipped, with this reason.
        """
        ...

    def ended(self, entry: PlanEntry, report: ContainerReport, failed_at: Step | None) -> None:
        """``entry``'s replacement ended as ``report`` says; told in unit order as its unit ends.

        ``failed_at`` is the step its failure was reported at, ``None``
        when it did not fail at a step of its own (it succeeded, was
        skipped, or the engine stopped answering before it began).
        """
        ...


class Replacer:
    """Replaces the containers of a run's units, one transaction per container.

    Renames come in batches, ahead of the stops, while the engine is quiet
    (the rule of :mod:`watchtower.lanes`): the first unit of a batch renames
    its containers and those of the next ``window - 1`` units, the ones that
    may run beside it. Once the engine stops answering, no unit makes another
    call: what they leave aside, :func:`watchtower.repair.repair` finishes or
    undoes at the end of the run, if the engine answers by then, else at the
    next run.

    Args:
        client: The engine, its calls scheduled by the run's lanes.
        params: The run's parameters.
        emit: The run's events.
        units: The units in the order they begin.
        window: How many units may run at once.
        guard: Asked before each replacement begins, and told how each
            ended (none: every replacement begins).
    """

    def __init__(
        self,
        client: ScheduledClient,
        params: UpdateParams,
        emit: Emitter,
        units: Sequence[Sequence[PlanEntry]],
        window: int = 1,
        *,
        guard: Guard | None = None,
    ) -> None:
        self.client = client
        self.params = params
        self.emit = emit
        self._guard = guard
        self._failed_at: dict[str, Step] = {}  # the step each failed replacement failed at
        self._units = [tuple(unit) for unit in units]
        self._window = max(1, window)
        self._turns = Turns()
        self._batch = threading.Lock()
        self._tally = threading.Lock()
        self._renamed = 0  # the units before this index had their renames
        self._aside: dict[str, str | ContainerReport] = {}  # a name's aside name, or its failure
        self.not_started = 0
        """How many units never began, because the engine stopped answering."""
        self.left: list[str] = []
        """The aside names of the containers this run could not give their names back."""

    def _leave(self, aside: str | None) -> None:
        if aside is not None:
            with self._tally:
                self.left.append(aside)

    def run(self, workers: int) -> dict[str, ContainerReport]:
        """Replace every unit, at most ``workers`` at a time; a report per container."""
        indexes = range(len(self._units))
        if workers == 1 or len(self._units) <= 1:
            outcomes = [self.unit(i) for i in indexes]
        else:
            with ThreadPoolExecutor(max_workers=min(workers, len(self._units))) as pool:
                outcomes = list(pool.map(self.unit, indexes))
        return {name: report for outcome in outcomes for name, report in outcome.items()}

    def unit(self, index: int) -> dict[str, ContainerReport]:
        """Stop the ``index``-th unit in reverse order, then replace it in order.

        With rolling restart each container is stopped and replaced before
        the next one is touched. The guard is told each outcome as the unit
        ends.
        """
        done = self._replace_unit(index)
        if self._guard is not None:
            for entry in self._units[index]:
                report = done.get(entry.name)
                if report is not None:
                    self._guard.ended(entry, report, self._failed_at.get(entry.name))
        return done

    def _replace_unit(self, index: int) -> dict[str, ContainerReport]:
        unit = self._units[index]
        if not self.client.watch.silent:
            self._rename_ahead(index)
        if self.client.watch.silent:
            with self._tally:
                self.not_started += 1
            return {entry.name: self._not_started(entry) for entry in unit}
        done: dict[str, ContainerReport] = {}
        turn = Turn(self._turns)
        try:
            if any(entry.settings.stack for entry in unit):
                return self._stack(unit, turn)
            if self.params.rolling_restart:
                for entry in unit:
                    progress = self._prepare(entry, done, turn)
                    if progress is not None:
                        done[entry.name] = self._replace(entry, progress, turn)
                return done
            prepared = [(e, self._prepare(e, done, turn)) for e in reversed(unit)]
            for entry, progress in reversed(prepared):
                if progress is not None:
                    done[entry.name] = self._replace(entry, progress, turn)
            return done
        finally:
            turn.give_back()

    def _stack(self, unit: Sequence[PlanEntry], turn: Turn) -> dict[str, ContainerReport]:
        """Replace a unit that holds a stack: every container of it, or none.

        Each old container stays aside until the last replacement of the unit
        has passed its checks; only then are they removed. When one fails,
        those already replaced are rolled back, newest first, those stopped
        start again, those not begun get their names back, and the one that
        failed is rolled back last: a run killed meanwhile leaves its
        leftover, and the repair undoes the stack whole.
        """
        rolling = self.params.rolling_restart
        done: dict[str, ContainerReport] = {}
        ready: dict[str, Progress] = {}  # prepared (stopped), not replaced yet
        swapped: list[tuple[PlanEntry, Progress]] = []
        failed, failure = "", None
        if not rolling:
            for entry in reversed(unit):
                progress = self._prepare(entry, done, turn)
                if progress is None:
                    failed = entry.name
                    break
                ready[entry.name] = progress
        for entry in unit if not failed else ():
            prepared = self._prepare(entry, done, turn) if rolling else ready.pop(entry.name)
            if prepared is None:
                failed = entry.name
                break
            result = self._swap(entry, prepared, turn, undo=False)
            if isinstance(result, ContainerReport):
                done[entry.name], failed = result, entry.name
                break
            if isinstance(result, Failure):
                failed, failure = entry.name, (entry, result)
                break
            swapped.append((entry, result))
        if not failed:
            return {entry.name: self._finish(entry, progress) for entry, progress in swapped}
        cause = f"{failed} failed: {failure[1].reason if failure else done[failed].reason}"
        for entry, progress in reversed(swapped):
            reason = f"{ROLLED_BACK_WITH}: {cause}"
            done[entry.name] = self._rollback(entry, Step.STACK, reason, progress)
        self._tag_back(unit)
        for entry in reversed(unit):
            if entry.name in ready:
                reason = f"{ROLLED_BACK_WITH}: {cause}"
                done[entry.name] = self._rollback(entry, Step.STACK, reason, ready[entry.name])
            elif entry.name not in done and entry.name != failed:
                done[entry.name] = self._untouched(entry, f"not updated with its stack: {cause}")
        if failure is not None:
            # Last: until then its leftover tells a repair that the stack is undone.
            entry, last = failure
            done[entry.name] = self._rollback(entry, last.step, last.reason, last.progress)
        return done

    def _tag_back(self, unit: Sequence[PlanEntry]) -> None:
        """Point each tag the unit's updates pulled anew back at the image its container runs.

        ``docker compose up -d`` compares the image a service's tag names with
        its container's: left on the new image, it would recreate the stack
        on the images that failed. A tag a tag rule moved to is left alone.
        """
        for entry in unit:
            old, ref = entry.container, entry.target_reference
            if (
                entry.action is not Action.UPDATE
                or ref != old.image
                or ref.tag is None
                or entry.target_image.id == old.image_id
                or self.client.watch.silent
            ):
                continue
            try:
                self.client.tag_image(old.image_id, ref)
            except Exception as error:
                _log.warning("%s was left on the new image: %s", ref.familiar, error)

    def _untouched(self, entry: PlanEntry, reason: str) -> ContainerReport:
        """A member of a stack that failed before its turn: its name back, skipped."""
        aside = self._aside.get(entry.name)
        if not isinstance(aside, str):  # the rename failed, or never came
            return aside or self._not_started(entry)
        self.emit(Skipped(at=self.emit.now(), container=entry.name, reason=reason))
        reason = self._name_back(entry, reason, Progress(aside=aside))
        return self._report(entry, Outcome.SKIPPED, reason)

    def _rename_ahead(self, index: int) -> None:
        """Rename aside the containers of this unit and of the window after it, alone at the engine.

        Renamed before they are stopped: killed at any later step, a name
        still says whether its container ran.
        """
        if index < self._renamed:  # only grows: done by an earlier batch
            return
        with self._batch:
            if index < self._renamed:
                return
            end = min(len(self._units), max(index + 1, self._renamed + self._window))
            with self.client.lanes.alone():
                for unit in self._units[self._renamed : end]:
                    for entry in reversed(unit):
                        if self.client.watch.silent:
                            break
                        self._aside[entry.name] = self._rename_aside(entry)
            self._renamed = end

    def _rename_aside(self, entry: PlanEntry) -> str | ContainerReport:
        container = entry.container
        aside = aside_name(container.name, container.id, running=container.state.is_running)
        try:
            self.client.rename_container(container.id, aside)
        except Exception as error:
            return self._fail(entry, Step.RENAME, f"it could not be renamed: {error}")
        return aside

    def _report(
        self,
        entry: PlanEntry,
        outcome: Outcome,
        reason: str,
        *,
        new_id: str | None = None,
        rolled_back: bool = False,
        snapshots: tuple[VolumeSnapshot, ...] = (),
    ) -> ContainerReport:
        return attrs.evolve(
            entry.to_report(),
            new_image_id=entry.target_image.id,
            outcome=outcome,
            reason=reason,
            new_id=new_id,
            rolled_back=rolled_back,
            snapshots=snapshots,
        )

    def _fail(self, entry: PlanEntry, step: Step, reason: str) -> ContainerReport:
        self._failed_at[entry.name] = step
        self.emit(Failed(at=self.emit.now(), container=entry.name, step=step, reason=reason))
        return self._report(entry, Outcome.FAILED, reason)

    def _not_started(self, entry: PlanEntry) -> ContainerReport:
        reason = "not updated: the engine stopped answering"
        aside = self._aside.get(entry.name)
        if isinstance(aside, str):
            reason += f"; it is left as {aside} until the engine answers"
            self._leave(aside)
        return self._report(entry, Outcome.FAILED, reason)

    def _prepare(
        self, entry: PlanEntry, done: dict[str, ContainerReport], turn: Turn
    ) -> Progress | None:
        """Ask the guard, run the pre-update hook and stop; None when it must not go on."""
        container, settings = entry.container, entry.settings
        aside = self._aside.get(entry.name)
        if not isinstance(aside, str):  # the rename failed, or never came
            done[entry.name] = aside or self._not_started(entry)
            return None
        progress = Progress(aside=aside)
        why = self._guard.stops(entry) if self._guard is not None else ""
        if why:
            self.emit(Skipped(at=self.emit.now(), container=entry.name, reason=why))
            reason = self._name_back(entry, why, progress)
            done[entry.name] = self._report(entry, Outcome.SKIPPED, reason)
            return None
        running = container.state.is_running
        if self.params.lifecycle_hooks and running:
            with turn.lent_after(PATIENCE):  # the turn of a unit's earlier stop
                run = run_hook(self.client, settings, container.id, Hook.PRE_UPDATE)
            self.emit.hook(entry.name, run)
            if run is not None and run.asks_skip:
                reason = "the pre-update hook asked to skip the update (exit code 75)"
                self.emit(Skipped(at=self.emit.now(), container=entry.name, reason=reason))
                reason = self._name_back(entry, reason, progress)
                done[entry.name] = self._report(entry, Outcome.SKIPPED, reason)
                return None
            if run is not None and not run.ok:
                reason = self._name_back(entry, run.describe(), progress)
                done[entry.name] = self._fail(entry, Step.HOOK, reason)
                return None
        if settings.is_watchtower or not running:
            # A running watchtower is never stopped mid-run: its successor removes it.
            return self._snapshot(entry, progress, done)
        turn.take(down=False)
        if self.client.watch.silent:
            done[entry.name] = self._left(entry, "it was not stopped", progress)
            return None
        stopping = Stopping(
            at=self.emit.now(),
            container=entry.name,
            container_id=container.id,
            signal=settings.stop_signal,
            timeout=settings.stop_timeout,
        )
        self.emit(stopping)  # before the stop: it may take the whole timeout
        try:
            with turn.lent_after(PATIENCE):
                self.client.stop_container(
                    container, signal=settings.stop_signal, timeout=settings.stop_timeout
                )
        except Exception as error:
            reason = f"it could not be stopped: {error}"
            done[entry.name] = self._rollback(entry, Step.STOP, reason, progress)
            return None
        self.emit(Stopped(at=self.emit.now(), container=entry.name, container_id=container.id))
        return self._snapshot(entry, attrs.evolve(progress, stopped=True), done)

    def _snapshot(
        self, entry: PlanEntry, progress: Progress, done: dict[str, ContainerReport]
    ) -> Progress | None:
        """Snapshot the volumes its label protects, now that nothing writes them.

        A snapshot that cannot be taken stops this update alone: the old
        container runs again under its name, its volumes untouched.
        """
        taken: list[VolumeSnapshot] = []
        for volume in entry.settings.snapshot_volumes:
            if self.client.watch.silent:
                done[entry.name] = self._left(entry, "its volumes were not snapshotted", progress)
                return None
            try:
                name = self.client.snapshot_volume(
                    entry.container, volume, self.params.snapshot_keep
                )
            except Exception as error:
                reason = f"not updated: the snapshot of volume {volume} failed: {error}"
                # Those taken already are on the engine: the report tells them too.
                taken_so_far = attrs.evolve(progress, snapshots=tuple(taken))
                done[entry.name] = self._rollback(entry, Step.SNAPSHOT, reason, taken_so_far)
                return None
            taken.append(
                VolumeSnapshot(
                    volume=volume,
                    name=name,
                    at=self.emit.now(),
                    container_id=entry.container.id,
                    keep=self.params.snapshot_keep,
                    held=self._held(volume),
                )
            )
        return attrs.evolve(progress, snapshots=tuple(taken))

    def _held(self, volume: str) -> tuple[str, ...] | None:
        """The names of ``volume``'s snapshots on the engine; ``None`` when it cannot tell.

        For the history alone: a failure here is no reason to stop the update.
        """
        try:
            held = self.client.snapshots_of(volume)
        except Exception:
            return None
        return None if held is None else tuple(held)

    def _name_back(self, entry: PlanEntry, reason: str, progress: Progress) -> str:
        """Give a container that was left running its name back; ``reason``, with what failed."""
        if self.client.watch.silent:
            self._leave(progress.aside)
            return f"{reason}; it is left as {progress.aside} until the engine answers"
        try:
            self.client.rename_container(entry.container.id, entry.name)
        except Exception as error:
            self._leave(progress.aside)
            return f"{reason}; the old container could not get its name back: {error}"
        return reason

    def _left(self, entry: PlanEntry, reason: str, progress: Progress) -> ContainerReport:
        """Touch nothing more: the engine stopped answering; the repair takes it from here."""
        where = f"it is left as {progress.aside}" if progress.aside else "it is left"
        self._leave(progress.aside)
        reason = f"{reason}: the engine stopped answering; {where} until the engine answers"
        return self._report(
            entry, Outcome.FAILED, reason, new_id=progress.new_id, snapshots=progress.snapshots
        )

    def _replace(self, entry: PlanEntry, progress: Progress, turn: Turn) -> ContainerReport:
        """Create and start in ``turn``, wait healthy, remove the old one."""
        swapped = self._swap(entry, progress, turn)
        if isinstance(swapped, Failure):  # not with undo; for the type checker
            return self._rollback(entry, swapped.step, swapped.reason, swapped.progress)
        if isinstance(swapped, ContainerReport):
            return swapped
        return self._finish(entry, swapped)

    def _swap(
        self, entry: PlanEntry, progress: Progress, turn: Turn, *, undo: bool = True
    ) -> Progress | ContainerReport | Failure:
        """Create and start in ``turn``, wait healthy and checked; the old one is kept aside.

        Returns how far it got, or the report of a failure (rolled back), or,
        without ``undo``, the failure to roll back later.
        """
        container, image, client = entry.container, entry.target_image, self.client
        runs = container.state.is_running or self.params.revive_stopped
        # As the fork: --no-restart recreates but does not start, except watchtower itself.
        runs = runs and (not self.params.no_restart or entry.settings.is_watchtower)
        # A tag rule's new tag goes to the engine as the copy's reference.
        source = attrs.evolve(container, image=entry.target_reference)
        turn.take()
        if client.watch.silent:
            return self._left(entry, "its replacement was not created", progress)
        try:
            new_id = client.create_replacement(source, image)
        except Exception as error:
            reason = f"its replacement could not be created: {error}"
            return self._undo(entry, Step.CREATE, reason, progress, undo)
        progress = attrs.evolve(progress, new_id=new_id)
        if runs and client.watch.silent:
            return self._left(entry, "its replacement was not started", progress)
        if runs:
            try:
                client.start_container(new_id)
            except Exception as error:
                reason = f"its replacement did not start: {error}"
                return self._undo(entry, Step.START, reason, progress, undo)
        turn.give_back()
        if runs:
            progress = attrs.evolve(progress, started=True)
            self.emit(Started(at=self.emit.now(), container=entry.name, container_id=new_id))
            why = unhealthy(client, new_id, self.params.health_timeout)
            if why:
                return self._undo(entry, Step.HEALTH, why, progress, undo)
            why = verify(client, new_id, entry.settings.checks)
            if why:
                return self._undo(entry, Step.VERIFY, why, progress, undo)
        return progress

    def _undo(
        self, entry: PlanEntry, step: Step, reason: str, progress: Progress, undo: bool
    ) -> ContainerReport | Failure:
        """Roll back now, or, without ``undo``, say what to roll back later."""
        if undo:
            return self._rollback(entry, step, reason, progress)
        return Failure(step, reason, progress)

    def _finish(self, entry: PlanEntry, progress: Progress) -> ContainerReport:
        """Remove the old container of a replacement that passed, and tell it updated."""
        container, image, client = entry.container, entry.target_image, self.client
        aside, new_id = progress.aside, progress.new_id
        assert new_id is not None  # a swap that passed created its replacement
        runs = progress.started
        reason = ""
        if client.watch.silent and not entry.settings.is_watchtower:
            reason = f"the old container is left as {aside} until the engine answers"
            self._leave(aside)
        elif not entry.settings.is_watchtower:
            try:
                client.remove_container(container.id, remove_volumes=self.params.remove_volumes)
            except Exception as error:
                reason = f"the old container is left as {aside}: {error}"
                self._leave(aside)
                failed = Failed(
                    at=self.emit.now(), container=entry.name, step=Step.REMOVE, reason=reason
                )
                self.emit(failed)
        restart_only = entry.action is Action.RESTART
        old_version, new_version = named_pair(entry.old_version, entry.new_version)
        self.emit(
            Updated(
                at=self.emit.now(),
                container=entry.name,
                old_id=container.id,
                new_id=new_id,
                old_image_id=container.image_id,
                new_image_id=image.id,
                restart_only=restart_only,
                old_version=old_version,
                new_version=new_version if not restart_only else "",
                notes=entry.notes if not restart_only else "",
            )
        )
        if self.params.lifecycle_hooks and runs and not client.watch.silent:
            run = run_hook(client, entry.settings, new_id, Hook.POST_UPDATE)
            self.emit.hook(entry.name, run)
            if run is not None and not run.ok:
                reason = "; ".join(filter(None, [reason, run.describe()]))
        outcome = Outcome.RESTARTED if restart_only else Outcome.UPDATED
        return self._report(
            entry, outcome, reason or entry.reason, new_id=new_id, snapshots=progress.snapshots
        )

    def _rollback(
        self, entry: PlanEntry, step: Step, reason: str, progress: Progress
    ) -> ContainerReport:
        """Undo what ``progress`` says was done, newest step first.

        The old container is started before it is renamed back, as the
        repair does: killed in between, its aside name still says it ran.
        Once the engine stops answering, nothing more is tried: the repair
        undoes the rest when it answers again.
        """
        self._failed_at[entry.name] = step
        container, watch = entry.container, self.client.watch
        self.emit(Failed(at=self.emit.now(), container=entry.name, step=step, reason=reason))
        if watch.silent:
            return self._left(entry, reason, progress)
        problems: list[str] = []
        if progress.new_id is not None:
            problem = discard(self.client, container.name, progress.new_id)
            if problem:
                problems.append(problem)
        restored = True
        if watch.silent:
            return self._left(entry, "; ".join([reason, *problems]), progress)
        if progress.new_id is not None:  # a replacement that was created may have run
            for snapshot in progress.snapshots:
                try:
                    self.client.restore_volume(container, snapshot.volume, snapshot.name)
                except Exception as error:
                    problems.append(
                        f"volume {snapshot.volume} could not be restored from "
                        f"{snapshot.name}: {error}"
                    )
            if watch.silent:
                return self._left(entry, "; ".join([reason, *problems]), progress)
        if progress.stopped:
            try:
                self.client.start_container(container.id)
            except Exception as error:
                restored = False
                problems.append(f"the old container could not be started again: {error}")
        if watch.silent:
            return self._left(entry, "; ".join([reason, *problems]), progress)
        if progress.aside is not None:
            try:
                self.client.rename_container(container.id, container.name)
            except Exception as error:
                restored = False
                problems.append(f"the old container could not get its name back: {error}")
        if not restored:
            self._leave(progress.aside)
            summary = "; ".join([reason, *problems])
        else:
            back = "runs again" if container.state.is_running else "is restored"
            summary = "; ".join([reason, f"the old container {back}", *problems])
        self.emit(
            RolledBack(at=self.emit.now(), container=entry.name, reason=summary, restored=restored)
        )
        return self._report(
            entry, Outcome.FAILED, summary, rolled_back=restored, snapshots=progress.snapshots
        )
