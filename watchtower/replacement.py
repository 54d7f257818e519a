"""The replacement transaction: one container swapped for a new one, or not at all.

1. run the pre-update hook and stop the old container (a watchtower
   container is not stopped: it is mid-run, and its successor removes it);
2. rename it aside (``<name>-watchtower-old-<id>``);
3. create the replacement under the original name;
4. start it and wait until it is healthy (when it has a health check);
5. only then remove the old container, and run the post-update hook.

How far a transaction got is a :class:`Progress` value. When a step fails,
the rollback reads it and undoes exactly what was done: the replacement is
removed, the old container gets its name back and runs again if it was
stopped. The old container is never removed before its replacement runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import attrs
from attrs import frozen

from ._emitter import Emitter
from .events import Failed, RolledBack, Skipped, Started, Stopped, Updated
from .lifecycle import Hook, run_hook
from .model import Container, short_id
from .params import UpdateParams
from .plans import Action, PlanEntry
from .protocols import ContainerClient
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


class Replacer:
    """Replaces the containers of a unit, one transaction per container."""

    def __init__(self, client: ContainerClient, params: UpdateParams, emit: Emitter) -> None:
        self.client = client
        self.params = params
        self.emit = emit

    def unit(self, unit: Sequence[PlanEntry]) -> dict[str, ContainerReport]:
        """Stop the unit in reverse order, then replace it in order.

        With rolling restart each container is stopped and replaced before
        the next one is touched.
        """
        done: dict[str, ContainerReport] = {}
        if self.params.rolling_restart:
            for entry in unit:
                progress = self._prepare(entry, done)
                if progress is not None:
                    done[entry.name] = self._replace(entry, progress)
            return done
        prepared = [(e, self._prepare(e, done)) for e in reversed(unit)]
        for entry, progress in reversed(prepared):
            if progress is not None:
                done[entry.name] = self._replace(entry, progress)
        return done

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

    def _prepare(self, entry: PlanEntry, done: dict[str, ContainerReport]) -> Progress | None:
        """Run the pre-update hook and stop the container; None when it must not go on."""
        container, settings = entry.container, entry.settings
        if self.params.lifecycle_hooks and container.state.is_running:
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
        if settings.is_watchtower or not container.state.is_running:
            # A running watchtower is never stopped mid-run: its successor removes it.
            return Progress()
        try:
            self.client.stop_container(
                container, signal=settings.stop_signal, timeout=settings.stop_timeout
            )
        except Exception as error:
            done[entry.name] = self._fail(entry, "stop", f"it could not be stopped: {error}")
            return None
        self.emit(Stopped(at=self.emit.now(), container=entry.name, container_id=container.id))
        return Progress(stopped=True)

    def _replace(self, entry: PlanEntry, progress: Progress) -> ContainerReport:
        """Rename aside, create, start, wait healthy, remove the old one."""
        container, image, client = entry.container, entry.target_image, self.client
        runs = container.state.is_running or self.params.revive_stopped
        # As the fork: --no-restart recreates but does not start, except watchtower itself.
        runs = runs and (not self.params.no_restart or entry.settings.is_watchtower)
        aside = f"{container.name}-watchtower-old-{container.short_id}"
        try:
            client.rename_container(container.id, aside)
        except Exception as error:
            return self._rollback(entry, "rename", f"it could not be renamed: {error}", progress)
        progress = attrs.evolve(progress, aside=aside)
        try:
            new_id = client.create_replacement(container, image)
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
            progress = attrs.evolve(progress, started=True)
            self.emit(Started(at=self.emit.now(), container=entry.name, container_id=new_id))
            unhealthy = self._unhealthy(new_id)
            if unhealthy:
                return self._rollback(entry, "health", unhealthy, progress)

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

    def _unhealthy(self, new_id: str) -> str | None:
        """Why the started replacement is not healthy, or None when it is."""
        timeout = self.params.health_timeout
        try:
            if self.client.wait_until_healthy(new_id, timeout):
                return None
        except Exception as error:
            return f"its replacement's health could not be read: {error}"
        return f"its replacement was not healthy within {timeout.total_seconds():g}s"

    def _rollback(
        self, entry: PlanEntry, step: str, reason: str, progress: Progress
    ) -> ContainerReport:
        """Undo what ``progress`` says was done, newest step first."""
        container = entry.container
        self.emit(Failed(at=self.emit.now(), container=entry.name, step=step, reason=reason))
        problems: list[str] = []
        if progress.new_id is not None:
            problem = self._discard(container, progress.new_id)
            if problem:
                problems.append(problem)
        restored = True
        if progress.aside is not None:
            try:
                self.client.rename_container(container.id, container.name)
            except Exception as error:
                restored = False
                problems.append(f"the old container could not get its name back: {error}")
        if progress.stopped:
            try:
                self.client.start_container(container.id)
            except Exception as error:
                restored = False
                problems.append(f"the old container could not be started again: {error}")
        if not restored:
            summary = "; ".join([reason, *problems])
        else:
            back = "runs again" if container.state.is_running else "is restored"
            summary = "; ".join([reason, f"the old container {back}", *problems])
        self.emit(
            RolledBack(at=self.emit.now(), container=entry.name, reason=summary, restored=restored)
        )
        return self._report(entry, Outcome.FAILED, summary, rolled_back=restored)

    def _discard(self, container: Container, new_id: str) -> str:
        """Remove a failed replacement; what is left of it, in words, when that fails."""
        client = self.client
        try:
            replacement = client.get_container(new_id)
            client.stop_container(replacement, signal="SIGKILL", timeout=timedelta(0))
            client.remove_container(new_id, remove_volumes=False)
        except Exception as error:
            # Free the name for the old container, at least.
            failed = f"{container.name}-watchtower-failed-{short_id(new_id)}"
            try:
                client.rename_container(new_id, failed)
            except Exception as rename_error:
                return f"the failed replacement {short_id(new_id)} remains: {rename_error}"
            return f"the failed replacement remains as {failed}: {error}"
        return ""
