"""Going back over HTTP: ``POST /v1/rollback`` and ``POST /v1/release``, in the update group.

A rollback (:func:`watchtower.rollback.rollback`) waits for a run in
progress and holds the runs' lock while it replaces the container, as a
targeted ``/v1/update`` does; a release only drops the hold (a no-op for a
watched container that is not held; a 404 for a name that is neither held
nor watched). Both need the
history kept with ``--data-dir``. The holds are listed for the status page.
"""

from __future__ import annotations

from flask import Response, request

from ..._text import quoted
from ...errors import ConfigurationError, ContainerError, RollbackError, WatchtowerError
from ...fleet import Engine, each_host
from ...report import Outcome
from ...selection import select
from ..openapi import Operation, Param
from ..runner import Runner
from ..schemas import ref
from . import _base
from ._base import answer, context

__all__ = ["OPERATIONS", "going_back"]

_NOW = {"type": "string", "format": "date-time"}
_WHICH = (
    Param("container", "The container's name (required)."),
    Param("host", "The host it is on (a hosts file's name); empty for the one engine."),
)

OPERATIONS = (
    Operation(
        "post",
        "/v1/rollback",
        "update",
        "Put a container back on the image it ran before, and hold it there",
        params=(
            *_WHICH,
            Param("to", "A version or an image id or digest it ran, instead of the last one."),
        ),
        responses={
            400: "A missing or malformed parameter, or no history (--data-dir)",
            404: "No such container",
            409: "Nothing to go back to, or its image is gone from the engine",
            500: "The replacement failed and was undone",
        },
        schema={
            "type": "object",
            "required": ["entry", "timestamp"],
            "properties": {"entry": ref("Entry"), "timestamp": _NOW},
        },
        changes="This replaces the container with the image it ran before, and holds it there.",
    ),
    Operation(
        "post",
        "/v1/release",
        "update",
        "Let a container held by a rollback update again",
        params=_WHICH,
        responses={
            400: "A missing parameter, no history (--data-dir), or no such host",
            404: "The container is neither held nor watched",
        },
        schema={
            "type": "object",
            "required": ["released", "timestamp"],
            "properties": {"released": {"type": "boolean"}, "timestamp": _NOW},
        },
        changes="This lets the container held by a rollback be updated again by the next run.",
    ),
    Operation(
        "get",
        "/v1/holds",
        "update",
        "The containers held by a rollback",
        schema={
            "type": "object",
            "required": ["holds", "timestamp"],
            "properties": {"holds": {"type": "array", "items": ref("Hold")}, "timestamp": _NOW},
        },
    ),
)

going_back = _base.guarded("going_back")


def _which() -> tuple[str, str] | Response:
    name = (request.args.get("container") or "").strip().lstrip("/")
    if not name:
        return answer(400, error="the 'container' parameter names the container")
    return name[:256], (request.args.get("host") or "").strip()[:256]


@going_back.post("/v1/rollback")
def _rollback_view() -> Response:
    state = context()
    which = _which()
    if isinstance(which, Response):
        return which
    name, host = which
    to = request.args.get("to")
    try:
        report = state.runner.roll_back(name, to=to.strip() if to else None, host=host)
    except ConfigurationError as error:
        return answer(400, error=str(error))
    except ContainerError as error:
        return answer(404, error=str(error))
    except RollbackError as error:
        return answer(409, error=str(error))
    except WatchtowerError as error:
        state.runner.logger.error("The rollback of %s failed: %s", name, error)
        return answer(500, error="the rollback failed; see the log")
    entry = report.get(name)
    if entry is None or entry.outcome is not Outcome.UPDATED:
        reason = entry.reason if entry is not None else "it was not replaced"
        return answer(500, error=f"{name} was not rolled back: {reason}")
    return answer(200, entry=entry.to_dict(), timestamp=state.now())


@going_back.post("/v1/release")
def _release_view() -> Response:
    state = context()
    which = _which()
    if isinstance(which, Response):
        return which
    history = state.runner.history
    if history is None:
        return answer(400, error="A release needs the history kept with --data-dir.")
    try:
        released = history.release(*which)
    except WatchtowerError as error:
        state.runner.logger.error("The release of %s failed: %s", which[0], error)
        return answer(500, error="the release failed; see the log")
    if not released:
        # Idempotent for a watched container; a name that is nothing here is a mistake, said.
        try:
            known = _watched(state.runner, *which)
        except ConfigurationError as error:  # no such host
            return answer(400, error=str(error))
        if not known:
            name, host = which
            on = f" on host {quoted(host, 80)}" if host else ""
            return answer(
                404, error=f"no container named {quoted(name, 80)} is held or watched{on}"
            )
    return answer(200, released=released, timestamp=state.now())


def _watched(runner: Runner, name: str, host: str) -> bool:
    """Whether ``name`` is a watched container of ``host`` (any host of the fleet for none).

    An engine that cannot be listed counts as knowing it: the release stays
    a no-op rather than a 404 that may be wrong.

    Raises:
        ConfigurationError: The fleet has no host ``host``.
    """
    fleet = runner.fleet.only(host) if host else runner.fleet
    params = runner.params

    def knows(engine: Engine) -> bool:
        listed = engine.client.list_containers(include_stopped=True, include_restarting=True)
        return any(c.name == name for c in select(list(listed), params)[0])

    try:
        found, failures = each_host(fleet, lambda _, engine: knows(engine))
    except WatchtowerError as error:  # the one engine is down
        runner.logger.warning("Could not list the containers for a release: %s", error)
        return True
    return bool(failures) or any(found.values())


@going_back.get("/v1/holds")
def _holds_view() -> Response:
    state = context()
    history = state.runner.history
    try:
        holds = [] if history is None else [h.to_dict() for h in history.holds().values()]
    except WatchtowerError as error:
        state.runner.logger.error("The holds could not be read: %s", error)
        return answer(500, error="the holds could not be read; see the log")
    return answer(200, holds=holds, timestamp=state.now())
