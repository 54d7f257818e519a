"""The HTTP API: Watchtower's endpoints and a status page, as Flask blueprints served by cheroot.

Each endpoint group is a blueprint of module-level views, declared with its
:class:`~watchtower.cli.openapi.Operation` values next to them:
:mod:`~watchtower.cli.api.core` (health, update, metrics and status,
history), :mod:`~watchtower.cli.api.snapshots` (the history's snapshots),
:mod:`~watchtower.cli.api.checks` (check),
:mod:`~watchtower.cli.api.inventory` (containers and their details, images,
config), :mod:`~watchtower.cli.api.stream` (the event stream),
:mod:`~watchtower.cli.api.docs` (the OpenAPI document and ``/swagger``) and
:mod:`~watchtower.cli.api.page` (the status page).
:func:`create_app` registers the groups the settings enable, with the
hardening of :mod:`~watchtower.cli.api.hardening`, and puts what the views
read in the app's ``extensions``, so two apps share nothing.
:class:`ApiServer` serves an app (with TLS when given a certificate and key)
on a thread of its own until stopped.

Endpoints (each only when enabled): ``GET /livez``, ``/readyz``,
``/startupz`` (health, no token); ``POST /v1/update``; ``POST /v1/check``;
``GET /v1/containers`` and ``/v1/containers/details``; ``GET /v1/images``;
``GET /v1/config``; ``GET /v1/metrics`` and ``/v1/status`` (metrics);
``GET /v1/history`` and ``/v1/history/snapshots``; ``GET /v1/events`` (its
own token, or the API token);
``GET /v1/openapi.json`` and ``/swagger/`` (no token); ``GET /`` (the
status page, with a login form). The others need
``Authorization: Bearer <token>`` or the ``access_token`` cookie.
"""

from __future__ import annotations

from .app import OPERATIONS, ApiServer, create_app
from .checks import CheckResult, check
from .core import RETRY_AFTER
from .core import parse_time as _parse_time  # noqa: F401  (the fuzz tests read it)

__all__ = ["OPERATIONS", "RETRY_AFTER", "ApiServer", "CheckResult", "check", "create_app"]
