"""The values of a history and its protocol: :class:`Run`, :class:`Change`, :class:`History`."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

import attrs
from attrs import frozen
from typing_extensions import Protocol, runtime_checkable

from ..errors import ApprovalError, QuarantineError
from ..report import ContainerReport, EntryKind, Outcome, Quarantine, Report
from ._snapshots import Snapshot

__all__ = [
    "CHANGED",
    "Approval",
    "Change",
    "History",
    "Hold",
    "Quarantine",
    "Run",
    "State",
    "approvals_on",
    "asks_anew",
    "changes_of",
    "decided",
    "held_on",
    "matching",
    "run_counts",
]

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


class State(str, enum.Enum):
    """Where an update that waits for approval stands."""

    #: Found, not decided yet.
    PENDING = "pending"
    #: The next run (or the one the approval starts) replaces the container.
    APPROVED = "approved"
    #: That digest is not asked for again; a newer one is.
    REJECTED = "rejected"


@frozen(kw_only=True)
class Approval:
    """An update of a container of the ``approve`` policy, and what was decided of it.

    It names the digest the registry served when it was found: approving it
    approves that image alone, so a newer push is asked for anew.

    Attributes:
        host: The engine the container is on; empty for a run over one engine.
        container: The container's name.
        image: The reference it runs (or the newer tag its tag rule found).
        digest: The digest of the image the update would go to.
        old_version: The version it runs; empty when unknown.
        new_version: The version it would run; empty when unknown.
        notes: Where to read what changed; empty when unknown.
        summary: The plan's line for it: the image, the image ids, the
            versions and the reason.
        state: Pending, approved or rejected.
        asked_at: When a run found it.
        decided_at: When it was approved or rejected; ``None`` while pending.
    """

    host: str = ""
    container: str
    image: str = ""
    digest: str
    old_version: str = ""
    new_version: str = ""
    notes: str = ""
    summary: str = ""
    state: State = attrs.field(default=State.PENDING, converter=State)
    asked_at: datetime
    decided_at: datetime | None = None

    @property
    def shown(self) -> str:
        """The new version a person is asked about, or else the digest's first 12 digits."""
        return self.new_version or _hex(self.digest)[:12]

    def lapsed(self, expiry: timedelta | None, now: datetime) -> bool:
        """True when it is an approval older than ``expiry`` (``None``: approvals never lapse)."""
        return (
            self.state is State.APPROVED
            and expiry is not None
            and self.decided_at is not None
            and now - self.decided_at > expiry
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every field, and :attr:`shown`."""
        return {
            "host": self.host,
            "container": self.container,
            "image": self.image,
            "digest": self.digest,
            "old_version": self.old_version,
            "new_version": self.new_version,
            "shown": self.shown,
            "notes": self.notes,
            "summary": self.summary,
            "state": self.state.value,
            "asked_at": _time(self.asked_at),
            "decided_at": _time(self.decided_at) if self.decided_at else None,
        }


_HEX_DIGITS = re.compile(r"[0-9a-f]{12,64}")


def _hex(digest: str) -> str:
    return digest.partition(":")[2] if ":" in digest else digest


def decided(
    current: Approval | None,
    name: str,
    host: str,
    approve: bool,
    digest: str,
    at: datetime,
) -> Approval:
    """``current`` approved or rejected at ``at``: the rule both histories share.

    ``digest``, when given, must name the digest ``current`` is for (all of
    it, or 12 or more of its first hex digits, with or without ``sha256:``).

    Raises:
        ApprovalError: There is no update of ``name`` to decide, or it is for another digest.
    """
    where = f" on host {host}" if host else ""
    if current is None:
        raise ApprovalError(
            f"No update of {name}{where} waits for approval: a run records one when it "
            "finds a newer image for a container of the approve policy."
        )
    wanted = _hex(digest.strip().lower())
    if wanted and not (_HEX_DIGITS.fullmatch(wanted) and _hex(current.digest).startswith(wanted)):
        raise ApprovalError(
            f"The update of {name}{where} is for digest {current.digest}, not "
            f"{digest.strip()[:80]!r}: the registry serves another image now."
        )
    state = State.APPROVED if approve else State.REJECTED
    return attrs.evolve(current, state=state, decided_at=at)


def asks_anew(kept: Approval | None, approval: Approval) -> bool:
    """Does ``approval`` replace ``kept``, what its container had? The rule both histories share.

    Yes unless ``kept`` is for the same digest and pending or rejected:
    nothing is asked twice, and a rejected digest is not asked again.
    """
    return kept is None or kept.digest != approval.digest or kept.state is State.APPROVED


def approvals_on(
    approvals: Mapping[tuple[str, str], Approval], host: str = ""
) -> dict[str, Approval]:
    """The approvals of the containers of ``host``, by name: ``UpdateParams.approvals``."""
    return {name: a for (where, name), a in approvals.items() if where == host}


def matching(quarantines: Mapping[str, Quarantine], digest: str) -> Quarantine:
    """The active quarantine ``digest`` names: all of it, or 12 or more of its first hex digits.

    The rule both histories share for :meth:`History.release_digest`.

    Raises:
        QuarantineError: ``digest`` is malformed, names none, or names several.
    """
    wanted = _hex(digest.strip().lower())
    if not _HEX_DIGITS.fullmatch(wanted):
        raise QuarantineError(
            f"{digest.strip()[:80]!r} is no digest: give sha256: and 12 to 64 hex digits."
        )
    found = [q for q in quarantines.values() if q.active and _hex(q.digest).startswith(wanted)]
    if not found:
        raise QuarantineError(f"No quarantined digest starts with {digest.strip()[:80]}.")
    if len(found) > 1:
        raise QuarantineError(
            f"{digest.strip()[:80]} names {len(found)} quarantined digests: give more digits."
        )
    return found[0]


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

    def snapshots(
        self,
        *,
        name: str | None = None,
        host: str | None = None,
        removed: bool = False,
        limit: int = 50,
        before: int | None = None,
    ) -> list[Snapshot]:
        """The snapshots of protected volumes the runs took, newest first.

        Only ``name``'s and ``host``'s when given; those a later snapshot of
        their volume had removed (``--snapshot-keep``) only with ``removed``.
        ``limit`` 0 gives all; ``before`` pages by id, as :meth:`changes`.
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

    def ask(self, approval: Approval) -> bool:
        """Keep ``approval`` as pending, replacing what its container had.

        Unless an update to the same digest is pending or rejected already
        (nothing is asked twice). ``False`` when nothing was kept: the
        caller notifies only of what is new.
        """
        ...

    def decide(self, name: str, host: str, approve: bool, digest: str = "") -> Approval:
        """Approve (or reject) the update that container ``name`` of ``host`` waits for.

        ``digest``, when given, must be the one it is for (see
        :func:`~watchtower.history.decided`). Returns it as decided.

        Raises:
            ApprovalError: Nothing to decide, or it is for another digest.
        """
        ...

    def approvals(self) -> Mapping[tuple[str, str], Approval]:
        """Every update asked for, pending or decided, by ``(host, name)``, as kept now."""
        ...

    def quarantine(self, quarantine: Quarantine) -> bool:
        """Keep ``quarantine``: no run moves a container to its digest until it is released.

        ``False`` when that digest is quarantined already (the first failure
        is kept): the caller reports only what is new. A released digest that
        fails again is quarantined anew.
        """
        ...

    def quarantined(self) -> Mapping[str, Quarantine]:
        """Every quarantine by digest, active or released, as kept now."""
        ...

    def release_digest(self, digest: str, by: str = "") -> Quarantine:
        """Release the quarantined digest ``digest`` names; returns it as released.

        ``digest`` is all of it or 12 or more of its first hex digits, with or
        without ``sha256:`` (see :func:`~watchtower.history.matching`); ``by``
        says who or why.

        Raises:
            QuarantineError: No quarantined digest matches, or several do.
        """
        ...
