"""The values of a history and its protocol: :class:`Run`, :class:`Change`, :class:`History`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from attrs import frozen
from typing_extensions import Protocol, runtime_checkable

from ..report import ContainerReport, EntryKind, Outcome, Report

__all__ = ["CHANGED", "Change", "History", "Hold", "Run", "changes_of", "held_on", "run_counts"]

#: The outcomes a history keeps a row for: a container that changed, or was meant to.
#: Fresh, stale and skipped containers are counted on the run alone, so that a
#: history of a daemon that runs every few minutes grows with what happened, not
#: with how often it looked.
CHANGED = frozenset({Outcome.UPDATED, Outcome.RESTARTED, Outcome.FAILED})


def _time(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


@frozen(kw_only=True)
class Run:
    """One run, as a history keeps it.

    Attributes:
        id: Its number in the history; later runs have larger ones.
        started_at: When it began.
        finished_at: When it ended.
        trigger: What started it (``push``), empty for a scheduled or asked-for run.
        scanned: How many containers were checked.
        updated: How many were replaced on a newer image.
        failed: How many failed.
        restarted: How many were recreated because a dependency was replaced.
        skipped: How many were skipped.
        dry_run: True when nothing was changed on purpose.
    """

    id: int
    started_at: datetime
    finished_at: datetime
    trigger: str = ""
    scanned: int = 0
    updated: int = 0
    failed: int = 0
    restarted: int = 0
    skipped: int = 0
    dry_run: bool = False

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: ``timestamp`` (the end) and the counts, as ``/v1/history`` has."""
        return {
            "id": self.id,
            "timestamp": _time(self.finished_at),
            "started_at": _time(self.started_at),
            "trigger": self.trigger,
            "scanned": self.scanned,
            "updated": self.updated,
            "failed": self.failed,
            "restarted": self.restarted,
            "skipped": self.skipped,
            "dry_run": self.dry_run,
        }


@frozen(kw_only=True)
class Change:
    """What one run did to one container (or service, or host), as a history keeps it.

    Attributes:
        id: Its number in the history; later changes have larger ones.
        run: The :attr:`Run.id` of its run.
        at: When its run ended.
        host: The engine it is on; empty for a run over one engine.
        container: The container's (or service's, or host's) name.
        kind: ``container``, ``service`` or ``host``.
        image: The reference it ran.
        new_image: The newer tag its tag rule moved it to; empty when it follows its own.
        old_image_id: The image it ran before.
        new_image_id: The image it runs after (the newest found); empty when none.
        old_version: The version it ran before; empty when unknown.
        new_version: The version it runs after; empty when unknown.
        notes: Where to read what changed; empty when unknown.
        outcome: ``updated``, ``restarted`` or ``failed``.
        reason: Why, in words.
        rolled_back: True when a failed replacement was undone.
        trigger: Its run's :attr:`Run.trigger`.
    """

    id: int
    run: int
    at: datetime
    host: str = ""
    container: str
    kind: str = EntryKind.CONTAINER.value
    image: str = ""
    new_image: str = ""
    old_image_id: str = ""
    new_image_id: str = ""
    old_version: str = ""
    new_version: str = ""
    notes: str = ""
    outcome: str
    reason: str = ""
    rolled_back: bool = False
    trigger: str = ""

    @property
    def moved(self) -> bool:
        """True when the container went to another image (what :meth:`History.previous` seeks)."""
        return (
            self.outcome == Outcome.UPDATED.value
            and bool(self.new_image_id)
            and self.old_image_id != self.new_image_id
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every field."""
        return {
            "id": self.id,
            "run": self.run,
            "at": _time(self.at),
            "host": self.host,
            "container": self.container,
            "kind": self.kind,
            "image": self.image,
            "new_image": self.new_image,
            "old_image_id": self.old_image_id,
            "new_image_id": self.new_image_id,
            "old_version": self.old_version,
            "new_version": self.new_version,
            "notes": self.notes,
            "outcome": self.outcome,
            "reason": self.reason,
            "rolled_back": self.rolled_back,
            "trigger": self.trigger,
        }


@frozen(kw_only=True)
class Hold:
    """A container kept on an image by a rollback: no run updates it until it is released.

    Attributes:
        host: The engine it is on; empty for a run over one engine.
        container: The container's name.
        image_id: The image it is held on.
        version: That image's version as a person reads it; empty when unknown.
        at: When it was held.
    """

    host: str = ""
    container: str
    image_id: str
    version: str = ""
    at: datetime

    @property
    def shown(self) -> str:
        """What ``held on ...`` names: the version, or else the image's short id."""
        return self.version or self.image_id.removeprefix("sha256:")[:12]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every field, and :attr:`shown`."""
        return {
            "host": self.host,
            "container": self.container,
            "image_id": self.image_id,
            "version": self.version,
            "shown": self.shown,
            "at": _time(self.at),
        }


def held_on(holds: Mapping[tuple[str, str], Hold], host: str = "") -> dict[str, str]:
    """What the containers of ``host`` are held on, by name: the value of ``UpdateParams.held``."""
    return {name: hold.shown for (where, name), hold in holds.items() if where == host}


def _change(entry: ContainerReport) -> dict[str, Any]:
    """The columns a history keeps of one report entry: the one place that maps them."""
    # As the events and templates do: digests alone are no version (the image ids say as much).
    old_version, new_version = entry.versions if entry.versioned else ("", "")
    return {
        "host": entry.host,
        "container": entry.name,
        "kind": entry.kind.value,
        "image": entry.image,
        "new_image": entry.new_image or "",
        "old_image_id": entry.old_image_id,
        "new_image_id": entry.new_image_id or "",
        "old_version": old_version,
        "new_version": new_version,
        "notes": entry.notes,
        "outcome": entry.outcome.value,
        "reason": entry.reason,
        "rolled_back": entry.rolled_back,
    }


def changes_of(report: Report) -> Iterator[dict[str, Any]]:
    """The columns of each entry of ``report`` that a history keeps.

    Those whose outcome is in :data:`~watchtower.history.CHANGED`.
    """
    return (_change(e) for e in report.entries if e.outcome in CHANGED)


def run_counts(report: Report) -> dict[str, Any]:
    """The columns of a :class:`Run` that ``report`` gives (all but its id)."""
    return {
        "started_at": report.started_at,
        "finished_at": report.finished_at,
        "trigger": report.trigger,
        "scanned": len(report.scanned),
        "updated": len(report.updated),
        "failed": len(report.failed),
        "restarted": len(report.restarted),
        "skipped": len(report.skipped),
        "dry_run": report.dry_run,
    }


@runtime_checkable
class History(Protocol):
    """Where runs and the changes they made are kept, newest first when read.

    :func:`watchtower.update` (and the runs over several engines) give each
    finished report to :meth:`record`; the command line reads it back for
    ``watchtower history`` and ``/v1/history``. Implementations must be
    safe to call from several threads at once. Paging is by id: pass the
    smallest id of a page as ``before`` to get the next (older) one.
    """

    def record(self, report: Report) -> None:
        """Keep ``report``: its run and the entries that changed.

        Which entries :data:`~watchtower.history.CHANGED` says. A run is kept
        whole or not at all.
        """
        ...

    def runs(self, *, limit: int = 50, before: int | None = None) -> list[Run]:
        """The newest ``limit`` runs (0: all) whose id is below ``before``, newest first."""
        ...

    def changes(
        self,
        *,
        name: str | None = None,
        host: str | None = None,
        limit: int = 50,
        before: int | None = None,
    ) -> list[Change]:
        """The newest ``limit`` changes (0: all) whose id is below ``before``, newest first.

        ``name`` and ``host``, when given, keep those of that container and engine.
        """
        ...

    def previous(self, name: str, host: str = "") -> Change | None:
        """The last change that moved container ``name`` to another image, if any.

        Its :attr:`Change.old_image_id` (and ``image``) is what ran before.
        """
        ...

    def hold(self, name: str, host: str, image_id: str, version: str = "") -> None:
        """Hold container ``name`` of ``host`` on ``image_id`` (a rollback), replacing any hold."""
        ...

    def release(self, name: str, host: str = "") -> bool:
        """Let container ``name`` of ``host`` update again; ``False`` when it was not held."""
        ...

    def holds(self) -> Mapping[tuple[str, str], Hold]:
        """Every hold, by ``(host, name)``, as kept now (another process's included)."""
        ...
