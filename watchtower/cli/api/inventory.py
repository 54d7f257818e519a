"""What is watched: containers and their details, images, and the effective config."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs
from attrs import frozen
from flask import Response, request

from ...errors import WatchtowerError
from ...fleet import Engine
from ...labels import COMPOSE_PROJECT
from ...model import Container, Service, short_id
from ...params import UpdateParams
from ...planner import in_scope
from ...report import is_deferred
from ...services import as_container, services_in_scope
from ...settings import ContainerSettings
from ...sorter import dependency_graph
from ...versions import Version
from ..openapi import Operation, Param
from ..runner import Runner
from ..schemas import ref
from . import _base
from ._base import answer, context, digest_of, error, timing

__all__ = ["OPERATIONS", "configs", "containers", "images"]

_BY_NAME_AND_IMAGE = (
    Param("name", "Only the container of this name."),
    Param("image", "Only containers running this image."),
    Param("host", "Only containers of this host of the hosts file."),
)


def _listing(key: str, item: str, **more: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "required": [key, "count", "timestamp"],
        "properties": {
            key: {"type": "array", "items": ref(item)},
            "count": {"type": "integer"},
            "timestamp": {"type": "string", "format": "date-time"},
            **more,
        },
    }


OPERATIONS = (
    Operation(
        "get",
        "/v1/containers",
        "containers",
        "The watched containers",
        params=_BY_NAME_AND_IMAGE,
        responses={500: "The engine could not list them"},
        schema=_listing("containers", "Container"),
    ),
    Operation(
        "get",
        "/v1/containers/details",
        "containers",
        "The watched containers with their state, settings, status and dependencies,"
        " what each ran before, what a rollback holds it on and when it may be replaced",
        params=_BY_NAME_AND_IMAGE,
        responses={500: "The engine could not list them"},
        schema=_listing(
            "containers",
            "Container",
            next_run={
                "type": "string",
                "format": "date-time",
                "nullable": True,
                "description": "When the schedule runs next; null without one.",
            },
            running={"type": "boolean", "description": "A run is going on now."},
        ),
    ),
    Operation(
        "get",
        "/v1/images",
        "images",
        "The images the watched containers run",
        params=(Param("name", "Only this image."), Param("id", "Only the image of this id.")),
        responses={500: "The engine could not list them"},
        schema=_listing("images", "Image"),
    ),
    Operation(
        "get",
        "/v1/config",
        "config",
        "The effective configuration, secrets redacted",
        schema={
            "type": "object",
            "required": ["config", "timestamp"],
            "properties": {
                "config": {"type": "object"},
                "timestamp": {"type": "string", "format": "date-time"},
            },
        },
    ),
)


# Containers and images ---------------------------------------------------------

containers = _base.guarded("containers")


@frozen
class _Watched:
    """A watched container, or swarm service, and the host it runs on.

    ``host`` is empty on a fleet of one engine. A service is read as the
    container rules read it (:func:`watchtower.services.as_container`).
    """

    host: str
    container: Container
    service: Service | None = None

    def fields(self, **more: object) -> dict[str, Any]:
        """The JSON fields, with ``host`` first when it has one, and a service's ``kind``."""
        host = {"host": self.host} if self.host else {}
        container = self.container
        if self.service is not None:
            kind = {"kind": "service", "replicas": self.service.replicas}
            digest = self.service.image.digest or ""
        else:
            kind, digest = {}, digest_of(container)
        return {
            **host,
            "name": container.name,
            "image": container.image.familiar,
            "image_id": container.image_id,
            "digest": digest,
            **kind,
            **more,
        }


def _watched(runner: Runner) -> list[_Watched]:
    def on(engine: Engine) -> list[_Watched]:
        # As a run selects them: no container renamed aside, no swarm task.
        found = [_Watched("", c) for c in in_scope(engine.client, runner.params)[0]]
        if engine.services is not None:
            found.extend(
                _Watched("", as_container(s), s)
                for s in services_in_scope(engine.services, runner.params)
            )
        return found

    return [
        attrs.evolve(w, host=host)
        for host, found in _base.on_each_host(runner, on).items()
        for w in found
    ]


def _listed(kind: str) -> list[_Watched] | Response:
    state = context()
    try:
        chosen = _watched(state.runner)
    except WatchtowerError as failed:
        state.runner.logger.error("Listing the containers failed: %s", failed)
        return error(500, f"failed to list {kind}")
    name, image = request.args.get("name", ""), request.args.get("image", "")
    host = request.args.get("host", "")
    return [
        w
        for w in chosen
        if (not name or w.container.name == name)
        and (not image or w.container.image.familiar == image)
        and (not host or w.host == host)
    ]


@containers.get("/v1/containers")
def _containers_view() -> Response:
    chosen = _listed("containers")
    if isinstance(chosen, Response):
        return chosen
    statuses = [w.fields() for w in chosen]
    return answer(containers=statuses, count=len(statuses), timestamp=context().now())


def _going_back(chosen: Sequence[_Watched]) -> dict[tuple[str, str], tuple[str, str]]:
    """Each container's ``previous`` and ``held``, by ``(host, name)``, from the runner's history.

    ``previous`` is what a rollback without ``to`` goes back to; ``held``
    what a rollback holds it on. Both are left empty without a history, or
    when it cannot be read: the rest of the details still answer.
    """
    state = context()
    history = state.runner.history
    found: dict[tuple[str, str], tuple[str, str]] = {}
    if history is None:
        return found
    try:
        holds = history.holds()
        for watched in chosen:
            if watched.service is not None:  # a rollback replaces containers only
                continue
            key = (watched.host, watched.container.name)
            change = history.previous(key[1], key[0])
            hold = holds.get(key)
            found[key] = (
                (change.old_version or short_id(change.old_image_id)) if change else "",
                hold.shown if hold else "",
            )
    except WatchtowerError as failed:
        state.runner.logger.error("The history could not be read: %s", failed)
    return found


def _details(
    watched: _Watched,
    params: UpdateParams,
    depends_on: Mapping[str, frozenset[str]],
    past: Mapping[tuple[str, str], tuple[str, str]],
) -> dict[str, Any]:
    book, container, host = context().book, watched.container, watched.host
    previous, held = past.get((host, container.name), ("", ""))
    own = ContainerSettings.read(container, params)
    status, reason = book.get(container.name, host=host)
    latest_version, notes = book.version(container.name, host=host)
    latest_digest = book.digest(container.name, host=host)
    running = digest_of(container) if watched.service is None else watched.fields()["digest"]
    checked = book.checked(container.name, host=host)
    last_check = (
        {"checked_at": _base.timestamp(checked[1]), "check_status": checked[0]} if checked else {}
    )
    version = Version.read(
        container.labels,
        tag=(container.image.tag or "") if own.tag_rule is not None else "",
        digest=digest_of(container) or container.image_id,
    )
    stage = book.stage(container.name, host=host)
    return watched.fields(
        latest_digest=latest_digest,
        latest_image=book.image(container.name, host=host),
        version=version.shown if version.named and watched.service is None else "",
        latest_version=latest_version,
        notes=notes,
        running=container.state.value == "running",
        state=container.state.value,
        watchtower=own.is_watchtower,
        monitor_only=own.monitor_only,
        no_pull=own.no_pull,
        enabled=own.enabled is not False,
        # The book's status says what was done last (a stale container a run
        # skipped, or failed to replace, reads skipped or failed): the digests
        # say whether it is still stale.
        stale=status == "stale" or _differs(latest_digest, running, container),
        status=status,
        reason=reason,
        **({"stage": stage} if stage else {}),
        deferred=is_deferred(status, reason),
        scope=own.scope,
        project=container.labels.get(COMPOSE_PROJECT, ""),
        depends_on=sorted(depends_on.get(container.name, ())),
        previous=previous,
        held=held,
        windows=[window.text for window in own.windows],
        schedule=own.schedule.expression if own.schedule is not None else "",
        **timing(own, context().runner.clock()),
        **last_check,
    )


def _differs(latest: str, running: str, container: Container) -> bool:
    """True when a latest digest is known and the container does not run it."""
    if not latest:
        return False
    if container.repo_digests:
        return not container.current_image.has_digest(latest)
    return latest.removeprefix("sha256:") != running.removeprefix("sha256:")


@containers.get("/v1/containers/details")
def _details_view() -> Response:
    state = context()
    chosen = _listed("containers")
    if isinstance(chosen, Response):
        return chosen
    params, past = state.runner.params, _going_back(chosen)
    details: list[dict[str, Any]] = []
    for host in dict.fromkeys(w.host for w in chosen):
        # Dependencies are by name, within one engine.
        mine = [w for w in chosen if w.host == host]
        graph = dependency_graph(
            [w.container for w in mine], use_compose_depends_on=params.use_compose_depends_on
        )
        details.extend(_details(w, params, graph, past) for w in mine)
    upcoming = state.next_run()
    return answer(
        containers=details,
        count=len(details),
        next_run=_base.timestamp(upcoming) if upcoming else None,
        running=state.runner.busy,
        timestamp=state.now(),
    )


images = _base.guarded("images")


@images.get("/v1/images")
def _images_view() -> Response:
    state = context()
    chosen = _listed("images")
    if isinstance(chosen, Response):
        return chosen
    by_image: dict[tuple[str, str, str], dict[str, Any]] = {}
    for watched in chosen:
        container = watched.container
        key = (watched.host, container.image.familiar, container.image_id)
        host = {"host": watched.host} if watched.host else {}
        entry = by_image.setdefault(
            key,
            {
                **host,
                "name": key[1],
                "image_id": key[2],
                "digest": digest_of(container),
                "containers": 0,
            },
        )
        entry["containers"] += 1
    name, image_id = request.args.get("name", ""), request.args.get("id", "")
    listed = [
        entry
        for entry in by_image.values()
        if (not name or entry["name"] == name) and (not image_id or entry["image_id"] == image_id)
    ]
    return answer(images=listed, count=len(listed), timestamp=state.now())


# Config ---------------------------------------------------------------------

configs = _base.guarded("config")

_REDACTED = "[REDACTED]"


def _filter_desc(params: UpdateParams) -> str:
    parts = []
    if params.names:
        parts.append("only " + ", ".join(params.names))
    if params.disable_names:
        parts.append("not " + ", ".join(params.disable_names))
    if params.label_enable:
        parts.append("only those enabled by label")
    if params.scope:
        parts.append(f"in scope {params.scope}")
    return "Checking " + ("containers: " + "; ".join(parts) if parts else "all containers")


@configs.get("/v1/config")
def _config_view() -> Response:
    state = context()
    params, settings = state.runner.params, state.settings
    config = {
        "monitor_only": params.monitor_only,
        "cleanup": params.cleanup,
        "no_pull": params.no_pull,
        "no_restart": params.no_restart,
        "rolling_restart": params.rolling_restart,
        "include_stopped": params.include_stopped,
        "include_restarting": params.include_restarting,
        "lifecycle_hooks": params.lifecycle_hooks,
        "label_enable": params.label_enable,
        "filter_desc": _filter_desc(params),
        "scope": params.scope,
        "dry_run": state.runner.dry_run,
        "http_api": {
            "endpoints": sorted(settings.endpoints),
            "token": _REDACTED if settings.token else "",
            "events_token": _REDACTED if settings.events_token else "",
            "rate_limit": settings.rate_limit,
            "cors_origins": list(settings.cors_origins),
            "trusted_proxies": [str(n) for n in settings.trusted_proxies],
            "check_timeout": settings.check_timeout.total_seconds(),
            "update_timeout": settings.update_timeout.total_seconds(),
        },
    }
    return answer(config=config, timestamp=state.now())
