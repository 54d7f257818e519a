"""The HTTP API: Watchtower's endpoints as Flask blueprints, served by cheroot.

Each endpoint group is a blueprint of module-level views; :func:`create_app`
registers the groups the settings enable and puts what the views read (the
:class:`~watchtower.cli.runner.Runner` with its engine, registry, parameters,
metrics and clock, the settings and the readiness probe) in the app's
``extensions``, so two apps share nothing. :class:`ApiServer` serves an app
(with TLS when given a certificate and key) on a thread of its own until
stopped.

Endpoints (each only when enabled): ``GET /livez``, ``/readyz``,
``/startupz`` (health, no token); ``POST /v1/update``; ``POST /v1/check``;
``GET /v1/containers``; ``GET /v1/metrics`` and ``/v1/status`` (metrics);
``GET /v1/history``. All but health need ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING

import attrs
from attrs import frozen
from flask import Blueprint, Flask, Response, current_app, jsonify, request
from typing_extensions import NotRequired, TypedDict

from ..errors import WatchtowerError
from ..model import Container
from ..params import UpdateParams
from ..planner import plan
from ..plans import Status
from ..selection import select
from .api_settings import ApiSettings, Endpoint
from .metrics import Scan
from .runner import Runner

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

__all__ = ["RETRY_AFTER", "ApiServer", "CheckResult", "check", "create_app"]

#: Seconds a client is asked to wait when a full run is in progress, as the fork.
RETRY_AFTER = "30"

# The key of the views' state in ``Flask.extensions``.
_EXTENSION = "watchtower"


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


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _digest_of(container: Container) -> str:
    for entry in container.repo_digests:
        name, _, digest = entry.rpartition("@")
        if name in (container.image.name, container.image.familiar_name):
            return digest
    return container.repo_digests[0].rpartition("@")[2] if container.repo_digests else ""


def check(runner: Runner, params: UpdateParams) -> list[CheckResult]:
    """Whether each selected container's image changed, pulling nothing.

    This is :func:`watchtower.plan` with ``pull=False``: one registry digest
    request per distinct image, the same selection, labels and cooldown as a
    run. Containers the check skipped carry the reason as ``error``.
    """
    the_plan = plan(runner.client, runner.registry, params, clock=runner.clock, pull=False)
    now = _timestamp(runner.clock())
    results = []
    for entry in the_plan:
        container = entry.container
        result = CheckResult(
            name=container.name,
            image=container.image.familiar,
            image_id=container.image_id,
            digest=_digest_of(container),
            update_available=entry.status is Status.STALE,
            latest_image_id=entry.new_image.id if entry.new_image else "",
            latest_digest="",
            timestamp=now,
        )
        if entry.status is Status.SKIPPED:
            result["error"] = entry.reason
        results.append(result)
    return results


@frozen
class _Context:
    """What the views of one app read: its runner, settings and readiness probe."""

    runner: Runner
    settings: ApiSettings
    ready: Callable[[], bool]

    def accepts(self, given: str | None) -> bool:
        """True when ``given`` is the API token; without a configured token, nothing is."""
        if not self.settings.token or given is None:
            return False
        # Hashing both first makes the comparison constant-time whatever the lengths.
        return hmac.compare_digest(
            hashlib.sha256(self.settings.token.encode()).digest(),
            hashlib.sha256(given.encode()).digest(),
        )

    def now(self) -> str:
        """The runner's clock, as the API writes times."""
        return _timestamp(self.runner.clock())


def _context() -> _Context:
    context: _Context = current_app.extensions[_EXTENSION]
    return context


def _answer(status: int = 200, **body: object) -> Response:
    response = jsonify(api_version="v1", **body)
    response.status_code = status
    return response


def _text(body: str, status: int = 200) -> Response:
    return Response(body, status=status, mimetype="text/plain")


def _query_list(key: str) -> list[str]:
    return [
        part.strip()
        for value in request.args.getlist(key)
        for part in value.split(",")
        if part.strip()
    ]


def _token_of(header: str, cookie: str | None) -> str | None:
    raw = header.strip()
    if raw[:7].lower() == "bearer ":
        raw = raw[7:].strip()
    if raw:
        return raw
    return cookie or None


def _require_token() -> Response | None:
    context = _context()
    given = _token_of(request.headers.get("Authorization", ""), request.cookies.get("access_token"))
    if context.accepts(given):
        return None
    context.runner.logger.warning(
        "Refused an HTTP API request with a missing or invalid token",
        extra={"ip": request.remote_addr},
    )
    return _answer(401, error="missing or invalid API token")


def _guarded(name: str) -> Blueprint:
    """A blueprint whose every view first checks the token."""
    blueprint = Blueprint(name, __name__)
    blueprint.before_request(_require_token)
    return blueprint


def _filtered(params: UpdateParams) -> tuple[UpdateParams, bool]:
    """The parameters narrowed by the ``image`` and ``container`` queries; narrowed or not."""
    images, containers = _query_list("image"), _query_list("container")
    if containers:
        params = attrs.evolve(params, names=tuple(c.lstrip("/") for c in containers))
    if images:
        params = attrs.evolve(params, monitor_image_names=tuple(images))
    return params, bool(images or containers)


# Health ---------------------------------------------------------------------

_health = Blueprint("health", __name__)


@_health.get("/livez")
def _livez() -> Response:
    return _text("OK")


@_health.get("/startupz")
def _startupz() -> Response:
    return _text("OK")


@_health.get("/readyz")
def _readyz() -> Response:
    if _context().ready():
        return _text("OK")
    return _text("Service Unavailable", 503)


def _engine_answers(runner: Runner) -> bool:
    try:
        runner.client.list_containers()
    except Exception:
        return False
    return True


# Update ---------------------------------------------------------------------

_update = _guarded("update")


def _busy(context: _Context) -> Response:
    response = _answer(429, error="another update is already running", timestamp=context.now())
    response.headers["Retry-After"] = RETRY_AFTER
    return response


@_update.post("/v1/update")
def _update_view() -> Response:
    context = _context()
    runner = context.runner
    params, targeted = _filtered(runner.params)
    started = time.monotonic()
    if request.args.get("async", "").lower() == "true":
        # A targeted run waits for one in progress, a full one is skipped.
        if not runner.start(params, wait=targeted):
            return _busy(context)
        return Response(status=202)
    if not targeted and runner.busy:
        runner.skip()
        return _busy(context)
    report = runner.run(params, wait=True)
    if report is None:
        return _answer(500, error="the update failed; see the log")
    elapsed = time.monotonic() - started
    now = runner.clock()
    return _answer(
        summary=Scan.of(report, now).summary(),
        timing={"duration_ms": int(elapsed * 1000), "duration": f"{elapsed:.3f}s"},
        timestamp=_timestamp(now),
    )


# Check ----------------------------------------------------------------------

_check = _guarded("check")


@_check.post("/v1/check")
def _check_view() -> Response:
    context = _context()
    params, _ = _filtered(context.runner.params)
    try:
        results = check(context.runner, params)
    except WatchtowerError as error:
        context.runner.logger.error("The check failed: %s", error)
        return Response("failed to check for updates", status=500)
    return _answer(containers=results, count=len(results), timestamp=context.now())


# Containers -----------------------------------------------------------------

_containers = _guarded("containers")


@_containers.get("/v1/containers")
def _containers_view() -> Response:
    context = _context()
    params = context.runner.params
    try:
        listed = context.runner.client.list_containers(
            include_stopped=params.include_stopped, include_restarting=params.include_restarting
        )
        chosen, _ = select(list(listed), params)
    except WatchtowerError as error:
        context.runner.logger.error("Listing the containers failed: %s", error)
        return Response("failed to list containers", status=500)
    name, image = request.args.get("name", ""), request.args.get("image", "")
    statuses = [
        {"name": c.name, "image": c.image.familiar, "image_id": c.image_id, "digest": _digest_of(c)}
        for c in chosen
        if (not name or c.name == name) and (not image or c.image.familiar == image)
    ]
    return _answer(containers=statuses, count=len(statuses), timestamp=context.now())


# Metrics --------------------------------------------------------------------

_metrics = _guarded("metrics")


@_metrics.get("/v1/metrics")
def _metrics_view() -> Response:
    body, content_type = _context().runner.metrics.exposition()
    return Response(body, content_type=content_type)


@_metrics.get("/v1/status")
def _status_view() -> Response:
    context = _context()
    last = context.runner.metrics.last
    if last is None:
        return Response(status=204)
    return _answer(summary=last.summary(), timestamp=context.now())


# History --------------------------------------------------------------------

_history = _guarded("history")


def _parse_time(raw: str) -> datetime | None:
    """An RFC 3339 time or Unix seconds; ``None`` when unreadable or beyond year 9999."""
    text = raw.strip()
    try:
        if text.isascii() and text.isdigit():
            return datetime.fromtimestamp(int(text[:20]), timezone.utc)
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _parse_limit(raw: str) -> int | None:
    """A count of ASCII digits (0: no limit); ``None`` when unreadable."""
    if not (raw.isascii() and raw.isdigit()):
        return None
    return int(raw[:18])


@_history.get("/v1/history")
def _history_view() -> Response:
    context = _context()
    bounds: dict[str, datetime | None] = {}
    for key in ("since", "until"):
        raw = request.args.get(key)
        parsed = None if raw is None else _parse_time(raw)
        if raw is not None and parsed is None:
            return Response(
                f"invalid {key!r} parameter: {raw[:40]!r} is not an RFC 3339 time or Unix seconds",
                status=400,
            )
        bounds[key] = parsed
    since, until = bounds["since"], bounds["until"]
    if since and until and since > until:
        return Response("invalid time range: 'since' must not be after 'until'", status=400)
    raw_limit = request.args.get("limit", "0")
    limit = _parse_limit(raw_limit)
    if limit is None:
        return Response(f"invalid 'limit' parameter: {raw_limit[:40]!r}", status=400)
    entries = [s.to_dict() for s in context.runner.metrics.history(since, until, limit)]
    return _answer(entries=entries, count=len(entries), timestamp=context.now())


# The app --------------------------------------------------------------------

_BLUEPRINTS: Mapping[Endpoint, Blueprint] = {
    "health": _health,
    "update": _update,
    "check": _check,
    "containers": _containers,
    "metrics": _metrics,
    "history": _history,
}


def create_app(
    runner: Runner,
    settings: ApiSettings,
    *,
    ready: Callable[[], bool] | None = None,
) -> Flask:
    """The WSGI application of the HTTP API.

    Args:
        runner: Runs updates one at a time; holds the engine, registry,
            parameters, metrics, logger and clock the views use.
        settings: Which endpoints, and the token.
        ready: The readiness probe (default: the engine lists containers).
    """
    app = Flask("watchtower.cli.api")
    probe = ready if ready is not None else lambda: _engine_answers(runner)
    app.extensions[_EXTENSION] = _Context(runner, settings, probe)
    for name, blueprint in _BLUEPRINTS.items():
        if name in settings.endpoints:
            app.register_blueprint(blueprint)
    if runner.push is not None:
        app.register_blueprint(runner.push.blueprint())
    return app


class ApiServer:
    """Serves a WSGI application with cheroot on a thread of its own.

    Requests reach the application only once their headers are complete,
    within size and time bounds (:mod:`watchtower.cli.guard`).

    Args:
        app: The WSGI application.
        host: The address to bind; empty binds every interface.
        port: The port (0 picks a free one; see :attr:`port`).
        tls_cert: Certificate file; with ``tls_key`` the server speaks HTTPS.
        tls_key: Key file.
    """

    def __init__(
        self, app: WSGIApplication, host: str, port: int, *, tls_cert: str = "", tls_key: str = ""
    ) -> None:
        from .guard import GuardedServer

        self._server = GuardedServer(
            (host or "0.0.0.0", port), app, numthreads=4, server_name="watchtower"
        )
        if tls_cert:
            from cheroot.ssl.builtin import BuiltinSSLAdapter

            self._server.ssl_adapter = BuiltinSSLAdapter(tls_cert, tls_key)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The port bound (after :meth:`start`)."""
        return int(self._server.bind_addr[1])

    def start(self) -> None:
        """Bind the socket (raising on failure) and serve on a thread."""
        self._server.prepare()
        self._thread = threading.Thread(
            target=self._server.serve, name="watchtower-api", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.stop()
        if self._thread is not None:
            self._thread.join(timeout=5)
