"""What is watched and what the registries serve: check, containers, details, images, config."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import attrs
from attrs import frozen
from flask import Response, request
from typing_extensions import NotRequired, TypedDict

from ...errors import RegistryError, WatchtowerError
from ...fleet import Engine
from ...hosts import plan_hosts
from ...model import Container, ImageRef, Service
from ...params import UpdateParams
from ...planner import in_scope
from ...plans import PlanEntry, Status
from ...protocols import Registry, TagLister
from ...release_notes import notes_url
from ...service_plans import ServiceEntry
from ...services import as_container, services_in_scope
from ...settings import ContainerSettings
from ...sorter import dependency_graph
from ...versions import Version, named_pair
from ..openapi import Operation, Param
from ..runner import Runner
from . import _base
from ._base import answer, context, digest_of

__all__ = ["OPERATIONS", "CheckResult", "check", "checks", "configs", "containers", "images"]

_LIST = {"type": "array", "items": {"type": "object"}}
_FILTERS = (
    Param("container", "Container names; narrows the configured selection.", repeated=True),
    Param("image", "Image names; narrows the configured selection.", repeated=True),
)
_BY_NAME_AND_IMAGE = (
    Param("name", "Only the container of this name."),
    Param("image", "Only containers running this image."),
    Param("host", "Only containers of this host of the hosts file."),
)

OPERATIONS = (
    Operation(
        "post",
        "/v1/check",
        "check",
        "Which containers' images changed, pulling nothing",
        params=(*_FILTERS, Param("timeout", "Longest wait, such as 30s; capped by the flag.")),
        responses={400: "A malformed parameter", 500: "The check failed", 504: "Too slow"},
        schema={
            "type": "object",
            "properties": {"containers": _LIST, "count": {"type": "integer"}},
        },
    ),
    Operation(
        "get",
        "/v1/containers",
        "containers",
        "The watched containers",
        params=_BY_NAME_AND_IMAGE,
        responses={500: "The engine could not list them"},
        schema={"type": "object", "properties": {"containers": _LIST}},
    ),
    Operation(
        "get",
        "/v1/containers/details",
        "containers",
        "The watched containers with their state, settings, status and dependencies",
        params=_BY_NAME_AND_IMAGE,
        responses={500: "The engine could not list them"},
        schema={"type": "object", "properties": {"containers": _LIST}},
    ),
    Operation(
        "get",
        "/v1/images",
        "images",
        "The images the watched containers run",
        params=(Param("name", "Only this image."), Param("id", "Only the image of this id.")),
        responses={500: "The engine could not list them"},
        schema={"type": "object", "properties": {"images": _LIST}},
    ),
    Operation(
        "get",
        "/v1/config",
        "config",
        "The effective configuration, secrets redacted",
        schema={"type": "object", "properties": {"config": {"type": "object"}}},
    ),
)


class CheckResult(TypedDict):
    """One container's answer of ``/v1/check``, as the fork writes it."""

    name: str
    image: str
    image_id: str
    digest: str
    update_available: bool
    latest_image_id: str
    latest_digest: str
    timestamp: str
    error: NotRequired[str]
    latest_image: NotRequired[str]
    host: NotRequired[str]
    kind: NotRequired[str]
    version: NotRequired[str]
    latest_version: NotRequired[str]
    notes: NotRequired[str]


class _Recording:
    """A registry that remembers the digest it answered for each reference."""

    def __init__(self, registry: Registry) -> None:
        self._registry = registry
        self._lock = threading.Lock()
        self.digests: dict[ImageRef, str] = {}

    def digest(self, ref: ImageRef) -> str:
        answer = self._registry.digest(ref)
        with self._lock:
            self.digests[ref] = answer
        return answer

    def created(self, ref: ImageRef, digest: str) -> datetime | None:
        return self._registry.created(ref, digest)

    def tags(self, ref: ImageRef) -> Sequence[str]:
        # Tag rules ask through here too; a registry that cannot list tags says so.
        if not isinstance(self._registry, TagLister):
            raise RegistryError("its registry cannot list tags")
        return self._registry.tags(ref)


def check(runner: Runner, params: UpdateParams) -> list[CheckResult]:
    """Whether each selected container's image changed, pulling nothing, on every host.

    This is :func:`watchtower.hosts.plan_hosts` with ``pull=False``: one
    registry digest request per distinct image for the whole fleet, the
    same selection, labels and cooldown as a run. ``latest_digest`` is the
    digest the registry serves. Containers the check skipped carry the
    reason as ``error``; a swarm service's result says ``"kind": "service"``;
    on a fleet of named hosts each result names its ``host``, and a host
    that could not be checked is one result with its name and ``error``.
    """
    registry = _Recording(runner.registry)
    plans, failures = plan_hosts(runner.fleet, registry, params, clock=runner.clock, pull=False)
    now = _base.timestamp(runner.clock())
    results = []
    for host, the_plan in plans.items():
        for entry in the_plan:
            container = entry.container
            result = CheckResult(
                name=container.name,
                image=container.image.familiar,
                image_id=container.image_id,
                digest=digest_of(container),
                update_available=entry.status is Status.STALE,
                latest_image_id=entry.new_image.id if entry.new_image else "",
                latest_digest=registry.digests.get(entry.new_reference or container.image, ""),
                timestamp=now,
            )
            if host:
                result["host"] = host
            if entry.status is Status.SKIPPED:
                result["error"] = entry.reason
            if entry.new_reference is not None:  # a tag rule found a newer tag
                result["latest_image"] = entry.new_reference.familiar
            _add_versions(result, entry)
            results.append(result)
        results.extend(_service_result(host, entry, now) for entry in the_plan.services)
    for host, reason in failures.items():
        results.append(_unchecked(host, reason, now))
    return results


def _add_versions(result: CheckResult, entry: PlanEntry) -> None:
    """``version``, ``latest_version`` and ``notes``; nothing pulled, so the new labels are unknown.

    The versions only when a label or a tag names one (the digests say the
    rest). The latest is the tag a rule moves to, else the digest the
    registry serves; the link comes from the label, or the old image's source.
    """
    old = entry.old_version
    if old is None:
        return
    new = None
    if entry.status is Status.STALE:
        tag = (entry.new_reference.tag or "") if entry.new_reference else ""
        new = entry.new_version or Version(
            source=old.source, tag=tag, digest=result["latest_digest"]
        )
    version, latest_version = named_pair(old, new)
    if version:  # else the digests say as much, and the answer stays the fork's
        result["version"] = version
    if latest_version:
        result["latest_version"] = latest_version
    if new is None:
        return
    notes = entry.notes or notes_url(old, new, entry.settings.release_notes)
    if notes:
        result["notes"] = notes


def _service_result(host: str, entry: ServiceEntry, now: str) -> CheckResult:
    """A swarm service's result: its digest is its spec's, the latest the registry's."""
    service = entry.service
    result = CheckResult(
        name=service.name,
        image=service.followed.familiar,
        image_id=service.image.digest or "",
        digest=service.image.digest or "",
        update_available=entry.status is Status.STALE,
        latest_image_id="",
        latest_digest=entry.new_digest or "",
        timestamp=now,
        kind="service",
    )
    if host:
        result["host"] = host
    if entry.status is Status.SKIPPED:
        result["error"] = entry.reason
    return result


def _unchecked(host: str, reason: str, now: str) -> CheckResult:
    """The result of a host that could not be checked."""
    return CheckResult(
        name="",
        image="",
        image_id="",
        digest="",
        update_available=False,
        latest_image_id="",
        latest_digest="",
        timestamp=now,
        host=host,
        error=reason,
    )


checks = _base.guarded("check")


@checks.post("/v1/check")
def _check_view() -> Response:
    state = context()
    limit = _base.bound(state.settings.check_timeout)
    if isinstance(limit, Response):
        return limit

    try:
        params, _, anything = _base.narrowed(state.runner)
    except WatchtowerError as listing:
        state.runner.logger.error("The check failed: %s", listing)
        return Response("failed to check for updates", status=500)
    done, results, error = _base.within(
        lambda: check(state.runner, params) if anything else [], limit
    )
    if not done:
        return _base.too_slow("check", limit)
    if error is not None or results is None:
        state.runner.logger.error("The check failed: %s", error)
        return Response("failed to check for updates", status=500)
    for result in results:
        status = "stale" if result["update_available"] else "fresh"
        name, host = result["name"], result.get("host", "")
        state.book.note(
            name, "skipped" if "error" in result else status, result.get("error", ""), host=host
        )
        state.book.note_digest(name, result["latest_digest"], host=host)
        state.book.note_image(name, result.get("latest_image", ""), host=host)
        state.book.note_version(
            name, result.get("latest_version", ""), result.get("notes", ""), host=host
        )
    return answer(containers=results, count=len(results), timestamp=state.now())


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
    except WatchtowerError as error:
        state.runner.logger.error("Listing the containers failed: %s", error)
        return Response(f"failed to list {kind}", status=500)
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


def _details(
    watched: _Watched, params: UpdateParams, depends_on: Mapping[str, frozenset[str]]
) -> dict[str, Any]:
    book, container, host = context().book, watched.container, watched.host
    own = ContainerSettings.read(container, params)
    status, reason = book.get(container.name, host=host)
    latest_version, notes = book.version(container.name, host=host)
    version = Version.read(
        container.labels,
        tag=(container.image.tag or "") if own.tag_rule is not None else "",
        digest=digest_of(container) or container.image_id,
    )
    return watched.fields(
        latest_digest=book.digest(container.name, host=host),
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
        stale=status == "stale",
        status=status,
        reason=reason,
        scope=own.scope,
        depends_on=sorted(depends_on.get(container.name, ())),
    )


@containers.get("/v1/containers/details")
def _details_view() -> Response:
    state = context()
    chosen = _listed("containers")
    if isinstance(chosen, Response):
        return chosen
    params = state.runner.params
    details: list[dict[str, Any]] = []
    for host in dict.fromkeys(w.host for w in chosen):
        # Dependencies are by name, within one engine.
        mine = [w for w in chosen if w.host == host]
        graph = dependency_graph(
            [w.container for w in mine], use_compose_depends_on=params.use_compose_depends_on
        )
        details.extend(_details(w, params, graph) for w in mine)
    return answer(containers=details, count=len(details), timestamp=state.now())


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
