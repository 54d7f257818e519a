"""Undoing a replacement: how far it got, the rollback that undoes exactly that, what is left.

A replacement's :class:`Progress` says what it did: renamed aside, stopped,
created, started, which volumes it snapshotted. :meth:`Undo.rollback` reads
it and undoes those steps, newest first: the replacement removed, the
protected volumes restored (:mod:`watchtower._protected`), the old container
started again if this run stopped it, and its name given back. Started
before it is renamed back, as the repair does: killed in between, its aside
name still says it ran.

Once the engine stops answering, nothing more is asked of it: the container
is *left* under its aside name, for :func:`watchtower.repair.repair` to
finish or undo when the engine answers again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

import attrs
from attrs import frozen

from ._emitter import Emitter
from ._protected import restore
from .events import Failed, RolledBack, Step
from .lanes import ScheduledClient
from .model import VolumeSnapshot
from .params import UpdateParams
from .plans import Action, PlanEntry
from .repair import discard
from .report import ContainerReport, Outcome

__all__ = ["Failure", "Progress", "Undo", "tag_back"]

# The transaction's one logger, whichever module its steps live in.
_log = logging.getLogger("watchtower.replacement")


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


class Undo:
    """The failures of one replacer's transactions: reported, rolled back, or left aside.

    Shared by the threads of the replacer's units.

    Args:
        client: The engine, its calls scheduled by the run's lanes.
        params: The run's parameters.
        emit: The run's events.
    """

    def __init__(self, client: ScheduledClient, params: UpdateParams, emit: Emitter) -> None:
        self.client = client
        self.params = params
        self.emit = emit
        self._tally = threading.Lock()
        self.left: list[str] = []
        """The aside names of the containers this run could not give their names back."""
        self.failed_at: dict[str, Step] = {}
        """The step each failed replacement failed at, by container name."""

    def leave(self, aside: str | None) -> None:
        """Count ``aside`` among the names left for the repair."""
        if aside is not None:
            with self._tally:
                self.left.append(aside)

    def report(
        self,
        entry: PlanEntry,
        outcome: Outcome,
        reason: str,
        *,
        new_id: str | None = None,
        rolled_back: bool = False,
        snapshots: tuple[VolumeSnapshot, ...] = (),
    ) -> ContainerReport:
        """``entry``'s line of the report."""
        return attrs.evolve(
            entry.to_report(),
            new_image_id=entry.target_image.id,
            outcome=outcome,
            reason=reason,
            new_id=new_id,
            rolled_back=rolled_back,
            snapshots=snapshots,
        )

    def fail(self, entry: PlanEntry, step: Step, reason: str) -> ContainerReport:
        """A failure at ``step`` with nothing to undo: told, and reported failed."""
        self.failed_at[entry.name] = step
        self.emit(Failed(at=self.emit.now(), container=entry.name, step=step, reason=reason))
        return self.report(entry, Outcome.FAILED, reason)

    def name_back(self, entry: PlanEntry, reason: str, progress: Progress) -> str:
        """Give a container that was left running its name back; ``reason``, with what failed."""
        if self.client.watch.silent:
            self.leave(progress.aside)
            return f"{reason}; it is left as {progress.aside} until the engine answers"
        try:
            self.client.rename_container(entry.container.id, entry.name)
        except Exception as error:
            self.leave(progress.aside)
            return f"{reason}; the old container could not get its name back: {error}"
        return reason

    def left_aside(self, entry: PlanEntry, reason: str, progress: Progress) -> ContainerReport:
        """Touch nothing more: the engine stopped answering; the repair takes it from here."""
        where = f"it is left as {progress.aside}" if progress.aside else "it is left"
        self.leave(progress.aside)
        reason = f"{reason}: the engine stopped answering; {where} until the engine answers"
        return self.report(
            entry, Outcome.FAILED, reason, new_id=progress.new_id, snapshots=progress.snapshots
        )

    def now_or_later(
        self, entry: PlanEntry, step: Step, reason: str, progress: Progress, now: bool
    ) -> ContainerReport | Failure:
        """Roll back ``now``, or else say what to roll back later."""
        if now:
            return self.rollback(entry, step, reason, progress)
        return Failure(step, reason, progress)

    def rollback(
        self, entry: PlanEntry, step: Step, reason: str, progress: Progress
    ) -> ContainerReport:
        """Undo what ``progress`` says was done, newest step first.

        The old container is started before it is renamed back, as the
        repair does: killed in between, its aside name still says it ran.
        Once the engine stops answering, nothing more is tried: the repair
        undoes the rest when it answers again.
        """
        self.failed_at[entry.name] = step
        container, watch = entry.container, self.client.watch
        self.emit(Failed(at=self.emit.now(), container=entry.name, step=step, reason=reason))
        if watch.silent:
            return self.left_aside(entry, reason, progress)
        problems: list[str] = []
        if progress.new_id is not None:
            problem = discard(self.client, container.name, progress.new_id)
            if problem:
                problems.append(problem)
        restored = True
        if watch.silent:
            return self.left_aside(entry, "; ".join([reason, *problems]), progress)
        if progress.new_id is not None:  # a replacement that was created may have run
            problems.extend(restore(self.client, container, progress.snapshots))
            if watch.silent:
                return self.left_aside(entry, "; ".join([reason, *problems]), progress)
        if progress.stopped:
            try:
                self.client.start_container(container.id)
            except Exception as error:
                restored = False
                problems.append(f"the old container could not be started again: {error}")
        if watch.silent:
            return self.left_aside(entry, "; ".join([reason, *problems]), progress)
        if progress.aside is not None:
            try:
                self.client.rename_container(container.id, container.name)
            except Exception as error:
                restored = False
                problems.append(f"the old container could not get its name back: {error}")
        if not restored:
            self.leave(progress.aside)
            summary = "; ".join([reason, *problems])
        else:
            back = "runs again" if container.state.is_running else "is restored"
            summary = "; ".join([reason, f"the old container {back}", *problems])
        self.emit(
            RolledBack(at=self.emit.now(), container=entry.name, reason=summary, restored=restored)
        )
        return self.report(
            entry, Outcome.FAILED, summary, rolled_back=restored, snapshots=progress.snapshots
        )


def tag_back(client: ScheduledClient, unit: Sequence[PlanEntry]) -> None:
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
            or client.watch.silent
        ):
            continue
        try:
            client.tag_image(old.image_id, ref)
        except Exception as error:
            _log.warning("%s was left on the new image: %s", ref.familiar, error)
