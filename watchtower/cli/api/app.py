"""The app factory and its server: :func:`create_app` and :class:`ApiServer`."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Flask, Response, request
from werkzeug.exceptions import HTTPException

from ..api_settings import ApiSettings, Endpoint
from ..broadcast import Broadcaster
from ..openapi import Operation
from ..runner import Runner
from . import (
    approvals,
    checks,
    core,
    docs,
    going_back,
    inventory,
    page,
    plans,
    quarantine,
    snapshots,
    stream,
)
from ._base import EXTENSION, OPERATIONS_KEY, Context, QueryError, error
from ._book import StatusBook
from .hardening import harden

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

__all__ = ["ApiServer", "create_app"]

# Each endpoint group's blueprints.
_BLUEPRINTS: Mapping[Endpoint, tuple[Blueprint, ...]] = {
    "health": (core.health,),
    "update": (
        core.update,
        plans.plans,
        going_back.going_back,
        approvals.approvals,
        quarantine.quarantine,
    ),
    "check": (checks.checks,),
    "containers": (inventory.containers,),
    "metrics": (core.metrics,),
    "history": (core.history, snapshots.snapshots),
    "images": (inventory.images,),
    "config": (inventory.configs,),
    "events": (stream.events,),
    "swagger": (docs.swagger,),
    "page": (page.page,),
}

#: Every operation the API declares, for its OpenAPI document.
OPERATIONS: tuple[Operation, ...] = (
    *core.OPERATIONS,
    *plans.OPERATIONS,
    *going_back.OPERATIONS,
    *approvals.OPERATIONS,
    *quarantine.OPERATIONS,
    *snapshots.OPERATIONS,
    *checks.OPERATIONS,
    *inventory.OPERATIONS,
    *stream.OPERATIONS,
    *docs.OPERATIONS,
    *page.OPERATIONS,
)


class _App(Flask):
    """Flask, whose line for an unexpected error hides secrets in the request's path."""

    def log_exception(
        self, exc_info: tuple[type, BaseException, Any] | tuple[None, None, None]
    ) -> None:
        """Log an error of a view (Flask's line, with Docker Hub's push secret hidden)."""
        from ..guard import redacted

        self.logger.error(
            "Exception on %s [%s]", redacted(request.path), request.method, exc_info=exc_info
        )


def _too_large(raised: OSError) -> Response:
    # cheroot's chunked reader says a body is over its bound with a bare OSError.
    if str(raised) != "Request Entity Too Large":
        raise raised
    return error(413, "request body too large")


# Flask's own errors, each as one sentence; the others say what werkzeug calls them.
_SENTENCES = {
    404: "no such endpoint: {method} {path}",
    405: "{method} is not allowed on {path}",
    413: "request body too large",
    500: "the request failed on the server; see the log",
}


def _http_error(raised: HTTPException) -> HTTPException | Response:
    """Flask's own error answers (404, 405, 413, 500...) as JSON ``{"error": ...}``."""
    status = raised.code
    if status is None or status < 400:
        return raised  # a redirect werkzeug routes with
    from ..guard import redacted

    sentence = _SENTENCES.get(status, f"{(raised.name or 'error').lower()}")
    response = error(
        status, sentence.format(method=request.method, path=redacted(request.path)[:200])
    )
    # The headers werkzeug gives it (Allow on a 405) stay.
    for key, value in raised.get_headers():
        if key.lower() != "content-type":
            response.headers[key] = value
    return response


def _bad_query(raised: QueryError) -> Response:
    return error(400, str(raised))


def create_app(
    runner: Runner,
    settings: ApiSettings,
    *,
    ready: Callable[[], bool] | None = None,
    next_run: Callable[[], datetime | None] | None = None,
    monotonic: Callable[[], float] = time.monotonic,
    extra: Sequence[Blueprint] = (),
) -> Flask:
    """The WSGI application of the HTTP API.

    It subscribes to the runner's events (for ``/v1/events`` and the
    containers' statuses). Another module adds an endpoint by registering
    its own blueprint on the app this returns.

    Args:
        runner: Runs updates one at a time; holds the engine, registry,
            parameters, metrics, logger and clock the views use.
        settings: Which endpoints, the tokens and the hardening.
        ready: The readiness probe (default: the engine lists containers).
        next_run: When the schedule runs next, for the status page.
        monotonic: Seconds from a monotonic clock, for the rate limits.
        extra: More endpoints, served whatever ``settings.endpoints`` say:
            the push receiver's (:meth:`PushReceiver.blueprint
            <watchtower.cli.push.PushReceiver.blueprint>`).
    """
    app = _App(
        "watchtower.cli.api",
        template_folder=str(page.WEB / "templates"),
        static_folder=str(page.WEB / "static"),
        static_url_path="/static/watchtower",
    )
    broadcaster, book = Broadcaster(), StatusBook()
    runner.add_observer(book)
    runner.add_observer(broadcaster)
    app.extensions[EXTENSION] = Context(
        runner,
        settings,
        ready if ready is not None else lambda: core.engine_answers(runner),
        broadcaster,
        book,
        next_run if next_run is not None else lambda: None,
    )
    app.config[OPERATIONS_KEY] = tuple(op for op in OPERATIONS if op.group in settings.endpoints)
    harden(app, settings, now=monotonic)
    # Past the door, cheroot's own bound on a body is an answer, not an error.
    app.register_error_handler(OSError, _too_large)
    # Every error answer is JSON, Flask's own ones too.
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(QueryError, _bad_query)
    for name, blueprints in _BLUEPRINTS.items():
        if name in settings.endpoints:
            for blueprint in blueprints:
                app.register_blueprint(blueprint)
    for blueprint in extra:
        app.register_blueprint(blueprint)
    return app


class ApiServer:
    """Serves a WSGI application with cheroot on a thread of its own.

    Requests reach the application only once they are all in (line,
    headers and body, and the TLS handshake before them), within size and
    time bounds (:mod:`watchtower.cli.guard`). Stopping the
    server ends the event streams of an app made by :func:`create_app`.

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
        from ..guard import DeferredTLSAdapter, GuardedServer

        self._app = app
        # Each open event stream holds a worker: room for them and for the rest.
        self._server = GuardedServer(
            (host or "0.0.0.0", port), app, numthreads=12, server_name="watchtower"
        )
        if tls_cert:
            # The handshake happens at the door, not where connections are accepted.
            self._server.ssl_adapter = DeferredTLSAdapter(tls_cert, tls_key)
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
        """End the event streams, stop serving and close the socket."""
        state = getattr(self._app, "extensions", {}).get(EXTENSION)
        if isinstance(state, Context):
            state.broadcaster.close()
        self._server.stop()
        if self._thread is not None:
            self._thread.join(timeout=5)
