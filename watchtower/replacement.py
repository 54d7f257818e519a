"""The replacement transaction: one container swapped for a new one, or not at all.

1. run the pre-update hook; rename the old container aside, to a name that
   says whether it ran (see :mod:`watchtower.repair`), and stop it (a
   watchtower container is not stopped: it is mid-run, and its successor
   removes it);
2. create the replacement under the original name;
3. start it and wait until it is healthy (when it has a health check);
4. only then remove the old container, and run the post-update hook.

How far a transaction got is a :class:`Progress` value. When a step fails,
the rollback reads it and undoes exactly what was done: the replacement is
removed, the old container runs again if it was stopped and gets its name
back. The old container is never removed before its replacement runs.

The engine shows the same progress in names, so a run killed at any step
leaves what :func:`watchtower.repair.repair` finishes or undoes: renaming
before stopping keeps "did it run?" readable, and the rollback starts the
old container before it renames it back.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import attrs
from attrs import frozen

from ._emitter import Emitter
from .events import Failed, RolledBack, Skipped, Started, Stopped, Updated
from .lifecycle import Hook, run_hook
from .params import UpdateParams
from .plans import Action, PlanEntry
from .protocols import ContainerClient
from .repair import aside_name, discard, unhealthy
from .report import ContainerReport, Outcome

__all__ = ["Progress", "Replacer"]


@frozen
class Progress:
    """How far one replacement got: what a rollback has to undo.

    Attributes:
        stopped: The old container was stopped by this transaction.
        aside: The name the old container was renamed to, once renamed.
        new_id: The replacement's id, once created.
        started: The replacement was started.
    """

    stopped: bool = False
    aside: str | None = None
    new_id: str | None = None
    started: bool = False


#: How long a stop or a pre-update hook may hold the engine's turn (seconds):
#: enough for a container that exits on its stop signal; a stop that waits
#: out its timeout lends the turn to the other units meanwhile.
PATIENCE = 0.25


class _Engine:
    """Whose turn it is at the engine; a unit with a container down goes first."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._busy = False
        self._down = 0  # units waiting with a container down

    def acquire(self, *, down: bool) -> None:
        with self._changed:
            if down:
                self._down += 1
            while self._busy or (self._down and not down):
                self._changed.wait()
            if down:
                self._down -= 1
            self._busy = True

    def release(self) -> None:
        with self._changed:
            self._busy = False
            self._changed.notify_all()


class _Turn:
    """A unit's turn at the engine: from its first stop to a start, from a create to its start.

    Units replaced in parallel take turns there: an engine creates and starts
    containers one at a time about as fast as several at once, and several
    at once make each container's downtime longer. The rest of a
    replacement (renames, health waits, removals, hooks) overlaps freely.
    """

    def __init__(self, engine: _Engine) -> None:
        self._engine = engine
        self._guard = threading.Lock()  # the lending timer gives the turn back too
        self._held = False

    def take(self, *, down: bool = True) -> None:
        """Wait for the turn, unless this unit holds it; ``down``: a container of it is down."""
        if not self._held:
            self._engine.acquire(down=down)
            self._held = True

    def give_back(self) -> None:
        """Let the next unit have the engine."""
        with self._guard:
            if self._held:
                self._held = False
                self._engine.release()

    @contextmanager
    def lent_after(self, seconds: float) -> Iterator[None]:
        """Lend the turn out once the block outlasts ``seconds``; hold it again after.

        Without the turn, the block just runs.
        """
        if not self._held:
            yield
            return
        timer = threading.Timer(seconds, self.give_back)
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            timer.cancel()
            timer.join()  # it may be giving the turn back right now
            self.take()


class Replacer:
    """Replaces the containers of a unit, one transaction per container."""

    def __init__(self, client: ContainerClient, params: UpdateParams, emit: Emitter) -> None:
        self.client = client
        self.params = params
        self.emit = emit
        self._engine = _Engine()

    def unit(self, unit: Sequence[PlanEntry]) -> dict[str, ContainerReport]:
        """Stop the unit in reverse order, then replace it in order.

        With rolling restart each container is stopped and replaced before
        the next one is touched.
        """
        done: dict[str, ContainerReport] = {}
        turn = _Turn(self._engine)
        try:
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

    def _report(
        self,
        entry: PlanEntry,
        outcome: Outcome,
        reason: str,
        *,
        new_id: str | None = None,
        rolled_back: bool = False,
    ) -> ContainerReport:
        return attrs.evolve(
            entry.to_report(),
            new_image_id=entry.target_image.id,
            outcome=outcome,
            reason=reason,
            new_id=new_id,
            rolled_back=rolled_back,
        )

    def _fail(self, entry: PlanEntry, step: str, reason: str) -> ContainerReport:
        self.emit(Failed(at=self.emit.now(), container=entry.name, step=step, reason=reason))
        return self._report(entry, Outcome.FAILED, reason)

    def _prepare(
        self, entry: PlanEntry, done: dict[str, ContainerReport], turn: _Turn
    ) -> Progress | None:
        """Run the pre-update hook, rename aside and stop; None when it must not go on."""
        container, settings = entry.container, entry.settings
        running = container.state.is_running
        if self.params.lifecycle_hooks and running:
            with turn.lent_after(PATIENCE):  # the turn of a unit's earlier stop
                run = run_hook(self.client, settings, container.id, Hook.PRE_UPDATE)
            self.emit.hook(entry.name, run)
            if run is not None and run.asks_skip:
                reason = "the pre-update hook asked to skip the update (exit code 75)"
                self.emit(Skipped(at=self.emit.now(), container=entry.name, reason=reason))
                done[entry.name] = self._report(entry, Outcome.SKIPPED, reason)
                return None
            if run is not None and not run.ok:
                done[entry.name] = self._fail(entry, "hook", run.describe())
                return None
        # Renamed before it is stopped: killed at any later step, the name
        # still says whether it ran.
        aside = aside_name(container.name, container.id, running=running)
        try:
            self.client.rename_container(container.id, aside)
        except Exception as error:
            done[entry.name] = self._fail(entry, "rename", f"it could not be renamed: {error}")
            return None
        progress = Progress(aside=aside)
        if settings.is_watchtower or not running:
            # A running watchtower is never stopped mid-run: its successor removes it.
            return progress
        turn.take(down=False)
        try:
            with turn.lent_after(PATIENCE):
                self.client.stop_container(
                    container, signal=settings.stop_signal, timeout=settings.stop_timeout
                )
        except Exception as error:
            reason = f"it could not be stopped: {error}"
            done[entry.name] = self._rollback(entry, "stop", reason, progress)
            return None
        self.emit(Stopped(at=self.emit.now(), container=entry.name, container_id=container.id))
        return attrs.evolve(progress, stopped=True)

    def _replace(self, entry: PlanEntry, progress: Progress, turn: _Turn) -> ContainerReport:
        """Create and start in ``turn``, wait healthy, remove the old one."""
        container, image, client = entry.container, entry.target_image, self.client
        runs = container.state.is_running or self.params.revive_stopped
        # As the fork: --no-restart recreates but does not start, except watchtower itself.
        runs = runs and (not self.params.no_restart or entry.settings.is_watchtower)
        aside = progress.aside
        # A tag rule's new tag goes to the engine as the copy's reference.
        source = attrs.evolve(container, image=entry.target_reference)
        turn.take()
        try:
            new_id = client.create_replacement(source, image)
        except Exception as error:
            reason = f"its replacement could not be created: {error}"
            return self._rollback(entry, "create", reason, progress)
        progress = attrs.evolve(progress, new_id=new_id)
        if runs:
            try:
                client.start_container(new_id)
            except Exception as error:
                reason = f"its replacement did not start: {error}"
                return self._rollback(entry, "start", reason, progress)
        turn.give_back()
        if runs:
            progress = attrs.evolve(progress, started=True)
            self.emit(Started(at=self.emit.now(), container=entry.name, container_id=new_id))
            why = unhealthy(client, new_id, self.params.health_timeout)
            if why:
                return self._rollback(entry, "health", why, progress)

        reason = ""
        if not entry.settings.is_watchtower:
            try:
                client.remove_container(container.id, remove_volumes=self.params.remove_volumes)
            except Exception as error:
                reason = f"the old container is left as {aside}: {error}"
                self.emit(
                    Failed(at=self.emit.now(), container=entry.name, step="remove", reason=reason)
                )
        restart_only = entry.action is Action.RESTART
        self.emit(
            Updated(
                at=self.emit.now(),
                container=entry.name,
                old_id=container.id,
                new_id=new_id,
                old_image_id=container.image_id,
                new_image_id=image.id,
                restart_only=restart_only,
            )
        )
        if self.params.lifecycle_hooks and runs:
            run = run_hook(client, entry.settings, new_id, Hook.POST_UPDATE)
            self.emit.hook(entry.name, run)
            if run is not None and not run.ok:
                reason = "; ".join(filter(None, [reason, run.describe()]))
        outcome = Outcome.RESTARTED if restart_only else Outcome.UPDATED
        return self._report(entry, outcome, reason or entry.reason, new_id=new_id)

    def _rollback(
        self, entry: PlanEntry, step: str, reason: str, progress: Progress
    ) -> ContainerReport:
        """Undo what ``progress`` says was done, newest step first.

        The old container is started before it is renamed back, as the
        repair does: killed in between, its aside name still says it ran.
        """
        container = entry.container
        self.emit(Failed(at=self.emit.now(), container=entry.name, step=step, reason=reason))
        problems: list[str] = []
        if progress.new_id is not None:
            problem = discard(self.client, container.name, progress.new_id)
            if problem:
                problems.append(problem)
        restored = True
        if progress.stopped:
            try:
                self.client.start_container(container.id)
            except Exception as error:
                restored = False
                problems.append(f"the old container could not be started again: {error}")
        if progress.aside is not None:
            try:
                self.client.rename_container(container.id, container.name)
            except Exception as error:
                restored = False
                problems.append(f"the old container could not get its name back: {error}")
        if not restored:
            summary = "; ".join([reason, *problems])
        else:
            back = "runs again" if container.state.is_running else "is restored"
            summary = "; ".join([reason, f"the old container {back}", *problems])
        self.emit(
            RolledBack(at=self.emit.now(), container=entry.name, reason=summary, restored=restored)
        )
        return self._report(entry, Outcome.FAILED, summary, rolled_back=restored)
