"""What the last check, plan or run found of each container, for the API's answers."""

from __future__ import annotations

import threading
from datetime import datetime

from ...events import Checked, Event, Failed, RolledBack, Skipped, UpdateAvailable, Updated
from ...plans import Status

__all__ = ["StatusBook", "check_status"]


class StatusBook:
    """The last word of the runs and checks on each container, by host and name (an event observer).

    Statuses: ``fresh``, ``stale``, ``skipped``, ``updated``, ``failed``.
    A container is named by its host and name: ``host`` is empty on a
    fleet of one engine.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_name: dict[tuple[str, str], tuple[str, str]] = {}
        self._digests: dict[tuple[str, str], str] = {}
        self._images: dict[tuple[str, str], str] = {}
        self._versions: dict[tuple[str, str], tuple[str, str]] = {}
        self._checks: dict[tuple[str, str], tuple[str, datetime]] = {}
        self._stages: dict[tuple[str, str], str] = {}

    def __call__(self, event: Event, /) -> None:
        """Note what ``event`` says of its container."""
        name, host = event.container, event.host
        if isinstance(event, Checked):
            # A container updated in this run is checked again by the next one only.
            self.note(name, event.status, event.reason, host=host)
            self.note_version(name, "", "", host=host)
            self.note_check(name, check_status(event.status, False), event.at, host=host)
            self.note_stage(name, event.stage, host=host)
            if event.status is Status.FRESH:
                # It runs what its registry serves: a digest noted before is out of date.
                self.note_digest(name, "", host=host)
        elif isinstance(event, UpdateAvailable):
            self.note(name, "stale", host=host)
            self.note_image(name, event.new_image or "", host=host)
            self.note_version(name, event.new_version, event.notes, host=host)
        elif isinstance(event, Updated):
            self.note(name, "updated", "restarted" if event.restart_only else "", host=host)
            if not event.restart_only:
                self.note_digest(name, "", host=host)  # it runs the newest the run found
        elif isinstance(event, (Failed, RolledBack)):
            self.note(name, "failed", event.reason, host=host)
        elif isinstance(event, Skipped):
            self.note(name, "skipped", event.reason, host=host)

    def note(self, name: str, status: str, reason: str = "", *, host: str = "") -> None:
        """Remember ``status`` (and why) for the container ``name`` of ``host``."""
        if name:
            with self._lock:
                self._by_name[host, name] = (status, reason)

    def note_digest(self, name: str, digest: str, *, host: str = "") -> None:
        """Remember the digest the registry served for ``name``'s image at the last check."""
        with self._lock:
            self._digests[host, name] = digest

    def digest(self, name: str, *, host: str = "") -> str:
        """The registry digest noted for ``name``; empty before any check."""
        with self._lock:
            return self._digests.get((host, name), "")

    def note_image(self, name: str, image: str, *, host: str = "") -> None:
        """Remember the newer tag a tag rule found for ``name`` (empty: none)."""
        with self._lock:
            self._images[host, name] = image

    def image(self, name: str, *, host: str = "") -> str:
        """The newer tag noted for ``name`` (``nginx:1.25.4``); empty when none."""
        with self._lock:
            return self._images.get((host, name), "")

    def note_version(self, name: str, version: str, notes: str, *, host: str = "") -> None:
        """Remember the newer version found for ``name`` and its release notes' link."""
        with self._lock:
            self._versions[host, name] = (version, notes)

    def version(self, name: str, *, host: str = "") -> tuple[str, str]:
        """The newer version noted for ``name`` (``1.25.4``) and its link; empty when none."""
        with self._lock:
            return self._versions.get((host, name), ("", ""))

    def get(self, name: str, *, host: str = "") -> tuple[str, str]:
        """The status and reason last noted for ``name``; ``("unknown", "")`` before any."""
        with self._lock:
            return self._by_name.get((host, name), ("unknown", ""))

    def note_stage(self, name: str, stage: str, *, host: str = "") -> None:
        """Remember the canary stage the last check found for ``name`` (empty: no gate)."""
        with self._lock:
            self._stages[host, name] = stage

    def stage(self, name: str, *, host: str = "") -> str:
        """The canary stage noted for ``name`` (``canary``, ``promoted``); empty when none."""
        with self._lock:
            return self._stages.get((host, name), "")

    def note_check(self, name: str, status: str, at: datetime, *, host: str = "") -> None:
        """Remember what the last check, plan or run that covered ``name`` found, and when.

        ``status`` is one of :data:`~watchtower.cli.schemas.CHECK_STATUSES`.
        """
        if name:
            with self._lock:
                self._checks[host, name] = (status, at)

    def checked(self, name: str, *, host: str = "") -> tuple[str, datetime] | None:
        """What the last check of ``name`` found and when; ``None`` if none covered it."""
        with self._lock:
            return self._checks.get((host, name))


def check_status(status: Status, error: bool) -> str:
    """The word for a check that found ``status`` (``error``: it could not be made).

    One of :data:`~watchtower.cli.schemas.CHECK_STATUSES`.
    """
    return "failed" if error or status is Status.FAILED else status.value
