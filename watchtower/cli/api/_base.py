"""What every view of the HTTP API shares: the app's state, the token guard, answers and filters."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

import attrs
from attrs import frozen
from flask import Blueprint, Response, current_app, jsonify, request

from ..._text import parse_duration
from ...events import Checked, Event, Failed, RolledBack, Skipped, UpdateAvailable, Updated
from ...fleet import Engine, each_host
from ...model import Container
from ...params import UpdateParams
from ...planner import waits_for
from ...plans import Plan, Status
from ...selection import Selector, select
from ...settings import ContainerSettings
from ..api_settings import ApiSettings
from ..broadcast import Broadcaster
from ..runner import Runner

# The key of the views' state in ``Flask.extensions``.
EXTENSION = "watchtower"

#: The WSGI environment key a view sets when the request carried a wrong token or secret.
AUTH_FAILED = "watchtower.auth_failed"

T = TypeVar("T")


def timestamp(moment: datetime) -> str:
    """``moment`` as the API writes times (RFC 3339, UTC, seconds)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


#: The JSON schema of the fields :func:`timing` adds to a container's answer.
TIMING_SCHEMA: dict[str, Any] = {
    "next_due": {
        "type": "string",
        "format": "date-time",
        "nullable": True,
        "description": "When it is next due: its maintenance window's opening, or its own"
        " schedule's next time; null when any time will do.",
    },
    "waits": {
        "type": "string",
        "description": "Why it may not be replaced now (waits for the window that opens"
        " Sat 2026-01-03 02:00 UTC); empty when it may.",
    },
}


def timing(settings: ContainerSettings, now: datetime) -> dict[str, Any]:
    """A container's ``next_due`` and ``waits`` at ``now``, as the API writes them.

    ``next_due`` is when it is next due (its window's opening, or its own
    schedule's next time; ``None`` when any time will do), ``waits`` why it
    may not be replaced now (``waits for the window that opens Sat 2026-01-03 02:00 UTC``;
    empty when it may). See :func:`watchtower.planner.waits_for`.
    """
    when = waits_for(settings, now)
    return {"next_due": timestamp(when.next) if when.next else None, "waits": when.reason}


def digest_of(container: Container) -> str:
    """The repo digest of the image ``container`` runs, for its own repository where listed."""
    for entry in container.repo_digests:
        name, _, digest = entry.rpartition("@")
        if name in (container.image.name, container.image.familiar_name):
            return digest
    return container.repo_digests[0].rpartition("@")[2] if container.repo_digests else ""


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

    def __call__(self, event: Event, /) -> None:
        """Note what ``event`` says of its container."""
        name, host = event.container, event.host
        if isinstance(event, Checked):
            # A container updated in this run is checked again by the next one only.
            self.note(name, event.status, event.reason, host=host)
            self.note_version(name, "", "", host=host)
            self.note_check(name, check_status(event.status, False), event.at, host=host)
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

    def note_check(self, name: str, status: str, at: datetime, *, host: str = "") -> None:
        """Remember what the last check, plan or run that covered ``name`` found, and when.

        ``status`` is one of :data:`CHECK_STATUSES`.
        """
        if name:
            with self._lock:
                self._checks[host, name] = (status, at)

    def checked(self, name: str, *, host: str = "") -> tuple[str, datetime] | None:
        """What the last check of ``name`` found and when; ``None`` if none covered it."""
        with self._lock:
            return self._checks.get((host, name))


CHECK_STATUSES = ("stale", "fresh", "skipped", "failed")
"""What a check found: ``failed`` could not be checked (its registry did not
answer, its pull failed), ``skipped`` was left out on purpose."""


def check_status(status: Status, error: bool) -> str:
    """The word of :data:`CHECK_STATUSES` for a check that found ``status``, by ``error``."""
    return "failed" if error or status is Status.FAILED else status.value


@frozen
class StoredPlan:
    """A plan of the whole fleet, kept for a person to act on (``POST /v1/plan``).

    Attributes:
        id: Its opaque name.
        plans: Each host's plan, by host name (empty: the one engine).
        failures: Why each host that could not be planned was skipped.
        keys: The host and name of each entry, by its key.
        created_at: When it was made.
        expires_at: When it is forgotten.
    """

    id: str
    plans: Mapping[str, Plan]
    failures: Mapping[str, str]
    keys: Mapping[str, tuple[str, str]]
    created_at: datetime
    expires_at: datetime


class PlanStore:
    """The plans made by ``POST /v1/plan``, each acted on at most once, in memory.

    A plan is kept for ``lifetime``, and at most ``room`` of them: the
    oldest is dropped for a new one. One taken to act on is known as used
    until it expires, so a second use is told apart from an unknown plan.
    """

    def __init__(self, lifetime: timedelta = timedelta(minutes=15), room: int = 8) -> None:
        self.lifetime = lifetime
        self.room = room
        self._lock = threading.Lock()
        self._kept: dict[str, StoredPlan] = {}
        self._used: dict[str, datetime] = {}

    def keep(
        self,
        plans: Mapping[str, Plan],
        failures: Mapping[str, str],
        keys: Mapping[str, tuple[str, str]],
        now: datetime,
    ) -> StoredPlan:
        """Keep a new plan made at ``now`` under a fresh random id, and return it."""
        stored = StoredPlan(
            id=secrets.token_urlsafe(16),
            plans=dict(plans),
            failures=dict(failures),
            keys=dict(keys),
            created_at=now,
            expires_at=now + self.lifetime,
        )
        with self._lock:
            self._forget(now)
            self._kept[stored.id] = stored
            while len(self._kept) > self.room:
                del self._kept[next(iter(self._kept))]  # the oldest, by insertion
        return stored

    def get(self, plan_id: str, now: datetime) -> StoredPlan | None:
        """The plan ``plan_id``, unless it is unknown, expired or used."""
        with self._lock:
            self._forget(now)
            return self._kept.get(plan_id)

    def used(self, plan_id: str, now: datetime) -> bool:
        """True when ``plan_id`` was taken to act on and has not expired yet."""
        with self._lock:
            self._forget(now)
            return plan_id in self._used

    def take(self, plan_id: str, now: datetime) -> StoredPlan | None:
        """The plan ``plan_id``, now used: ``None`` when another took it first or it is gone."""
        with self._lock:
            self._forget(now)
            stored = self._kept.pop(plan_id, None)
            if stored is not None:
                self._used[plan_id] = stored.expires_at
            return stored

    def _forget(self, now: datetime) -> None:
        self._kept = {k: v for k, v in self._kept.items() if v.expires_at > now}
        self._used = {k: until for k, until in self._used.items() if until > now}


@frozen
class Context:
    """What the views of one app read: its runner, settings, probes and event sources.

    Attributes:
        runner: Runs updates one at a time; holds the engine, registry and parameters.
        settings: The API's settings.
        ready: The readiness probe.
        broadcaster: The run events, for ``/v1/events``.
        book: Each container's last status.
        next_run: When the schedule runs next (``None`` without a schedule).
        plans: The plans kept to be acted on (``POST /v1/plan``).
    """

    runner: Runner
    settings: ApiSettings
    ready: Callable[[], bool]
    broadcaster: Broadcaster
    book: StatusBook
    next_run: Callable[[], datetime | None]
    plans: PlanStore = attrs.field(factory=PlanStore)

    def accepts(self, given: str | None, *, events: bool = False) -> bool:
        """True when ``given`` is the API token (or, with ``events``, the events token)."""
        tokens = [self.settings.token]
        if events:
            tokens.append(self.settings.events_token)
        return any(same_secret(token, given) for token in tokens)

    def now(self) -> str:
        """The runner's clock, as the API writes times."""
        return timestamp(self.runner.clock())


def same_secret(secret: str, given: str | None) -> bool:
    """True when ``given`` is ``secret``, compared in constant time; nothing matches no secret."""
    if not secret or given is None:
        return False
    # Hashing both first makes the comparison constant-time whatever the lengths.
    return hmac.compare_digest(
        hashlib.sha256(secret.encode()).digest(), hashlib.sha256(given.encode()).digest()
    )


def context() -> Context:
    """The current app's :class:`Context`."""
    state: Context = current_app.extensions[EXTENSION]
    return state


def answer(status: int = 200, **body: object) -> Response:
    """A JSON answer with the API version, as the fork writes them."""
    response = jsonify(api_version="v1", **body)
    response.status_code = status
    return response


def text(body: str, status: int = 200) -> Response:
    """A plain-text answer."""
    return Response(body, status=status, mimetype="text/plain")


def query_list(key: str) -> list[str]:
    """The values of a repeatable, comma-separated query parameter."""
    return [
        part.strip()
        for value in request.args.getlist(key)
        for part in value.split(",")
        if part.strip()
    ]


def given_token() -> str | None:
    """The token a request carries: ``Authorization`` (Bearer or bare), else the cookie."""
    raw = request.headers.get("Authorization", "").strip()
    if raw[:7].lower() == "bearer ":
        raw = raw[7:].strip()
    return raw or request.cookies.get("access_token") or None


def note_failed_auth() -> None:
    """Count this request as a failed authentication, though it is not answered ``401``."""
    request.environ[AUTH_FAILED] = True


def refuse() -> Response:
    """Log a refused request (with its client address) and answer 401."""
    context().runner.logger.warning(
        "Refused an HTTP API request with a missing or invalid token",
        extra={"ip": request.remote_addr},
    )
    return answer(401, error="missing or invalid API token")


def _require_token() -> Response | None:
    return None if context().accepts(given_token()) else refuse()


def per_host(runner: Runner) -> dict[str, object]:
    """``hosts``: each engine's summary of the last run, when it covered several."""
    hosts = runner.metrics.hosts
    return {"hosts": {host: scan.summary() for host, scan in hosts.items()}} if hosts else {}


def guarded(name: str) -> Blueprint:
    """A blueprint whose every view first checks the API token."""
    blueprint = Blueprint(name, __name__)
    blueprint.before_request(_require_token)
    return blueprint


def on_each_host(runner: Runner, work: Callable[[Engine], T]) -> dict[str, T]:
    """``work`` on each host of the runner's fleet, by host name.

    A named host that fails is logged and left out; the one engine of a
    fleet of one raises.
    """
    answers, failures = each_host(runner.fleet, lambda host, engine: work(engine))
    for reason in failures.values():
        runner.logger.warning("%s", reason)
    return answers


def narrowed(runner: Runner) -> tuple[UpdateParams, bool, bool]:
    """The run's parameters narrowed by the ``container`` and ``image`` queries.

    The queries narrow the configured selection, never widen it: the result
    names the containers that both the configuration and the queries choose,
    on any host of the fleet.

    Returns:
        The parameters, whether any query was given, and whether anything is left.

    Raises:
        ConfigurationError: A ``container`` or ``image`` query is no usable pattern.
        WatchtowerError: The engine could not list its containers.
    """
    params = runner.params
    names, images = query_list("container"), query_list("image")
    if not (names or images):
        return params, False, True
    asked = attrs.evolve(
        params,
        names=tuple(n.lstrip("/") for n in names) or params.names,
        monitor_image_names=tuple(images) or params.monitor_image_names,
    )
    # A pattern that cannot be used is the request's fault, said before any engine is asked.
    Selector.from_params(asked)

    def chosen_on(engine: Engine) -> set[str]:
        listed = list(
            engine.client.list_containers(
                include_stopped=params.include_stopped,
                include_restarting=params.include_restarting,
            )
        )
        configured = {c.name for c in select(listed, params)[0]}
        return {c.name for c in select(listed, asked)[0] if c.name in configured}

    chosen = sorted(set().union(*on_each_host(runner, chosen_on).values()))
    return params.only(chosen), True, bool(chosen)


def bound(configured: timedelta) -> timedelta | Response:
    """The request's ``timeout`` query, capped by ``configured``; a 400 answer when unreadable."""
    raw = request.args.get("timeout", "").strip()
    if not raw:
        return configured
    try:
        asked = parse_duration(raw)
    except ValueError:
        return text(f"invalid 'timeout' parameter: {raw[:40]!r} is not a duration such as 30s", 400)
    return min(asked, configured) if asked > timedelta(0) else configured


def within(work: Callable[[], T], limit: timedelta) -> tuple[bool, T | None, BaseException | None]:
    """Run ``work`` on a thread and wait for it at most ``limit``.

    A run is never cut short (that could leave a container half replaced):
    past the limit the request stops waiting and the work goes on.

    Returns:
        Whether it finished in time, its result, and what it raised.
    """
    box: dict[str, object] = {}

    def body() -> None:
        try:
            box["result"] = work()
        except BaseException as error:  # handed to the caller
            box["error"] = error

    thread = threading.Thread(target=body, name="watchtower-api-work", daemon=True)
    thread.start()
    thread.join(limit.total_seconds())
    if thread.is_alive():
        return False, None, None
    error = box.get("error")
    result: T | None = box.get("result")  # type: ignore[assignment]
    return True, result, error if isinstance(error, BaseException) else None


def too_slow(what: str, limit: timedelta) -> Response:
    """The 504 answer of a request that outlasted its bound."""
    return answer(
        504,
        error=f"the {what} did not finish within {limit.total_seconds():g}s; it goes on",
        timestamp=context().now(),
    )
