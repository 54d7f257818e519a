"""What every view of the HTTP API shares: the app's state, the token guard, answers and filters."""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

import attrs
from attrs import frozen
from flask import Blueprint, Response, current_app, jsonify, request

from ..._text import parse_bool, parse_duration, quoted
from ...errors import ConfigurationError
from ...fleet import Engine, each_host
from ...model import Container
from ...params import UpdateParams
from ...planner import waits_for
from ...selection import Selector, select
from ...settings import ContainerSettings
from ..api_settings import ApiSettings
from ..broadcast import Broadcaster
from ..openapi import Operation
from ..runner import Runner
from ..schemas import TIMING
from ._book import StatusBook
from ._plan_store import PlanStore

# The key of the views' state in ``Flask.extensions``.
EXTENSION = "watchtower"

#: The WSGI environment key a view sets when the request carried a wrong token or secret.
AUTH_FAILED = "watchtower.auth_failed"

#: The key of the served operations in the app's config (set by ``create_app``).
OPERATIONS_KEY = "WATCHTOWER_OPERATIONS"

T = TypeVar("T")


def timestamp(moment: datetime) -> str:
    """``moment`` as the API writes times (RFC 3339, UTC, seconds)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


#: The JSON schema of the fields :func:`timing` adds to a container's answer.
TIMING_SCHEMA: dict[str, Any] = dict(TIMING)


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


def error(status: int, sentence: str, **more: object) -> Response:
    """An error answer: JSON ``{"error": sentence}`` and ``more``, as every error of the API."""
    return answer(status, error=sentence, **more)


def text(body: str, status: int = 200) -> Response:
    """A plain-text answer (the health probes'; errors are :func:`error`)."""
    return Response(body, status=status, mimetype="text/plain")


class QueryError(ConfigurationError):
    """A query parameter the endpoint does not take, or whose value it cannot read (``400``)."""


def flag(name: str) -> bool:
    """The boolean query parameter ``name``: absent or empty is false.

    Every boolean parameter of the API is read here, with
    :func:`watchtower._text.parse_bool` (``true``, ``1``, ``yes``, ``on``...).

    Raises:
        QueryError: The value is not a boolean.
    """
    raw = request.args.get(name, "")
    if not raw.strip():
        return False
    try:
        return parse_bool(raw)
    except ValueError:
        raise QueryError(
            f"invalid {name!r} parameter: {quoted(raw, 40)} is not true or false"
        ) from None


# Flask's ``<name>`` (or ``<int:name>``) in a rule, the OpenAPI document's ``{name}``.
_RULE_PARAM = re.compile(r"<(?:\w+:)?(\w+)>")


def operation() -> Operation | None:
    """The declared operation the current request is for; ``None`` for an undeclared route."""
    rule = request.url_rule
    if rule is None:
        return None
    path = _RULE_PARAM.sub(r"{\1}", rule.rule)
    served: tuple[Operation, ...] = current_app.config.get(OPERATIONS_KEY, ())
    method = request.method.lower()
    return next((op for op in served if op.method == method and op.path == path), None)


def check_query() -> None:
    """Read the request's query as its operation declares it, before the view runs.

    Each declared boolean parameter goes through :func:`flag`. A ``POST``
    (every operation that changes something) refuses a parameter it does
    not declare, so a misspelt filter never widens a run to every
    container; a ``GET`` ignores one, as caches and browsers add their own.

    Raises:
        QueryError: An unreadable boolean, or an unknown parameter of a ``POST``.
    """
    op = operation()
    if op is None:
        return
    declared = {param.name: param for param in op.params}
    for param in declared.values():
        if param.type == "boolean":
            flag(param.name)
    if op.method != "post":
        return
    unknown = [key for key in request.args if key not in declared]
    if unknown:
        takes = ", ".join(declared) or "no parameters"
        raise QueryError(
            f"unknown query parameter {quoted(unknown[0], 40)} for"
            f" {op.method.upper()} {op.path} (it takes {takes})"
        )


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
    return error(401, "missing or invalid API token")


def _require_token() -> Response | None:
    return None if context().accepts(given_token()) else refuse()


def per_host(runner: Runner) -> dict[str, object]:
    """``hosts``: each engine's summary of the last run, when it covered several."""
    hosts = runner.metrics.hosts
    return {"hosts": {host: scan.summary() for host, scan in hosts.items()}} if hosts else {}


def guarded(name: str) -> Blueprint:
    """A blueprint whose every view first checks the token, then the query (:func:`check_query`)."""
    blueprint = Blueprint(name, __name__)
    blueprint.before_request(_require_token)
    blueprint.before_request(check_query)
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
    on any host of the fleet. Each name and image asked for must choose a
    watched container, so that a misspelt name is said rather than run as
    an empty update.

    Returns:
        The parameters, whether any query was given, and whether anything is
        left (always, when a query was given: else it raises).

    Raises:
        ConfigurationError: A ``container`` or ``image`` query is no usable
            pattern, or names no watched container on any host.
        WatchtowerError: The engine could not list its containers.
    """
    params = runner.params
    names = [n.lstrip("/") for n in query_list("container")]
    images = query_list("image")
    if not (names or images):
        return params, False, True
    asked = attrs.evolve(
        params,
        names=tuple(names) or params.names,
        monitor_image_names=tuple(images) or params.monitor_image_names,
    )
    # A pattern that cannot be used is the request's fault, said before any engine is asked.
    Selector.from_params(asked)

    def watched_on(engine: Engine) -> list[Container]:
        listed = engine.client.list_containers(
            include_stopped=params.include_stopped,
            include_restarting=params.include_restarting,
        )
        return select(list(listed), params)[0]

    watched = [c for found in on_each_host(runner, watched_on).values() for c in found]
    _each_chooses(watched, params, names, images)
    chosen = sorted({c.name for c in select(watched, asked)[0]})
    if not chosen:
        raise ConfigurationError(
            f"no watched container is named {_either(names)} and runs {_either(images)}"
        )
    return params.only(chosen), True, True


def _either(values: list[str]) -> str:
    return " or ".join(quoted(v, 80) for v in values)


def _each_chooses(
    watched: list[Container], params: UpdateParams, names: list[str], images: list[str]
) -> None:
    """Raise when one of ``names`` or ``images`` chooses none of the ``watched`` containers."""
    for name in names:
        if not select(watched, attrs.evolve(params, names=(name,)))[0]:
            raise ConfigurationError(f"no watched container is named {quoted(name, 80)}")
    for image in images:
        if not select(watched, attrs.evolve(params, monitor_image_names=(image,)))[0]:
            raise ConfigurationError(f"no watched container runs the image {quoted(image, 80)}")


def bound(configured: timedelta) -> timedelta | Response:
    """The request's ``timeout`` query, capped by ``configured``; a 400 answer when unreadable."""
    raw = request.args.get("timeout", "").strip()
    if not raw:
        return configured
    try:
        asked = parse_duration(raw)
    except ValueError:
        return error(
            400, f"invalid 'timeout' parameter: {quoted(raw, 40)} is not a duration such as 30s"
        )
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


def after_run(
    work: Callable[[], T], limit: timedelta, what: str
) -> tuple[bool, T | None, BaseException | None] | Response:
    """``work`` (a plan, a check) with the runs' lock, after a run in progress, within ``limit``.

    As :func:`within`, once :meth:`Runner.between_runs
    <watchtower.cli.runner.Runner.between_runs>` took the lock; the 504 answer
    of :func:`run_going` when a run in progress outlasted ``limit`` (nothing
    was done then, nor will be).
    """
    started = time.monotonic()
    held = context().runner.between_runs(work, timeout=limit)
    if held is None:
        return run_going(what, limit)
    return within(held, limit - timedelta(seconds=time.monotonic() - started))


def run_going(what: str, limit: timedelta) -> Response:
    """The 504 answer of a plan or a check that waited ``limit`` for a run in progress."""
    return error(
        504,
        f"a run was in progress and did not end within {limit.total_seconds():g}s,"
        f" so the {what} was not started: try again once the run ends",
        timestamp=context().now(),
    )


def too_slow(what: str, limit: timedelta) -> Response:
    """The 504 answer of a request that outlasted its bound."""
    return error(
        504,
        f"the {what} did not finish within {limit.total_seconds():g}s; it goes on",
        timestamp=context().now(),
    )
