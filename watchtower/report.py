"""The outcome of a run: :class:`Report`, one :class:`ContainerReport` per container."""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

from attrs import field, frozen

from ._words import Word, word
from .model import VolumeSnapshot
from .versions import Version, change, shown

__all__ = [
    "DEFERRED",
    "ContainerReport",
    "EntryKind",
    "Outcome",
    "Quarantine",
    "Report",
    "is_deferred",
]

DEFERRED = "registry quota: deferred to the next run"
"""How the reason of a container deferred by the registry quota begins."""


def is_deferred(outcome: str, reason: str) -> bool:
    """True for a skip the registry quota deferred to the next run (:mod:`watchtower.quota`).

    The one place that tells a deferral from the other skips: its reason
    begins with :data:`DEFERRED`. ``outcome`` is the word of the skip
    (``skipped``, as a report's :class:`Outcome` or a plan's status).
    """
    return outcome == "skipped" and reason.startswith(DEFERRED)


def _strings(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


class Outcome(str, enum.Enum):
    """What became of a container in a run. Each container has exactly one."""

    FRESH = "fresh"
    """Its image is what the registry serves."""
    STALE = "stale"
    """A newer image exists and was left alone (monitor-only, no-restart, dry run)."""
    UPDATED = "updated"
    """It was replaced by a container on the newer image."""
    RESTARTED = "restarted"
    """It was recreated on its image because something it depends on was replaced."""
    FAILED = "failed"
    """Its update failed (``rolled_back`` says whether the old container was
    restored), or its registry's digest check and the pull that stood in for it
    both failed; ``reason`` says which."""
    SKIPPED = "skipped"
    """It could not be checked (the registry rate limits or did not answer in
    time, a pull failed after the registry answered, ...) or was left out on
    purpose; ``reason`` says why."""


class EntryKind(Word):
    """What a report's entry is about (:attr:`ContainerReport.kind`).

    A member is a ``str`` that reads as its value (``service``) in ``str()``,
    f-strings, logs, templates and JSON.
    """

    CONTAINER = "container"
    """A container, which watchtower replaces itself."""
    SERVICE = "service"
    """A swarm service, which the engine rolls out itself; the entry's
    ``id`` is the service's and its image ids are digests."""
    HOST = "host"
    """An engine that could not be scanned (a run over several engines); the
    entry's ``reason`` says why."""


def _snapshots(value: Iterable[VolumeSnapshot]) -> tuple[VolumeSnapshot, ...]:
    return tuple(value)


def _kind(value: str) -> EntryKind:
    return word(EntryKind, value, "ContainerReport.kind")


@frozen(kw_only=True)
class ContainerReport:
    """What happened to one container.

    Attributes:
        id: The container's id before the run.
        name: Its name.
        image: The reference it runs.
        old_image_id: The image it ran before the run.
        new_image_id: The newest image found (the one it runs after an update).
        new_image: The newer tag its tag rule found (``nginx:1.25.4``), which
            it runs after an update; ``None`` when it follows its own tag.
        outcome: What became of it.
        reason: Why, in words (empty when there is nothing to say).
        new_id: The id of the replacement, when there is one.
        rolled_back: True when a failed replacement was undone.
        warnings: One sentence for each of its labels that was unreadable
            and ignored (the flag's value or the default was used).
        kind: What it is; a plain string (``service``) is converted, and
            one that is no :class:`EntryKind` raises
            :class:`~watchtower.errors.ConfigurationError`.
        replicas: A service's replica count (``None`` for a global one).
        host: The engine it is on, when a run covers several.
        old_version: The version it ran before the run, from its image's OCI
            labels (:class:`~watchtower.versions.Version`); ``None`` when
            unknown (a service).
        new_version: The version of the newest image found, when it differs
            from the one it ran; ``None`` otherwise.
        notes: A link to what changed between the two (release notes or a
            compare page, :func:`~watchtower.release_notes.notes_url`); empty
            when none is known.
        next_due: When it is next due (:mod:`watchtower.timing`): for a
            stale container outside its maintenance windows, when the next
            one opens; for one with its own schedule, that schedule's next
            time; ``None`` otherwise.
        snapshots: The snapshots of its protected volumes taken before its
            replacement (the ``snapshot-volumes`` label); a history lists them.
    """

    id: str
    name: str
    image: str
    old_image_id: str
    new_image_id: str | None = None
    new_image: str | None = None
    outcome: Outcome
    reason: str = ""
    new_id: str | None = None
    rolled_back: bool = False
    warnings: tuple[str, ...] = field(default=(), converter=_strings)
    kind: EntryKind = field(default=EntryKind.CONTAINER, converter=_kind)
    replicas: int | None = None
    host: str = ""
    old_version: Version | None = None
    new_version: Version | None = None
    notes: str = ""
    next_due: datetime | None = None
    snapshots: tuple[VolumeSnapshot, ...] = field(default=(), converter=_snapshots)

    @property
    def versions(self) -> tuple[str, str]:
        """The old and the new version as shown (``("1.25.3", "1.25.4")``); empty when unknown."""
        return shown(self.old_version, self.new_version)

    @property
    def change(self) -> str:
        """``1.25.3 -> 1.25.4``, or empty when there is no new version."""
        return change(self.old_version, self.new_version)

    @property
    def versioned(self) -> bool:
        """True when a version label or a tag names its old or new image, not digests alone.

        The default templates show :attr:`change` only then: otherwise the
        image ids they show say as much.
        """
        return any(v is not None and v.named for v in (self.old_version, self.new_version))

    @property
    def state(self) -> str:
        """The outcome as Watchtower names it (``Updated``, ``Fresh``, ...)."""
        return self.outcome.value.capitalize()

    @property
    def deferred(self) -> bool:
        """True when it was skipped because its registry's quota share was spent.

        A deferral is a skip on purpose (it counts in :attr:`Report.skipped`
        too) whose check waits for the next run; :attr:`reason` says how
        much of the quota was left.
        """
        return is_deferred(self.outcome.value, self.reason)

    @property
    def error(self) -> str:
        """The reason, for a failed or skipped container (Watchtower's ``error``); else empty."""
        return self.reason if self.outcome in (Outcome.FAILED, Outcome.SKIPPED) else ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "id": self.id,
            "name": self.name,
            "image": self.image,
            "old_image_id": self.old_image_id,
            "new_image_id": self.new_image_id,
            "new_image": self.new_image,
            "outcome": self.outcome.value,
            "reason": self.reason,
            "new_id": self.new_id,
            "rolled_back": self.rolled_back,
            "warnings": list(self.warnings),
            "kind": self.kind.value,
            "replicas": self.replicas,
            "host": self.host,
            "old_version": self.old_version.to_dict() if self.old_version else None,
            "new_version": self.new_version.to_dict() if self.new_version else None,
            "notes": self.notes,
            "next_due": self.next_due.isoformat() if self.next_due else None,
            "deferred": self.deferred,
        }


def _reports(value: Iterable[ContainerReport]) -> tuple[ContainerReport, ...]:
    return tuple(value)


@frozen(kw_only=True)
class Quarantine:
    """A digest whose update failed: no run moves another container to it until it is released.

    It ends when a person releases it (:meth:`History.release_digest
    <watchtower.history.History.release_digest>`) or a
    run finds that the registry serves a newer digest for its reference; it
    is kept then, with :attr:`released_at` set. See :doc:`/guides/quarantine`.

    Attributes:
        digest: The digest of the image that failed (``sha256:...``): the
            registry's digest of it, or its image id when it has none.
        image: The reference the update went to (``example.org/web:1``).
        reason: Why its first replacement failed.
        container: The container whose replacement failed first.
        host: The engine that container is on; empty for a run over one engine.
        at: When it was quarantined.
        released_at: When it was released; ``None`` while quarantined.
        released_by: Who or what released it (a person's reason, or the newer digest).
    """

    digest: str
    image: str = ""
    reason: str = ""
    container: str = ""
    host: str = ""
    at: datetime
    released_at: datetime | None = None
    released_by: str = ""

    @property
    def active(self) -> bool:
        """True while it is quarantined, that is until it is released."""
        return self.released_at is None

    @property
    def shown(self) -> str:
        """The digest as a person reads it, ``sha256:`` and its first 12 digits."""
        algorithm, _, digits = self.digest.rpartition(":")
        return f"{algorithm}:{digits[:12]}" if algorithm else digits[:12]

    @property
    def skip_reason(self) -> str:
        """Why a run skips a container whose update would go to this digest, and what to do."""
        where = f" at host {self.host}" if self.host else ""
        on = f" on {self.container}{where}" if self.container else ""
        return (
            f"digest {self.shown}\u2026 is quarantined: it failed{on}: {self.reason}; "
            "release it with watchtower release-digest"
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every field, and :attr:`active`."""
        return {
            "digest": self.digest,
            "image": self.image,
            "reason": self.reason,
            "container": self.container,
            "host": self.host,
            "at": self.at.isoformat(),
            "active": self.active,
            "released_at": self.released_at.isoformat() if self.released_at else None,
            "released_by": self.released_by,
        }


def _quarantines(value: Iterable[Quarantine]) -> tuple[Quarantine, ...]:
    return tuple(value)


@frozen(kw_only=True)
class Report:
    """The outcome of one run.

    Attributes:
        entries: One per container in scope, in dependency order.
        started_at: When the run began.
        finished_at: When it ended.
        removed_images: Ids of the images the cleanup removed.
        cleanup_failures: One sentence for each image the cleanup could not
            remove (``image 0123456789ab was kept: ...``); each is also a
            :class:`~watchtower.events.Failed` event (step ``cleanup``).
        dry_run: True when nothing was changed on purpose.
        failed_notifications: How many notifiers could not deliver it.
        repaired: One line for each replacement that a killed run had left
            half done and this run finished or undone (or could not).
        trigger: What started the run: ``"push"`` for registry push events
            (:mod:`watchtower.push`); on the command line also
            ``"schedule"``, ``"startup"``, ``"api"``, ``"run-once"`` or
            ``"window"`` (containers whose maintenance window opened); empty
            when the caller did not say.
        push_latency: For a push-triggered run, the time from the earliest
            push to the end of the run.
        engine_failure: When the engine stopped answering during the run,
            the one sentence that says so, how many units were not started
            and which containers are left aside until it answers; empty
            otherwise.
        quarantined: The digests this run quarantined, each once, when its
            first replacement failed (see :mod:`watchtower.quarantine`).
    """

    entries: tuple[ContainerReport, ...] = field(converter=_reports)
    started_at: datetime
    finished_at: datetime
    removed_images: tuple[str, ...] = field(default=(), converter=_strings)
    cleanup_failures: tuple[str, ...] = field(default=(), converter=_strings)
    dry_run: bool = False
    failed_notifications: int = 0
    repaired: tuple[str, ...] = field(default=(), converter=_strings)
    trigger: str = ""
    push_latency: timedelta | None = None
    engine_failure: str = ""
    quarantined: tuple[Quarantine, ...] = field(default=(), converter=_quarantines)

    def __iter__(self) -> Iterator[ContainerReport]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def _with(self, outcome: Outcome) -> tuple[ContainerReport, ...]:
        return tuple(e for e in self.entries if e.outcome is outcome)

    @property
    def scanned(self) -> tuple[ContainerReport, ...]:
        """Every container that was checked, that is all but the skipped ones."""
        return tuple(e for e in self.entries if e.outcome is not Outcome.SKIPPED)

    @property
    def fresh(self) -> tuple[ContainerReport, ...]:
        """Containers whose image is current."""
        return self._with(Outcome.FRESH)

    @property
    def stale(self) -> tuple[ContainerReport, ...]:
        """Containers with a newer image that were left alone."""
        return self._with(Outcome.STALE)

    @property
    def updated(self) -> tuple[ContainerReport, ...]:
        """Containers replaced by one on a newer image."""
        return self._with(Outcome.UPDATED)

    @property
    def restarted(self) -> tuple[ContainerReport, ...]:
        """Containers recreated because something they depend on was replaced."""
        return self._with(Outcome.RESTARTED)

    @property
    def failed(self) -> tuple[ContainerReport, ...]:
        """Containers whose update failed, or whose check and pull both failed."""
        return self._with(Outcome.FAILED)

    @property
    def skipped(self) -> tuple[ContainerReport, ...]:
        """Containers that could not be checked or were left out on purpose."""
        return self._with(Outcome.SKIPPED)

    @property
    def deferred(self) -> tuple[ContainerReport, ...]:
        """Skipped containers whose check waits for the next run; nothing failed.

        The run's share of their registry's request quota was spent
        (:mod:`watchtower.quota`).
        """
        return tuple(e for e in self.entries if e.deferred)

    def get(self, name: str) -> ContainerReport | None:
        """The entry of the container named ``name``, if it was in scope."""
        return next((e for e in self.entries if e.name == name), None)

    def summary(self) -> str:
        """One line of counts: ``Scanned 5, updated 1, failed 0, ...``."""
        return (
            f"Scanned {len(self.scanned)}, updated {len(self.updated)}, "
            f"restarted {len(self.restarted)}, failed {len(self.failed)}, "
            f"skipped {len(self.skipped)}, stale {len(self.stale)}, fresh {len(self.fresh)}"
            + (f" (deferred {len(self.deferred)})" if self.deferred else "")
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict with counts and every entry.

        ``counts.deferred`` is how many of the skipped ones the registry
        quota deferred to the next run; each such entry says
        ``"deferred": true``.
        """
        return {
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat(),
            "dry_run": self.dry_run,
            "counts": {
                "scanned": len(self.scanned),
                "updated": len(self.updated),
                "restarted": len(self.restarted),
                "failed": len(self.failed),
                "skipped": len(self.skipped),
                "stale": len(self.stale),
                "fresh": len(self.fresh),
                # Among the skipped: their check waits for the next run (the quota).
                "deferred": len(self.deferred),
            },
            "entries": [e.to_dict() for e in self.entries],
            "removed_images": list(self.removed_images),
            "cleanup_failures": list(self.cleanup_failures),
            "failed_notifications": self.failed_notifications,
            "repaired": list(self.repaired),
            "trigger": self.trigger,
            "push_latency": (
                None if self.push_latency is None else self.push_latency.total_seconds()
            ),
            "engine_failure": self.engine_failure,
            "quarantined": [q.to_dict() for q in self.quarantined],
        }

    def to_json(self, **kwargs: Any) -> str:
        """The report as JSON; keyword arguments go to :func:`json.dumps`."""
        return json.dumps(self.to_dict(), **kwargs)
