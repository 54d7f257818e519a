"""The replacement transaction: one container swapped for a new one, or not at all.

1. rename the old container aside, to a name that says whether it ran (see
   :mod:`watchtower.repair`), in a batch ahead of the stops
   (:mod:`watchtower.lanes`); ask the replacer's :class:`Guard` whether it
   may begin (one it stops gets its name back); run the pre-update hook (a
   hook that fails or asks to skip gives the name back); stop it (a
   watchtower container is not stopped: it is mid-run, and its successor
   removes it); snapshot the volumes its ``snapshot-volumes`` label
   protects, now quiescent (``watchtower._protected``);
2. create the replacement under the original name;
3. start it and wait until it is healthy (when it has a health check),
   then until it passed the checks its labels ask for (probes, a soak, a
   fail pattern: :mod:`watchtower.probes`);
4. only then remove the old container, and run the post-update hook.

How far a transaction got is a :class:`Progress` value. When a step fails,
the rollback (``watchtower._undo``) reads it and undoes exactly what was
done: the replacement is removed, the old container runs again if it was
stopped and gets its name back, its protected volumes restored from their
snapshots before it starts. The old container is never removed before its
replacement runs.

The engine shows the same progress in names, so a run killed at any step
leaves what :func:`watchtower.repair.repair` finishes or undoes: renaming
before stopping keeps "did it run?" readable, and the rollback starts the
old container before it renames it back.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

import attrs

from ._emitter import Emitter
from ._protected import Halted, snapshot
from ._undo import Failure, Progress, Undo, tag_back
from .events import Failed, Skipped, Started, Step, Stopped, Stopping, Updated
from .lanes import PATIENCE, ScheduledClient, Turn, Turns
from .lifecycle import Hook, run_hook
from .params import UpdateParams
from .plans import Action, PlanEntry
from .probes import verify
from .repair import aside_name, unhealthy
from .report import ContainerReport, Outcome
from .stacks import ROLLED_BACK_WITH
from .versions import named_pair

__all__ = ["Failure", "Guard", "Progress", "Replacer"]


class Guard(Protocol):
    """What a :class:`Replacer` asks before each replacement, and tells after each unit.

    The seam for a policy above the transaction, such as the quarantine's
    circuit breaker (:class:`watchtower.quarantine.BreakerGuard`). Both
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
        self._undo = Undo(client, params, emit)
        self._units = [tuple(unit) for unit in units]
        self._window = max(1, window)
        self._turns = Turns()
        self._batch = threading.Lock()
        self._tally = threading.Lock()
        self._renamed = 0  # the units before this index had their renames
        self._aside: dict[str, str | ContainerReport] = {}  # a name's aside name, or its failure
        self.not_started = 0
        """How many units never began, because the engine stopped answering."""
        self.left: list[str] = self._undo.left
        """The aside names of the containers this run could not give their names back."""

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
                    self._guard.ended(entry, report, self._undo.failed_at.get(entry.name))
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
            result = self._swap(entry, prepared, turn, roll_back=False)
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
            done[entry.name] = self._undo.rollback(entry, Step.STACK, reason, progress)
        tag_back(self.client, unit)
        for entry in reversed(unit):
            if entry.name in ready:
                reason = f"{ROLLED_BACK_WITH}: {cause}"
                done[entry.name] = self._undo.rollback(entry, Step.STACK, reason, ready[entry.name])
            elif entry.name not in done and entry.name != failed:
                done[entry.name] = self._untouched(entry, f"not updated with its stack: {cause}")
        if failure is not None:
            # Last: until then its leftover tells a repair that the stack is undone.
            entry, last = failure
            done[entry.name] = self._undo.rollback(entry, last.step, last.reason, last.progress)
        return done

    def _untouched(self, entry: PlanEntry, reason: str) -> ContainerReport:
        """A member of a stack that failed before its turn: its name back, skipped."""
        aside = self._aside.get(entry.name)
        if not isinstance(aside, str):  # the rename failed, or never came
            return aside or self._not_started(entry)
        self.emit(Skipped(at=self.emit.now(), container=entry.name, reason=reason))
        reason = self._undo.name_back(entry, reason, Progress(aside=aside))
        return self._undo.report(entry, Outcome.SKIPPED, reason)

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
            return self._undo.fail(entry, Step.RENAME, f"it could not be renamed: {error}")
        return aside

    def _not_started(self, entry: PlanEntry) -> ContainerReport:
        reason = "not updated: the engine stopped answering"
        aside = self._aside.get(entry.name)
        if isinstance(aside, str):
            reason += f"; it is left as {aside} until the engine answers"
            self._undo.leave(aside)
        return self._undo.report(entry, Outcome.FAILED, reason)

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
            reason = self._undo.name_back(entry, why, progress)
            done[entry.name] = self._undo.report(entry, Outcome.SKIPPED, reason)
            return None
        running = container.state.is_running
        if self.params.lifecycle_hooks and running:
            with turn.lent_after(PATIENCE):  # the turn of a unit's earlier stop
                run = run_hook(self.client, settings, container.id, Hook.PRE_UPDATE)
            self.emit.hook(entry.name, run)
            if run is not None and run.asks_skip:
                reason = "the pre-update hook asked to skip the update (exit code 75)"
                self.emit(Skipped(at=self.emit.now(), container=entry.name, reason=reason))
                reason = self._undo.name_back(entry, reason, progress)
                done[entry.name] = self._undo.report(entry, Outcome.SKIPPED, reason)
                return None
            if run is not None and not run.ok:
                reason = self._undo.name_back(entry, run.describe(), progress)
                done[entry.name] = self._undo.fail(entry, Step.HOOK, reason)
                return None
        if settings.is_watchtower or not running:
            # A running watchtower is never stopped mid-run: its successor removes it.
            return self._snapshot(entry, progress, done)
        turn.take(down=False)
        if self.client.watch.silent:
            done[entry.name] = self._undo.left_aside(entry, "it was not stopped", progress)
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
            done[entry.name] = self._undo.rollback(entry, Step.STOP, reason, progress)
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
        taken = snapshot(self.client, entry, self.params.snapshot_keep, self.emit.now)
        if not isinstance(taken, Halted):
            return attrs.evolve(progress, snapshots=taken)
        if not taken.error:
            done[entry.name] = self._undo.left_aside(
                entry, "its volumes were not snapshotted", progress
            )
            return None
        reason = f"not updated: {taken.error}"
        # Those taken already are on the engine: the report tells them too.
        taken_so_far = attrs.evolve(progress, snapshots=taken.taken)
        done[entry.name] = self._undo.rollback(entry, Step.SNAPSHOT, reason, taken_so_far)
        return None

    def _replace(self, entry: PlanEntry, progress: Progress, turn: Turn) -> ContainerReport:
        """Create and start in ``turn``, wait healthy, remove the old one."""
        swapped = self._swap(entry, progress, turn)
        if isinstance(swapped, Failure):  # not with roll_back; for the type checker
            return self._undo.rollback(entry, swapped.step, swapped.reason, swapped.progress)
        if isinstance(swapped, ContainerReport):
            return swapped
        return self._finish(entry, swapped)

    def _swap(
        self, entry: PlanEntry, progress: Progress, turn: Turn, *, roll_back: bool = True
    ) -> Progress | ContainerReport | Failure:
        """Create and start in ``turn``, wait healthy and checked; the old one is kept aside.

        Returns how far it got, or the report of a failure (rolled back), or,
        without ``roll_back``, the failure to roll back later.
        """
        container, image, client = entry.container, entry.target_image, self.client
        runs = container.state.is_running or self.params.revive_stopped
        # As the fork: --no-restart recreates but does not start, except watchtower itself.
        runs = runs and (not self.params.no_restart or entry.settings.is_watchtower)
        # A tag rule's new tag goes to the engine as the copy's reference.
        source = attrs.evolve(container, image=entry.target_reference)
        turn.take()
        if client.watch.silent:
            return self._undo.left_aside(entry, "its replacement was not created", progress)
        try:
            new_id = client.create_replacement(source, image)
        except Exception as error:
            reason = f"its replacement could not be created: {error}"
            return self._undo.now_or_later(entry, Step.CREATE, reason, progress, roll_back)
        progress = attrs.evolve(progress, new_id=new_id)
        if runs and client.watch.silent:
            return self._undo.left_aside(entry, "its replacement was not started", progress)
        if runs:
            try:
                client.start_container(new_id)
            except Exception as error:
                reason = f"its replacement did not start: {error}"
                return self._undo.now_or_later(entry, Step.START, reason, progress, roll_back)
        turn.give_back()
        if runs:
            progress = attrs.evolve(progress, started=True)
            self.emit(Started(at=self.emit.now(), container=entry.name, container_id=new_id))
            why = unhealthy(client, new_id, self.params.health_timeout)
            if why:
                return self._undo.now_or_later(entry, Step.HEALTH, why, progress, roll_back)
            why = verify(client, new_id, entry.settings.checks)
            if why:
                return self._undo.now_or_later(entry, Step.VERIFY, why, progress, roll_back)
        return progress

    def _finish(self, entry: PlanEntry, progress: Progress) -> ContainerReport:
        """Remove the old container of a replacement that passed, and tell it updated."""
        container, image, client = entry.container, entry.target_image, self.client
        aside, new_id = progress.aside, progress.new_id
        assert new_id is not None  # a swap that passed created its replacement
        runs = progress.started
        reason = ""
        if client.watch.silent and not entry.settings.is_watchtower:
            reason = f"the old container is left as {aside} until the engine answers"
            self._undo.leave(aside)
        elif not entry.settings.is_watchtower:
            try:
                client.remove_container(container.id, remove_volumes=self.params.remove_volumes)
            except Exception as error:
                reason = f"the old container is left as {aside}: {error}"
                self._undo.leave(aside)
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
        return self._undo.report(
            entry, outcome, reason or entry.reason, new_id=new_id, snapshots=progress.snapshots
        )
