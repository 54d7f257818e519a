"""The HTTP API: Watchtower's endpoints on Flask, served by cheroot.

:func:`create_app` builds the WSGI application from a :class:`~watchtower.cli.runner.Runner`
and the settings; :class:`ApiServer` serves it (with TLS when given a
certificate and key) on a thread of its own until stopped.

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
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import attrs
from flask import Flask, Response, jsonify, request

from ..errors import WatchtowerError
from ..model import Container
from ..params import UpdateParams
from ..planner import plan
from ..plans import Status
from ..report import Report
from ..selection import select
from .config import ApiSettings
from .runner import Runner

__all__ = ["RETRY_AFTER", "ApiServer", "check", "create_app"]

#: Seconds a client is asked to wait when a full run is in progress, as the fork.
RETRY_AFTER = "30"


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _query_list(key: str) -> list[str]:
    return [part.strip() for value in request.args.getlist(key)
            for part in value.split(",") if part.strip()]


def _token_of(header: str, cookie: str | None) -> str | None:
    raw = header.strip()
    if raw[:7].lower() == "bearer ":
        raw = raw[7:].strip()
    if raw:
        return raw
    return cookie or None


def _digest_of(container: Container) -> str:
    for entry in container.repo_digests:
        name, _, digest = entry.rpartition("@")
        if name in (container.image.name, container.image.familiar_name):
            return digest
    return container.repo_digests[0].rpartition("@")[2] if container.repo_digests else ""


def _filtered(params: UpdateParams, images: list[str], containers: list[str]) -> UpdateParams:
    changes: dict[str, Any] = {}
    if containers:
        changes["names"] = tuple(c.lstrip("/") for c in containers)
    if images:
        changes["monitor_image_names"] = tuple(images)
    return attrs.evolve(params, **changes) if changes else params


def check(runner: Runner, params: UpdateParams) -> list[dict[str, Any]]:
    """Whether each selected container's image changed, pulling nothing.

    This is :func:`watchtower.plan` with ``pull=False``: one registry digest
    request per distinct image, the same selection, labels and cooldown as a
    run. Containers the check skipped carry the reason as ``error``.
    """
    the_plan = plan(runner.client, runner.registry, params, clock=runner.clock, pull=False)
    now = _now()
    results = []
    for entry in the_plan:
        container = entry.container
        result: dict[str, Any] = {
            "name": container.name, "image": container.image.familiar,
            "image_id": container.image_id, "digest": _digest_of(container),
            "update_available": entry.status is Status.STALE,
            "latest_image_id": entry.new_image.id if entry.new_image else "",
            "latest_digest": "", "timestamp": now,
        }
        if entry.status is Status.SKIPPED:
            result["error"] = entry.reason
        results.append(result)
    return results


def create_app(
    runner: Runner,
    settings: ApiSettings,
    *,
    ready: Callable[[], bool] | None = None,
) -> Flask:
    """The WSGI application of the HTTP API.

    Args:
        runner: Runs updates one at a time and holds the metrics.
        settings: Which endpoints, and the token.
        ready: The readiness probe (default: the engine lists containers).
    """
    app = Flask("watchtower.cli.api")
    endpoints = settings.endpoints
    expected = hashlib.sha256(settings.token.encode()).digest()
    metrics = runner.metrics

    def authorized() -> bool:
        if not settings.token:
            return False
        given = _token_of(request.headers.get("Authorization", ""),
                          request.cookies.get("access_token"))
        if given is None:
            return False
        # Hashing first makes the comparison constant-time whatever the lengths.
        return hmac.compare_digest(expected, hashlib.sha256(given.encode()).digest())

    def guarded(view: Callable[[], Any]) -> Callable[[], Any]:
        def wrapper() -> Any:
            if not authorized():
                runner.logger.warning("Refused an HTTP API request with a missing or "
                                      "invalid token", extra={"ip": request.remote_addr})
                return jsonify(error="missing or invalid API token", api_version="v1"), 401
            return view()

        wrapper.__name__ = view.__name__
        return wrapper

    def probe() -> bool:
        if ready is not None:
            return ready()
        try:
            runner.client.list_containers()
        except Exception:
            return False
        return True

    if "health" in endpoints:
        @app.get("/livez")
        def livez() -> Any:
            return Response("OK", mimetype="text/plain")

        @app.get("/startupz")
        def startupz() -> Any:
            return Response("OK", mimetype="text/plain")

        @app.get("/readyz")
        def readyz() -> Any:
            if probe():
                return Response("OK", mimetype="text/plain")
            return Response("Service Unavailable", status=503, mimetype="text/plain")

    if "update" in endpoints:
        @app.post("/v1/update")
        @guarded
        def update_view() -> Any:
            images, containers = _query_list("image"), _query_list("container")
            params = _filtered(runner.params, images, containers)
            targeted = bool(images or containers)
            asynchronous = request.args.get("async", "").lower() == "true"
            started = time.monotonic()
            if asynchronous:
                if not runner.start(params, wait=targeted):
                    return _busy()
                return Response(status=202)
            if not targeted and runner.busy:
                runner.skip()
                return _busy()
            report = runner.run(params, wait=True)
            if report is None:
                return jsonify(error="the update failed; see the log", api_version="v1"), 500
            elapsed = time.monotonic() - started
            return jsonify(summary=_summary(report),
                           timing={"duration_ms": int(elapsed * 1000),
                                   "duration": f"{elapsed:.3f}s"},
                           timestamp=_now(), api_version="v1")

        def _busy() -> Any:
            response = jsonify(error="another update is already running",
                               api_version="v1", timestamp=_now())
            response.status_code = 429
            response.headers["Retry-After"] = RETRY_AFTER
            return response

    if "check" in endpoints:
        @app.post("/v1/check")
        @guarded
        def check_view() -> Any:
            params = _filtered(runner.params, _query_list("image"), _query_list("container"))
            try:
                results = check(runner, params)
            except WatchtowerError as error:
                runner.logger.error("The check failed: %s", error)
                return Response("failed to check for updates", status=500)
            return jsonify(containers=results, count=len(results), timestamp=_now(),
                           api_version="v1")

    if "containers" in endpoints:
        @app.get("/v1/containers")
        @guarded
        def containers_view() -> Any:
            params = runner.params
            try:
                listed = runner.client.list_containers(
                    include_stopped=params.include_stopped,
                    include_restarting=params.include_restarting)
                chosen, _ = select(list(listed), params)
            except WatchtowerError as error:
                runner.logger.error("Listing the containers failed: %s", error)
                return Response("failed to list containers", status=500)
            name, image = request.args.get("name", ""), request.args.get("image", "")
            statuses = [
                {"name": c.name, "image": c.image.familiar, "image_id": c.image_id,
                 "digest": _digest_of(c)}
                for c in chosen
                if (not name or c.name == name) and (not image or c.image.familiar == image)
            ]
            return jsonify(containers=statuses, count=len(statuses), timestamp=_now(),
                           api_version="v1")

    if "metrics" in endpoints:
        @app.get("/v1/metrics")
        @guarded
        def metrics_view() -> Any:
            body, content_type = metrics.exposition()
            return Response(body, content_type=content_type)

        @app.get("/v1/status")
        @guarded
        def status_view() -> Any:
            last = metrics.last
            if last is None:
                return Response(status=204)
            return jsonify(summary=last.summary(), timestamp=_now(), api_version="v1")

    if "history" in endpoints:
        @app.get("/v1/history")
        @guarded
        def history_view() -> Any:
            bounds: dict[str, datetime | None] = {}
            for key in ("since", "until"):
                raw = request.args.get(key)
                if raw is None:
                    bounds[key] = None
                    continue
                parsed = _parse_time(raw)
                if parsed is None:
                    return Response(f"invalid {key!r} parameter: {raw!r} is not an RFC 3339 "
                                    "time or Unix seconds", status=400)
                bounds[key] = parsed
            since, until = bounds["since"], bounds["until"]
            if since and until and since > until:
                return Response("invalid time range: 'since' must not be after 'until'",
                                status=400)
            raw_limit = request.args.get("limit", "0")
            if not raw_limit.isdigit():
                return Response(f"invalid 'limit' parameter: {raw_limit!r}", status=400)
            entries = [s.to_dict() for s in metrics.history(since, until, int(raw_limit))]
            return jsonify(entries=entries, count=len(entries), timestamp=_now(),
                           api_version="v1")

    return app


def _summary(report: Report) -> dict[str, int]:
    return {"scanned": len(report.scanned), "updated": len(report.updated),
            "failed": len(report.failed), "restarted": len(report.restarted),
            "skipped": len(report.skipped)}


def _parse_time(raw: str) -> datetime | None:
    text = raw.strip()
    if text.isdigit():
        return datetime.fromtimestamp(int(text), timezone.utc)
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


class ApiServer:
    """Serves a WSGI application with cheroot on a thread of its own.

    Args:
        app: The WSGI application.
        host: The address to bind; empty binds every interface.
        port: The port (0 picks a free one; see :attr:`port`).
        tls_cert: Certificate file; with ``tls_key`` the server speaks HTTPS.
        tls_key: Key file.
    """

    def __init__(self, app: Any, host: str, port: int, *, tls_cert: str = "",
                 tls_key: str = "") -> None:
        from cheroot import wsgi

        self._server = wsgi.Server((host or "0.0.0.0", port), app, numthreads=4,
                                   server_name="watchtower")
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
        self._thread = threading.Thread(target=self._server.serve, name="watchtower-api",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.stop()
        if self._thread is not None:
            self._thread.join(timeout=5)
