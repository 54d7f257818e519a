"""Quarantined digests over HTTP: ``GET /v1/quarantine``, ``POST /v1/quarantine/release``.

A digest whose update failed is quarantined in the history (see
:mod:`watchtower.quarantine`); the list shows each one, active or released,
and the release lets the next run move containers to it again, as
``watchtower release-digest`` does. Both need the history kept with
``--data-dir``; they are in the update group.
"""

from __future__ import annotations

from flask import Response, request

from ...errors import QuarantineError, WatchtowerError
from ..openapi import Operation, Param
from ..schemas import ref
from . import _base
from ._base import answer, context

__all__ = ["OPERATIONS", "quarantine"]

_NOW = {"type": "string", "format": "date-time"}

OPERATIONS = (
    Operation(
        "get",
        "/v1/quarantine",
        "update",
        "The digests quarantined because their update failed, active or released",
        schema={
            "type": "object",
            "required": ["quarantined", "timestamp"],
            "properties": {
                "quarantined": {"type": "array", "items": ref("Quarantine")},
                "timestamp": _NOW,
            },
        },
    ),
    Operation(
        "post",
        "/v1/quarantine/release",
        "update",
        "Let runs move containers to a quarantined digest again",
        params=(
            Param(
                "digest",
                "The digest (required): all of it, or 12 or more of its first hex digits.",
            ),
            Param("by", "Who releases it, or why; kept with it."),
        ),
        responses={
            400: "A missing or malformed digest, or no history (--data-dir)",
            404: "No quarantined digest matches, or several do",
        },
        schema={
            "type": "object",
            "required": ["released", "timestamp"],
            "properties": {"released": ref("Quarantine"), "timestamp": _NOW},
        },
        changes="This lets the next run move containers to this digest again.",
    ),
)

quarantine = _base.guarded("quarantine")


@quarantine.get("/v1/quarantine")
def _list_view() -> Response:
    state = context()
    history = state.runner.history
    try:
        found = [] if history is None else list(history.quarantined().values())
    except WatchtowerError as error:
        state.runner.logger.error("The quarantined digests could not be read: %s", error)
        return answer(500, error="the quarantined digests could not be read; see the log")
    found.sort(key=lambda q: q.at, reverse=True)
    return answer(200, quarantined=[q.to_dict() for q in found], timestamp=state.now())


@quarantine.post("/v1/quarantine/release")
def _release_view() -> Response:
    state = context()
    digest = (request.args.get("digest") or "").strip()[:200]
    if not digest:
        return answer(400, error="the 'digest' parameter names the digest to release")
    history = state.runner.history
    if history is None:
        return answer(400, error="A release needs the history kept with --data-dir.")
    by = (request.args.get("by") or "").strip()[:200] or "the HTTP API"
    try:
        released = history.release_digest(digest, by=by)
    except QuarantineError as error:
        status = 400 if "is no digest" in str(error) else 404
        return answer(status, error=str(error))
    except WatchtowerError as error:
        state.runner.logger.error("The release of %s failed: %s", digest, error)
        return answer(500, error="the release failed; see the log")
    return answer(200, released=released.to_dict(), timestamp=state.now())
