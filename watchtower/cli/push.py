"""Push endpoints of the HTTP API: registries' notifications queued for a run.

With ``--push-sources`` set, the API serves (each only for its source):

``POST /v1/push/registry``
    A CNCF distribution registry's notifications (its config's
    ``notifications: endpoints:`` entry, with the header
    ``Authorization: Bearer <--http-api-token>``).
``POST /v1/push/dockerhub/<secret>``
    A Docker Hub webhook. Docker Hub sends no header of the user's, so the
    secret (``--push-secret``) is in the URL.
``POST /v1/push``
    The plain form ``{"repository", "tag", "digest"}`` (or a list of them),
    with the API's bearer token, for CI jobs and other registries' hooks.

A payload that is read is answered ``202`` with how many events it held and
how many were queued (a duplicate or a digest already taken is not); an
unreadable one ``400``, a wrong token or secret ``401``, each with one log
line and never a run. Queued events run through the function the receiver
is given (the :class:`~.runner.Runner`'s :meth:`~.runner.Runner.run_pushed`),
after a run in progress (see :class:`watchtower.push.PushQueue`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from flask import Blueprint, Response, jsonify, request

from ..clock import Clock
from ..errors import PushEventError
from ..push import PARSERS, PushEvent, PushQueue
from .api._base import context, given_token, same_secret
from .push_settings import PushSettings, Source

__all__ = ["PushReceiver"]

# How long a burst of pushes is gathered into one run.
_WINDOW = timedelta(seconds=1)


class PushReceiver:
    """Push events in, runs out: the API's push endpoints and their queue.

    Args:
        run: Runs each batch (:meth:`Runner.run_pushed <.runner.Runner.run_pushed>`).
        settings: The sources accepted and Docker Hub's secret. The other
            sources take the API's bearer token.
        logger: Where each push received or refused is logged.
        clock: The current time, when an event was received.
        window: How long a burst is gathered into one run.
    """

    def __init__(
        self,
        run: Callable[[tuple[PushEvent, ...]], object],
        settings: PushSettings,
        *,
        logger: logging.Logger,
        clock: Clock,
        window: timedelta = _WINDOW,
    ) -> None:
        self.settings = settings
        self.logger = logger
        self.clock = clock
        self.queue = PushQueue(run, window=window)

    def start(self) -> None:
        """Start running queued events."""
        self.queue.start()

    def stop(self) -> None:
        """Stop running queued events; a run in progress finishes."""
        self.queue.stop()

    def _refuse(self, source: Source, status: int, reason: str) -> Response:
        self.logger.warning(
            "Refused a %s push: %s", source, reason, extra={"ip": request.remote_addr}
        )
        response = jsonify(api_version="v1", error=reason)
        response.status_code = status
        return response

    def _receive(self, source: Source, authorised: bool) -> Response:
        if not authorised:
            what = "secret" if source == "dockerhub" else "token"
            return self._refuse(source, 401, f"missing or invalid {what}")
        try:
            events = PARSERS[source](request.get_data(), received=self.clock())
        except PushEventError as error:
            return self._refuse(source, 400, str(error))
        held, queued = len(events), self.queue.submit(events)
        # A registry posts every blob too: only what gets queued is worth a line.
        self.logger.log(
            logging.INFO if queued else logging.DEBUG,
            "Received a %s push: %d events, %d queued",
            source,
            held,
            queued,
        )
        response = jsonify(api_version="v1", events=held, queued=queued)
        response.status_code = 202
        return response

    def blueprint(self) -> Blueprint:
        """The endpoints of the accepted sources, as a Flask blueprint."""
        blueprint = Blueprint("push", __name__)
        sources = self.settings.sources

        def token_ok() -> bool:
            return context().accepts(given_token())

        if "registry" in sources:

            @blueprint.post("/v1/push/registry")
            def _registry() -> Response:
                return self._receive("registry", token_ok())

        if "dockerhub" in sources:

            @blueprint.post("/v1/push/dockerhub/<secret>")
            def _dockerhub(secret: str) -> Response:
                return self._receive("dockerhub", same_secret(self.settings.secret, secret))

        if "generic" in sources:

            @blueprint.post("/v1/push")
            def _generic() -> Response:
                return self._receive("generic", token_ok())

        return blueprint
