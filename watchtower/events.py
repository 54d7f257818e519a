"""What happens during a run, as typed events.

:func:`watchtower.update` tells an optional observer (any callable taking an
:class:`Event`) about each step, so logs, metrics, notifications, progress
output and an HTTP event stream all read one source. Every event carries the
time from the clock given to ``update()``. The orchestrator calls the
observer from one thread at a time.

The fields that take one of a few words (:class:`Status`, :class:`Hook`,
:class:`Step`) hold ``str`` enums, whose members read as the plain word in
``str()``, f-strings, logs, templates and JSON; a plain string is accepted
and converted.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import attrs
from attrs import field, frozen
from typing_extensions import Protocol

from ._words import Word, word

__all__ = [
    "Checked",
    "Event",
    "Failed",
    "Hook",
    "HookRan",
    "LabelIgnored",
    "Observer",
    "Repaired",
    "RolledBack",
    "RunFinished",
    "RunStarted",
    "Skipped",
    "Started",
    "Status",
    "Step",
    "Stopped",
    "Stopping",
    "UpdateAvailable",
    "Updated",
]


class Status(Word):
    """What the check of a container found.

    It is :attr:`~watchtower.events.Checked.status` and
    :attr:`~watchtower.plans.PlanEntry.status`.
    """

    FRESH = "fresh"
    """Its image is what the registry serves."""
    STALE = "stale"
    """A newer image exists."""
    SKIPPED = "skipped"
    """It could not be checked, or is left out on purpose; the reason says why."""
    FAILED = "failed"
    """Its registry's digest check failed and so did the pull that stood in for
    it; the reason says both. A failed check alone, or a failed pull alone, is
    :attr:`SKIPPED`."""


class Hook(Word):
    """The four lifecycle hooks, named as in their labels (``...lifecycle.pre-check``)."""

    PRE_CHECK = "pre-check"
    """Runs in the container before its image is checked."""
    PRE_UPDATE = "pre-update"
    """Runs in the container before it is stopped for an update; exit code 75 skips the update."""
    POST_UPDATE = "post-update"
    """Runs in the replacement once it has started."""
    POST_CHECK = "post-check"
    """Runs in the container (or its replacement) after its check and any update."""


class Step(Word):
    """The step that failed (:attr:`~watchtower.events.Failed.step`)."""

    CHECK = "check"
    """Checking the image. ``update()`` reports a failed check as skipped instead."""
    PULL = "pull"
    """Pulling the new image. ``update()`` reports a failed pull as skipped
    instead, unless the pull stood in for a digest check that failed too: that
    container's check has failed (:attr:`Status.FAILED`), told with this step."""
    RENAME = "rename"
    """Renaming the old container aside before its replacement is created."""
    STOP = "stop"
    """Stopping the old container."""
    CREATE = "create"
    """Creating the replacement."""
    START = "start"
    """Starting the replacement."""
    HEALTH = "health"
    """Waiting for the replacement to be healthy."""
    VERIFY = "verify"
    """Checking the started replacement with its probes, soak and fail pattern
    (:mod:`watchtower.probes`)."""
    REMOVE = "remove"
    """Removing the old container once its replacement runs."""
    HOOK = "hook"
    """A pre-update hook that failed the update."""
    UPDATE = "update"
    """A service's update, which the engine rolls out."""
    CLEANUP = "cleanup"
    """Removing an image that the run left unused."""
    NOTIFY = "notify"
    """Delivering the report to a notifier."""
    REPAIR = "repair"
    """Finishing or undoing a replacement that a killed run left half done."""
    ENGINE = "engine"
    """The engine stopped answering during the run."""
    HISTORY = "history"
    """Writing the run to the history (:mod:`watchtower.history`)."""


def _status(value: str) -> Status:
    return word(Status, value, "Checked.status")


def _hook(value: str) -> Hook:
    return word(Hook, value, "HookRan.hook")


def _step(value: str) -> Step:
    return word(Step, value, "Failed.step")


@frozen(kw_only=True)
class Event:
    """The base of all events.

    Attributes:
        at: When it happened, by the run's clock.
        container: The name of the container it concerns (empty for the run).
        host: The engine it happened on, in a run over several
            (:func:`watchtower.update_hosts`); empty otherwise.
    """

    at: datetime
    container: str = ""
    host: str = ""

    @property
    def kind(self) -> str:
        """The event's name in snake case (``update_available``), for logs and streams."""
        name = type(self).__name__
        return "".join("_" + ch.lower() if ch.isupper() else ch for ch in name).lstrip("_")

    @property
    def subject(self) -> str:
        """The container's name, or ``run`` for an event of the whole run, as a person reads it.

        Empty for the events whose kind already names the run (``run_started``).
        """
        if self.container:
            return self.container
        return "" if self.kind.startswith("run_") else "run"

    def describe(self) -> str:
        """One line for a person: ``12:00:01 web stopped (container_id=...)``.

        The run's own events read ``12:00:01 run started``, with no empty name.
        """
        details = ", ".join(
            f"{key}={value}"
            for key, value in self.to_dict().items()
            if key not in ("at", "container", "kind") and value not in ("", None)
        )
        words = " ".join(filter(None, [self.subject, self.kind.replace("_", " ")]))
        text = f"{self.at:%H:%M:%S} {words}"
        return f"{text} ({details})" if details else text

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the event, with its ``kind``."""
        data = attrs.asdict(self, value_serializer=_serialize)
        data["kind"] = self.kind
        return data


def _serialize(_inst: object, _field: object, value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Word):
        return value.value  # a plain str, as before these fields were enums
    return value


@frozen(kw_only=True)
class RunStarted(Event):
    """A run began."""


@frozen(kw_only=True)
class Checked(Event):
    """A container's image was checked.

    Attributes:
        image: The reference it runs.
        status: What the check found; a plain string (``stale``) is
            converted, and one that is no :class:`Status` raises
            :class:`~watchtower.errors.ConfigurationError`.
        reason: Why, in words.
    """

    image: str
    status: Status = field(converter=_status)
    reason: str = ""


@frozen(kw_only=True)
class UpdateAvailable(Event):
    """A newer image exists for a container.

    Attributes:
        image: The reference.
        old_image_id: The image it runs.
        new_image_id: The image it would run after an update.
        new_image: The newer tag a tag rule found (``nginx:1.25.4``), or
            ``None`` when the image's own tag serves the new image.
        old_version: The version it runs, as shown (``1.25.3``; see
            :func:`watchtower.versions.named_pair`); empty when no version
            label or tag names either image (the ids say as much).
        new_version: The version it would run, as shown (``1.25.4``).
        notes: A link to what changed, or empty.
    """

    image: str
    old_image_id: str
    new_image_id: str
    new_image: str | None = None
    old_version: str = ""
    new_version: str = ""
    notes: str = ""


@frozen(kw_only=True)
class Skipped(Event):
    """A container is left as it is, with the reason."""

    reason: str


@frozen(kw_only=True)
class LabelIgnored(Event):
    """A label's value could not be read; the flag's value or the default is used.

    Attributes:
        reason: One sentence naming the container, the label and the value.
    """

    reason: str


@frozen(kw_only=True)
class HookRan(Event):
    """A lifecycle hook ran.

    Attributes:
        hook: Which hook; a plain string (``pre-update``) is converted, and
            one that is no :class:`Hook` raises
            :class:`~watchtower.errors.ConfigurationError`.
        command: The command.
        exit_code: Its exit code, ``None`` when it timed out or could not run.
        output: What it printed.
    """

    hook: Hook = field(converter=_hook)
    command: str
    exit_code: int | None
    output: str = ""


@frozen(kw_only=True)
class Stopping(Event):
    """A container is about to be stopped; :class:`Stopped` follows once it is.

    Told before the stop, which may take up to ``timeout``: a log says what
    is happening while it waits.

    Attributes:
        container_id: Its id.
        signal: The signal that stops it (``SIGTERM``).
        timeout: The grace time between the signal and a kill.
    """

    container_id: str
    signal: str
    timeout: timedelta


@frozen(kw_only=True)
class Stopped(Event):
    """A container was stopped (after its :class:`Stopping`).

    Attributes:
        container_id: Its id.
    """

    container_id: str


@frozen(kw_only=True)
class Started(Event):
    """A container (usually a replacement) was started.

    Attributes:
        container_id: Its id.
    """

    container_id: str


@frozen(kw_only=True)
class Updated(Event):
    """A container was replaced and its replacement runs.

    Attributes:
        old_id: The id of the container that was replaced.
        new_id: The id of its replacement.
        old_image_id: The image the old one ran.
        new_image_id: The image the new one runs.
        restart_only: True when it was recreated on the same image because
            something it depends on was replaced.
        old_version: The version the old one ran, as shown (``1.25.3``);
            empty when no version label or tag names either image.
        new_version: The version the new one runs, as shown (``1.25.4``);
            empty for a restart.
        notes: A link to what changed, or empty.
    """

    old_id: str
    new_id: str
    old_image_id: str
    new_image_id: str
    restart_only: bool = False
    old_version: str = ""
    new_version: str = ""
    notes: str = ""


@frozen(kw_only=True)
class RolledBack(Event):
    """A replacement failed and the old container was restored.

    Attributes:
        reason: What failed.
        restored: True when the old container is back under its name (and
            running, if it ran before).
    """

    reason: str
    restored: bool


@frozen(kw_only=True)
class Repaired(Event):
    """A replacement that a killed run left half done was finished or undone.

    Attributes:
        action: ``finished`` (the replacement kept, the old container
            removed), ``undone`` (the old container back under its name) or
            ``removed`` (a failed replacement removed).
        reason: What was done, in words.
    """

    action: str
    reason: str


@frozen(kw_only=True)
class Failed(Event):
    """A step failed for a container.

    Attributes:
        step: Which step; a plain string (``notify``) is converted, and one
            that is no :class:`Step` raises
            :class:`~watchtower.errors.ConfigurationError`.
        reason: What went wrong.
    """

    step: Step = field(converter=_step)
    reason: str


@frozen(kw_only=True)
class RunFinished(Event):
    """A run ended.

    Attributes:
        duration: How long it took.
        scanned: How many containers were checked.
        updated: How many were updated.
        failed: How many failed.
    """

    duration: timedelta
    scanned: int
    updated: int
    failed: int


class Observer(Protocol):
    """What ``update()`` calls with each event: any callable taking an :class:`Event`."""

    def __call__(self, event: Event, /) -> None:
        """Receive one event."""
