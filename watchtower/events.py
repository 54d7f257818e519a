"""What happens during a run, as typed events.

:func:`watchtower.update` tells an optional observer (any callable taking an
:class:`Event`) about each step, so logs, metrics, notifications, progress
output and an HTTP event stream all read one source. Every event carries the
time from the clock given to ``update()``.

How an observer is called (the delivery contract): a run hands its events to
one delivery thread of its own, through a queue, and that thread calls the
observer, one event at a time, in the order the run emitted them. No thread
that pulls, stops or starts a container ever waits for an observer, so a slow
observer adds no downtime; and every event has reached the observer before
``update()`` or ``plan()`` returns (:class:`RunFinished` last). An observer
that must act before the run goes on (a log line that precedes the stop it
announces) is the ``prompt`` lane of :class:`Observers`: called on the
thread that emits, before that thread goes on, so it must be quick.

The fields that take one of a few words (:class:`Status`, :class:`Hook`,
:class:`Step`) hold ``str`` enums, whose members read as the plain word in
``str()``, f-strings, logs, templates and JSON; a plain string is accepted
and converted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

import attrs
from attrs import field, frozen
from typing_extensions import Protocol

from ._words import Word, word

__all__ = [
    "Checked",
    "Checking",
    "Event",
    "Failed",
    "Hook",
    "HookRan",
    "LabelIgnored",
    "Observer",
    "Observers",
    "Planned",
    "Pulled",
    "Pulling",
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
    STACK = "stack"
    """Rolling a replacement back because another member of its stack failed
    (:mod:`watchtower.stacks`)."""
    SNAPSHOT = "snapshot"
    """Snapshotting a volume its ``snapshot-volumes`` label protects, once
    the old container stopped."""


def _status(value: str) -> Status:
    return word(Status, value, "Checked.status")


def _hook(value: str) -> Hook:
    return word(Hook, value, "HookRan.hook")


def _step(value: str) -> Step:
    return word(Step, value, "Failed.step")


def _names(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


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
            f"{key}={_shown(value)}"
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


def _shown(value: Any) -> str:
    """A value as a log line shows it: names one after the other, not a tuple's repr."""
    if isinstance(value, (list, tuple)):
        return " ".join(map(str, value))
    return str(value)


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
class Checking(Event):
    """A container's image is about to be asked of its registry (or, for an
    image that is never pulled, of the engine); :class:`Checked` follows.

    One per container checked, even when several run the same image: the
    registry is still asked once per distinct image. Containers a rollback
    holds and those whose image is pinned to a digest are not checked.

    Attributes:
        image: The reference it is checked at (a tag rule's newer tag, if one moves it).
    """

    image: str


@frozen(kw_only=True)
class Pulling(Event):
    """A pull of an image begins; :class:`Pulled` follows once it is done,
    or a ``Failed``/``Skipped`` event for each container waiting on it.

    One per distinct image pulled, however many containers run it; the event
    names none of them (``container`` is empty).

    Attributes:
        image: The reference pulled.
        containers: The containers waiting for it, by name.
    """

    image: str
    containers: tuple[str, ...] = field(default=(), converter=_names)

    @property
    def subject(self) -> str:
        """Nothing, as ``image`` names what is pulled and no container is its subject."""
        return ""


@frozen(kw_only=True)
class Pulled(Event):
    """A pull finished: the image is on the engine.

    Attributes:
        image: The reference pulled.
        image_id: The id of the image it got.
        size: Its size in bytes, as the engine tells it; ``None`` when the
            engine does not say (a client whose images carry no size).
        duration: How long the pull took.
        containers: The containers waiting for it, by name.
    """

    image: str
    image_id: str
    size: int | None
    duration: timedelta
    containers: tuple[str, ...] = field(default=(), converter=_names)

    @property
    def subject(self) -> str:
        """Nothing, as ``image`` names what is pulled and no container is its subject."""
        return ""


@frozen(kw_only=True)
class Planned(Event):
    """The plan is made; nothing has been stopped yet.

    Told once by :func:`~watchtower.plan`, and by :func:`~watchtower.update`
    before its first replacement (after a dry run or monitor-only dropped the
    actions, so ``to_update`` and ``to_restart`` say what the run will do).
    The counts are of containers and services together.

    Attributes:
        containers: How many are in the plan.
        to_update: How many will be replaced on a newer image.
        to_restart: How many will be recreated on their own image, because
            something they depend on is replaced.
        fresh: How many run what their registry serves.
        stale: How many have a newer image, whether or not they will be
            replaced (monitor-only, a window, a policy may keep them).
        skipped: How many could not be checked or are left out on purpose.
        failed: How many failed their check (their check and their pull).
        deferred: How many of the skipped the registry quota deferred to the
            next run (``--registry-quota-share``).
    """

    containers: int
    to_update: int
    to_restart: int
    fresh: int
    stale: int
    skipped: int
    failed: int
    deferred: int = 0


@frozen(kw_only=True)
class Checked(Event):
    """A container's image was checked.

    Attributes:
        image: The reference it runs.
        status: What the check found; a plain string (``stale``) is
            converted, and one that is no :class:`Status` raises
            :class:`~watchtower.errors.ConfigurationError`.
        reason: Why, in words.
        stage: Where its new image is in a canary rollout (``canary``: it
            waits for the canary hosts; ``promoted``), as
            :attr:`PlanEntry.stage <watchtower.plans.PlanEntry.stage>`;
            empty when no canary gate applies.
    """

    image: str
    status: Status = field(converter=_status)
    reason: str = ""
    stage: str = ""


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
    """What ``update()`` calls with each event: any callable taking an :class:`Event`.

    It is called from the run's delivery thread, one event at a time, in the
    order they were emitted, and never from a thread that acts on a
    container; every event has reached it before the run returns. See the
    module's delivery contract, and :class:`Observers` for a prompt lane.
    """

    def __call__(self, event: Event, /) -> None:
        """Receive one event."""


@frozen
class Observers:
    """An observer in two lanes: one told before the run goes on, one told after.

    ``update(..., observer=Observers(prompt=log_line, queued=stream))``.

    Attributes:
        prompt: Called on the thread that emits each event, before that
            thread goes on: a ``Stopping`` reaches it before the stop
            begins. For what must precede the action it announces (a log
            line) or act before the next step (a test's fault). It runs
            inside a replacement's stop-to-start window too, so it must be
            quick: its time is downtime. Calls from several threads are
            made one at a time, in the order the events are emitted.
        queued: Called from the run's delivery thread, as a plain observer
            is: in order, never holding up a container, all before the run
            returns. A stream, a page, a broker.
    """

    prompt: Observer | None = None
    queued: Observer | None = None

    def __call__(self, event: Event, /) -> None:
        """Tell both lanes at once (for a caller that does not know the lanes)."""
        if self.prompt is not None:
            self.prompt(event)
        if self.queued is not None:
            self.queued(event)

    def each(self, wrap: Callable[[Observer], Observer]) -> Observers:
        """The same lanes, each one wrapped by ``wrap`` (each wrapped on its own)."""
        return Observers(
            prompt=wrap(self.prompt) if self.prompt is not None else None,
            queued=wrap(self.queued) if self.queued is not None else None,
        )
