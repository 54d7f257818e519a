"""Going back: :func:`rollback` puts a container back on the image it ran before.

What ran before is the history's (:meth:`History.previous
<watchtower.history.History.previous>`, or the change whose version or image
``to`` names). The image must still be on the engine, which is why
``--cleanup`` keeps the previous ones (``UpdateParams.keep_previous``): a
rollback then needs no registry at all. The container is replaced by the
same transaction as an update (:mod:`watchtower.replacement`: renamed aside,
the replacement started and health-gated, the old one removed only then,
undone if anything fails), with the containers that depend on it recreated
after it, as an update recreates them.

Once back, the container is held there (:meth:`History.hold
<watchtower.history.History.hold>`): a run skips it until
:meth:`History.release <watchtower.history.History.release>` lets it
update again (``watchtower release NAME``)::

    from watchtower.rollback import rollback

    report = rollback(client, "web", history)
    print(report.get("web").reason)  # rolled back to 1.25.3
"""

from __future__ import annotations

import re

import attrs
from attrs import frozen

from ._emitter import Emitter, on_host
from .clock import Clock, system_clock
from .errors import ContainerError, RollbackError
from .events import Failed, Observer, Step
from .history import History
from .model import Container, Image, short_id
from .orchestrator import execute, keep
from .params import UpdateParams
from .planner import in_scope, versioned
from .plans import Action, Plan, PlanEntry, Status
from .protocols import ContainerClient
from .repair import read_name
from .report import EntryKind, Outcome, Report
from .services import is_task
from .settings import ContainerSettings
from .sorter import components, dependency_graph, dependents, sort_by_dependencies
from .versions import short_digest

__all__ = ["TRIGGER", "Target", "find_target", "rollback"]

#: The trigger of a rollback's run, in its report and the history.
TRIGGER = "rollback"

_HEX = re.compile(r"(?:sha256:)?([0-9a-f]{12,64})")


@frozen
class Target:
    """The image a rollback goes back to, as the history knows it.

    Attributes:
        image_id: Its image id.
        version: Its version as the history shows it; empty when unknown.
    """

    image_id: str
    version: str = ""

    @property
    def shown(self) -> str:
        """Its version, else its short image id."""
        return self.version or short_id(self.image_id)


def _matches(to: str, image_id: str, version: str) -> bool:
    """``to`` names this image: its version, or a prefix (12 or more) of its id or digest."""
    if to == version:
        return True
    digest = _HEX.fullmatch(to.lower())
    if digest is None:
        return False
    wanted = digest.group(1)
    return image_id.removeprefix("sha256:").startswith(wanted) or (
        version == short_digest(f"sha256:{wanted}")  # a version shown as its short digest
    )


def find_target(history: History, name: str, host: str = "", to: str | None = None) -> Target:
    """What container ``name`` of ``host`` goes back to: what it ran before, or what ``to`` names.

    ``to`` is a version the history shows (``1.25.3``), or an image id or
    digest (at least 12 hex digits): the newest image of the container's
    changes that it names, before or after.

    Raises:
        RollbackError: The history has nothing to go back to, or nothing ``to`` names.
    """
    if to is None:
        change = history.previous(name, host)
        if change is None:
            where = f" on host {host}" if host else ""
            raise RollbackError(
                f"The history has no image that {name}{where} ran before: it was not "
                "updated while the history was kept, so there is nothing to roll back to."
            )
        return Target(change.old_image_id, change.old_version)
    wanted = to.strip()
    for change in history.changes(name=name, host=host, limit=0):
        if change.kind != EntryKind.CONTAINER.value:
            continue
        for image_id, version in (
            (change.new_image_id, change.new_version),
            (change.old_image_id, change.old_version),
        ):
            if image_id and _matches(wanted, image_id, version):
                return Target(image_id, version)
    raise RollbackError(
        f"No image that {name} ran is version or digest {wanted[:80]!r} in the history; "
        f"`watchtower history {name}` lists them."
    )


def _container(listed: list[Container], name: str) -> Container:
    for container in listed:
        if container.name == name and read_name(container) is None and not is_task(container):
            return container
    raise ContainerError(f"There is no container named {name} to roll back.")


def _image(client: ContainerClient, name: str, target: Target) -> Image:
    """The target's image on the engine; a rollback never pulls: an image id cannot be pulled."""
    image = client.inspect_image(target.image_id)
    if image is None or image.id != target.image_id:
        raise RollbackError(
            f"The image {name} ran before ({target.shown}) is no longer on the engine, "
            "so it cannot be rolled back; keep previous images with --keep-previous."
        )
    return image


def rollback(
    client: ContainerClient,
    name: str,
    history: History,
    *,
    to: str | None = None,
    host: str = "",
    params: UpdateParams | None = None,
    observer: Observer | None = None,
    clock: Clock | None = None,
) -> Report:
    """Put container ``name`` back on the image it ran before, and hold it there.

    Finds the image (:func:`find_target`), which must be on the engine: no
    registry is asked. Replaces the container as an update does (see
    :func:`~watchtower.orchestrator.execute`), recreating what depends on
    it; its report entry is ``updated`` with the reason ``rolled back to
    1.25.3``. The run is recorded in ``history`` with the trigger
    ``rollback``, and, once the container is back, it is held on that
    image (:meth:`History.hold <watchtower.history.History.hold>`), which
    runs skip until it is released. A failed replacement is undone, as
    an update's is, and nothing is held.

    Args:
        client: The engine the container is on.
        name: The container's name.
        history: Where what it ran is kept, and where the hold goes.
        to: A version or an image id or digest it ran, instead of the last one before.
        host: The engine's name in the history and the events; empty for a single engine.
        params: Stop and health timeouts, hooks and the like, as for an update.
        observer: Called with each event.
        clock: The current time.

    Raises:
        RollbackError: Nothing to go back to, or its image is gone from the engine.
        ContainerError: There is no such container.
        EngineError: The containers could not be listed.
    """
    params = params or UpdateParams()
    if observer is not None and host:  # its events name the host, as a run's over hosts do
        observer = on_host(observer, host)
    emit = Emitter(observer, clock or system_clock)
    started = emit.now()
    listed = list(client.list_containers(include_stopped=True, include_restarting=True))
    container = _container(listed, name)
    target = find_target(history, name, host, to)
    if container.image_id == target.image_id:
        raise RollbackError(f"{name} already runs {target.shown}: there is nothing to roll back.")
    image = _image(client, name, target)
    # Those a run would touch may be recreated after it; the one named always goes back.
    chosen, settings = in_scope(client, params, listed)
    if name not in settings:
        chosen.append(container)
        settings[name] = ContainerSettings.read(container, params)
    entry = versioned(
        PlanEntry(
            container=container,
            settings=settings[name],
            status=Status.STALE,
            action=Action.UPDATE,
            new_image=image,
        )
    )
    shown = target.version or (entry.new_version.shown if entry.new_version else target.shown)
    # A release-notes link reads forward; going back has none.
    entries = {name: attrs.evolve(entry, reason=f"rolled back to {shown}", notes="")}
    graph = dependency_graph(chosen, use_compose_depends_on=params.use_compose_depends_on)
    movable = {n for n in graph if not settings[n].monitor_only}
    behind = dependents({n: graph[n] & movable for n in movable}, [name]) - {name}
    by_name = {c.name: c for c in chosen}
    for other in sorted(behind):
        entries[other] = versioned(
            PlanEntry(
                container=by_name[other],
                settings=settings[other],
                status=Status.FRESH,
                action=Action.RESTART,
                reason=f"it depends on {name}, which rolls back",
            )
        )
    order = [n for n in sort_by_dependencies(graph).order if n in entries]
    order += [n for n in entries if n not in order]  # a cycle's members go last
    plan = Plan(
        entries=[entries[n] for n in order],
        units=components(graph, set(entries)),
        created_at=started,
    )
    report = execute(plan, client, params, observer=observer, clock=clock)
    report = attrs.evolve(
        report,
        entries=[attrs.evolve(e, host=host) for e in report.entries],
        started_at=started,
        trigger=TRIGGER,
    )
    keep(history, report, emit)
    done = report.get(name)
    if done is None or done.outcome is not Outcome.UPDATED:
        return report
    try:
        history.hold(name, host, image.id, shown)
    except Exception as error:
        reason = f"it is back on {shown} but not held there, so a run may update it: {error}"
        emit(Failed(at=emit.now(), container=name, step=Step.HISTORY, reason=reason))
        held = attrs.evolve(done, reason=f"{done.reason}; {reason}")
        report = attrs.evolve(report, entries=[held if e is done else e for e in report.entries])
    return report
