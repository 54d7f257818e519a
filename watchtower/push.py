"""Registry push events: read from the senders' payloads, coalesced, and run as an update.

A registry can say that it serves a new image as soon as it does, instead of
waiting to be asked on the next scan. This module is the library's side of
that, with no HTTP server in it:

* :class:`PushEvent` is one push (repository, tag, digest, source, when);
  :func:`parse_registry`, :func:`parse_dockerhub` and :func:`parse_generic`
  read the CNCF distribution registry's notification envelope, Docker Hub's
  webhook and a plain ``{"repository", "tag", "digest"}`` form, each raising
  :class:`~watchtower.errors.PushEventError` with one sentence on bad input;
* :func:`update_pushed` runs :func:`watchtower.update` for the containers in
  scope whose image the events name, and only those: the same plan,
  transaction, hooks, notifications and report as a scheduled run;
* :class:`Coalescer` holds the queue's rules (what is a duplicate, what runs
  next) and :class:`PushQueue` runs them on a thread of its own: a burst
  becomes one run, one run at a time, and events that arrive meanwhile wait
  for the next.

An event whose digest is the one last taken for its repository and tag
(running or run) changes nothing: a registry sends several events for one
push, and retries a notification it thinks was lost.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

import attrs
from attrs import frozen

from ._emitter import Emitter
from ._push_queue import Coalescer, PushQueue
from ._text import load_json, quoted
from .clock import Clock, system_clock
from .errors import InvalidReferenceError, PushEventError
from .events import Observer
from .fleet import Engine, Fleet
from .history import History
from .hosts import run_hosts
from .memo import DigestMemo, close_quota, with_quota
from .model import Container, ImageRef
from .orchestrator import deliver, keep, update
from .params import UpdateParams
from .planner import in_scope
from .protocols import ContainerClient, Notifier, Registry
from .quarantine import Breaker
from .quota import QuotaBook
from .reference import parse_reference
from .report import Report
from .sorter import dependency_graph, dependents

__all__ = [
    "MANIFEST_TYPES",
    "PARSERS",
    "TRIGGER",
    "Coalescer",
    "PushEvent",
    "PushQueue",
    "parse_dockerhub",
    "parse_generic",
    "parse_registry",
    "pushed_containers",
    "update_pushed",
    "with_push",
]

#: The :attr:`Report.trigger <watchtower.report.Report.trigger>` of a run that push events started.
TRIGGER = "push"

#: The media types of a manifest push; any other target (a layer, a config blob) is ignored.
MANIFEST_TYPES = frozenset(
    {
        "application/vnd.docker.distribution.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v1+prettyjws",
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
    }
)

_DIGEST = re.compile(r"[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}", re.ASCII)
# Go writes nanoseconds; Python reads up to microseconds.
_FRACTION = re.compile(r"(\.\d{6})\d+")


@frozen
class PushEvent:
    """One push of an image to a registry.

    Attributes:
        repository: The repository with its registry, as
            :attr:`ImageRef.name <watchtower.model.ImageRef.name>` writes it
            (``docker.io/library/nginx``, ``127.0.0.1:5000/app``).
        tag: The tag pushed.
        digest: The manifest's digest, when the sender says it.
        source: Who sent it: ``registry``, ``dockerhub`` or ``generic``.
        received: When it was received.
        pushed: When the sender says the push happened, if it does.
    """

    repository: str
    tag: str
    digest: str | None
    source: str
    received: datetime
    pushed: datetime | None = None

    @property
    def key(self) -> tuple[str, str, str | None]:
        """What makes two events the same push (repository, tag and digest)."""
        return (self.repository, self.tag, self.digest)

    @property
    def since(self) -> datetime:
        """When the push happened, by the sender's clock or else the receipt's."""
        return self.pushed or self.received

    def names(self, image: ImageRef) -> bool:
        """True when ``image`` is this repository at this tag."""
        return image.name == self.repository and image.tag == self.tag


def _event(
    source: str,
    index: str,
    repository: object,
    tag: object,
    digest: object,
    received: datetime,
    pushed: datetime | None,
) -> PushEvent:
    """One checked event; ``index`` names it in messages."""
    if not isinstance(repository, str) or not repository:
        raise PushEventError(f"The {source} push event{index} has no repository.")
    if not isinstance(tag, str) or not tag:
        raise PushEventError(f"The {source} push event{index} has no tag.")
    if digest is not None and not (isinstance(digest, str) and _DIGEST.fullmatch(digest)):
        raise PushEventError(
            f"The {source} push event{index} has a digest that is not one: "
            f"{quoted(str(digest), 80)}."
        )
    try:
        ref = parse_reference(f"{repository}:{tag}")
    except InvalidReferenceError as error:
        raise PushEventError(f"The {source} push event{index} names no image: {error}") from error
    if ref.digest is not None or ref.tag != tag:
        raise PushEventError(
            f"The {source} push event{index} names no image: "
            f"{quoted(repository, 80)} at {quoted(tag, 80)}."
        )
    return PushEvent(ref.name, tag, digest, source, received, pushed)


def _json_object(body: str | bytes | Mapping[str, Any], source: str) -> Mapping[str, Any]:
    if isinstance(body, Mapping):
        return body
    try:
        data = load_json(body)
    except ValueError as error:
        raise PushEventError(f"The {source} push payload is not JSON: {error}.") from error
    if not isinstance(data, dict):
        raise PushEventError(f"The {source} push payload is not a JSON object.")
    return data


def _time(value: object) -> datetime | None:
    """An RFC 3339 time or Unix seconds; ``None`` when absent or unreadable (it is a hint)."""
    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, timezone.utc)
        if isinstance(value, str):
            moment = datetime.fromisoformat(_FRACTION.sub(r"\1", value).replace("Z", "+00:00"))
            return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    except (ValueError, OverflowError, OSError):
        return None
    return None


def parse_registry(body: str | bytes | Mapping[str, Any], *, received: datetime) -> list[PushEvent]:
    """The manifest pushes of a distribution registry's notification envelope.

    The envelope is ``{"events": [...]}``; an event counts when its
    ``action`` is ``push``, its ``target.mediaType`` is a manifest's
    (:data:`MANIFEST_TYPES`) and it has a ``target.tag``. Pulls, blob
    pushes and pushes by digest alone are left out. The registry's host is
    the ``request.host`` the pusher used, else the host of ``target.url``.

    Raises:
        PushEventError: The body is not such an envelope, or an event that
            counts lacks its repository or names no valid image.
    """
    data = _json_object(body, "registry")
    events = data.get("events")
    if not isinstance(events, list):
        raise PushEventError("The registry push payload has no 'events' list.")
    found = []
    for number, event in enumerate(events, 1):
        if not isinstance(event, dict):
            raise PushEventError(f"The registry push event #{number} is not a JSON object.")
        target = event.get("target")
        if event.get("action") != "push" or not isinstance(target, dict):
            continue
        if target.get("mediaType") not in MANIFEST_TYPES or not target.get("tag"):
            continue
        request = event.get("request")
        host = request.get("host") if isinstance(request, dict) else None
        if not isinstance(host, str) or not host:
            url = target.get("url")
            host = urlsplit(url).netloc if isinstance(url, str) else ""
        if not host:
            raise PushEventError(f"The registry push event #{number} does not name its registry.")
        repository = target.get("repository")
        full = f"{host.lower()}/{repository}" if isinstance(repository, str) and repository else ""
        found.append(
            _event(
                "registry",
                f" #{number}",
                full,
                target.get("tag"),
                target.get("digest"),
                received,
                _time(event.get("timestamp")),
            )
        )
    return found


def parse_dockerhub(
    body: str | bytes | Mapping[str, Any], *, received: datetime
) -> list[PushEvent]:
    """The push of a Docker Hub webhook: ``repository.repo_name`` and ``push_data.tag``.

    Docker Hub says no digest, so such an event is never taken for a
    duplicate of one that ran.

    Raises:
        PushEventError: The body is not such a payload.
    """
    data = _json_object(body, "dockerhub")
    repository, push_data = data.get("repository"), data.get("push_data")
    if not isinstance(repository, dict) or not isinstance(push_data, dict):
        raise PushEventError(
            "The dockerhub push payload has no 'repository' and 'push_data' objects."
        )
    name = repository.get("repo_name")
    full = f"docker.io/{name}" if isinstance(name, str) and name else ""
    pushed = _time(push_data.get("pushed_at"))
    return [_event("dockerhub", "", full, push_data.get("tag"), None, received, pushed)]


def parse_generic(
    body: str | bytes | Mapping[str, Any] | Sequence[Any], *, received: datetime
) -> list[PushEvent]:
    """Pushes in the plain form: ``{"repository", "tag", "digest"}``, or a list of them.

    ``repository`` is a reference's name as Docker reads it (``nginx``,
    ``ghcr.io/owner/app``, ``127.0.0.1:5000/app``); ``digest`` may be left
    out; ``pushed_at`` (RFC 3339 or Unix seconds) may say when.

    Raises:
        PushEventError: The body is not such an object or list.
    """
    data: Any = body
    if isinstance(body, (str, bytes)):
        try:
            data = load_json(body)
        except ValueError as error:
            raise PushEventError(f"The generic push payload is not JSON: {error}.") from error
    items = data if isinstance(data, list) else [data]
    found = []
    for number, item in enumerate(items, 1):
        index = f" #{number}" if isinstance(data, list) else ""
        if not isinstance(item, dict):
            raise PushEventError(f"The generic push event{index} is not a JSON object.")
        found.append(
            _event(
                "generic",
                index,
                item.get("repository"),
                item.get("tag"),
                item.get("digest"),
                received,
                _time(item.get("pushed_at")),
            )
        )
    return found


#: The parser of each source, by the name :attr:`PushEvent.source` gives it.
PARSERS: Mapping[str, Callable[..., list[PushEvent]]] = {
    "registry": parse_registry,
    "dockerhub": parse_dockerhub,
    "generic": parse_generic,
}


# The run ---------------------------------------------------------------------


def pushed_containers(
    events: Iterable[PushEvent], containers: Iterable[Container]
) -> list[Container]:
    """The containers, in their order, whose image an event names."""
    wanted = {(e.repository, e.tag) for e in events}
    return [c for c in containers if (c.image.name, c.image.tag) in wanted]


def with_push(report: Report, events: Iterable[PushEvent]) -> Report:
    """``report`` marked as started by ``events``, with the latency from the earliest push."""
    earliest = min((e.since for e in events), default=report.finished_at)
    latency = max(report.finished_at - earliest, timedelta(0))
    return attrs.evolve(report, trigger=TRIGGER, push_latency=latency)


def update_pushed(
    events: Sequence[PushEvent],
    engines: ContainerClient | Fleet,
    registry: Registry,
    params: UpdateParams | None = None,
    *,
    observer: Observer | None = None,
    clock: Clock | None = None,
    dry_run: bool = False,
    notifiers: Sequence[Notifier] = (),
    history: History | None = None,
    quota: QuotaBook | None = None,
) -> Report | None:
    """Update the containers in scope whose image the push ``events`` name.

    On each engine (one, or every host of a :class:`~watchtower.fleet.Fleet`,
    with one registry answer per image), the containers ``params`` selects
    are listed; those running a pushed repository at a pushed tag, and those
    that depend on them (which restart with them), are updated by
    :func:`watchtower.update`, with the selection narrowed to them: no other
    image is asked for. A host's swarm services that follow a pushed tag
    roll out in the same run.
    The report's :attr:`~watchtower.report.Report.trigger` is
    :data:`TRIGGER` and its :attr:`~watchtower.report.Report.push_latency`
    runs from the earliest push to the end of the run.

    Args:
        events: The pushes (see :func:`parse_registry` and the others).
        engines: The container engine, or a fleet of them.
        registry: The registry client.
        params: The parameters of a full run; only the selection narrows.
        observer: Called with each :mod:`~watchtower.events` event.
        clock: The current time; defaults to the system clock.
        dry_run: Plan only.
        notifiers: Where the report goes, as for :func:`watchtower.update`.
        history: Where the run is kept, as for :func:`watchtower.update`.
        quota: The registry quota book, as for :func:`watchtower.update`.

    Returns:
        The report (of every host, each entry naming its host, for a fleet
        of named hosts), or ``None`` when no container or service in scope
        runs a pushed image on any host (nothing ran).

    Raises:
        ConfigurationError: A parameter is malformed; nothing was changed.
        EngineError: The containers of the one engine could not be listed;
            nothing was changed. A named host that fails is reported instead.
    """
    params = params or UpdateParams()
    clock = clock or system_clock
    fleet = engines if isinstance(engines, Fleet) else Fleet.of(engines)
    # A push run spends from the same quota as the scheduled ones (``params.registry_quota_share``).
    memo = with_quota(DigestMemo(registry), params.registry_quota_share, quota)
    # Shared by the hosts, as update_hosts does.
    breaker = Breaker(params.max_failures, learns=history is not None)

    def work(engine: Engine, observe: Observer | None, host: str) -> Report | None:
        narrowed = _narrowed(events, engine, engine.applied(params))
        if narrowed is None:
            return None
        return update(
            engine.client,
            memo,
            narrowed,
            observer=observe,
            clock=clock,
            dry_run=dry_run,
            services=engine.services,
            past=history,
            host=host,
            breaker=breaker,
        )

    try:
        result = run_hosts(fleet, work, observer=observer, clock=clock)
    finally:
        close_quota(memo)
    if result is None:
        return None
    # Kept and delivered once marked, so that both see the push as the trigger.
    report = with_push(result.total, events)
    emit = Emitter(observer, clock)
    keep(history, report, emit)
    return deliver(notifiers, report, emit)


def _narrowed(
    events: Sequence[PushEvent], engine: Engine, params: UpdateParams
) -> UpdateParams | None:
    """``params`` narrowed to what runs a pushed image on ``engine``, and its dependents.

    ``None`` when no container and no service of ``engine`` in scope runs one.
    """
    chosen, _ = in_scope(engine.client, params)
    named = {c.name for c in pushed_containers(events, chosen)}
    if named:
        # Those that depend on a pushed one restart with it, as in a scheduled run.
        graph = dependency_graph(chosen, use_compose_depends_on=params.use_compose_depends_on)
        named |= dependents(graph, named)
    if engine.services is not None:
        # Services are selected by the same names as containers.
        named |= {
            s.name
            for s in engine.services.list_services()
            if any(e.names(s.followed) for e in events)
        }
    if not named:
        return None
    return params.only(sorted(named))
