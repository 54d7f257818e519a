"""Approving over HTTP: ``GET /v1/approvals`` and ``POST /v1/approvals/<name>/approve|reject``.

In the update group. An approval is kept in the history (``--data-dir``),
for the digest the update waits with, or the one ``digest`` names (see
:mod:`watchtower.approvals`); then a run for that container starts at once,
as a targeted ``/v1/update`` does (it waits for a run in progress), and its
entry is in the answer. A rejection only records the decision.
"""

from __future__ import annotations

from typing import Any

from flask import Response, request

from ...errors import ApprovalError, WatchtowerError
from ...history import History, State
from ..openapi import Operation, Param
from ..schemas import ref
from . import _base
from ._base import answer, context

__all__ = ["OPERATIONS", "TRIGGER", "approvals"]

#: The trigger of the run an approval starts, in its report and the history.
TRIGGER = "approval"

_DECISION = (
    Param(
        "digest", "The digest approved (12 or more of its hex digits); the one waiting if empty."
    ),
    Param("host", "The host it is on (a hosts file's name); empty for the one engine."),
)
_NOW = {"type": "string", "format": "date-time"}
_DECISION_FIELDS: dict[str, Any] = {"approval": ref("Approval"), "timestamp": _NOW}
_DECIDED = {"type": "object", "required": ["approval", "timestamp"], "properties": _DECISION_FIELDS}
_ERRORS = {
    400: "No history (--data-dir)",
    409: "No update of that container waits, or it waits with another digest",
}

OPERATIONS = (
    Operation(
        "get",
        "/v1/approvals",
        "update",
        "The updates that wait for approval",
        params=(Param("state", "pending (the default), approved, rejected or all."),),
        responses={400: "An unknown state"},
        schema={
            "type": "object",
            "required": ["approvals", "timestamp"],
            "properties": {
                "approvals": {"type": "array", "items": ref("Approval")},
                "timestamp": _NOW,
            },
        },
    ),
    Operation(
        "post",
        "/v1/approvals/{name}/approve",
        "update",
        "Approve the update a container waits for, and run it now",
        params=(
            *_DECISION,
            Param("timeout", "Longest wait for the run, such as 30s; capped by the flag."),
        ),
        responses={**_ERRORS, 504: "The run outlasted --http-api-update-timeout; it goes on"},
        schema={
            "type": "object",
            "required": ["approval", "entry", "timestamp"],
            "properties": {
                **_DECISION_FIELDS,
                "entry": {"allOf": [ref("Entry")], "nullable": True},
            },
        },
        changes="This approves the update the container waits for and replaces it now.",
    ),
    Operation(
        "post",
        "/v1/approvals/{name}/reject",
        "update",
        "Reject the update a container waits for; that digest is not asked for again",
        params=_DECISION,
        responses=_ERRORS,
        schema=_DECIDED,
        changes="This rejects the update the container waits for: that image is not"
        " asked for again.",
    ),
)

approvals = _base.guarded("approvals")

_NO_HISTORY = "Approvals need the history kept with --data-dir."


def _history() -> History | Response:
    history = context().runner.history
    return answer(400, error=_NO_HISTORY) if history is None else history


@approvals.get("/v1/approvals")
def _list_view() -> Response:
    state = context()
    history = _history()
    if isinstance(history, Response):
        return history
    wanted = (request.args.get("state") or State.PENDING.value).strip().lower()
    if wanted != "all" and wanted not in {s.value for s in State}:
        return answer(
            400, error=f"state {wanted[:40]!r} is none of pending, approved, rejected, all"
        )
    try:
        kept = history.approvals().values()
    except WatchtowerError as error:
        state.runner.logger.error("The approvals could not be read: %s", error)
        return answer(500, error="the approvals could not be read; see the log")
    chosen = [a.to_dict() for a in kept if wanted == "all" or a.state.value == wanted]
    return answer(200, approvals=chosen, timestamp=state.now())


def _decide(name: str, approve: bool) -> Response:
    state = context()
    history = _history()
    if isinstance(history, Response):
        return history
    name = name.strip().lstrip("/")[:256]
    host = (request.args.get("host") or "").strip()[:256]
    digest = (request.args.get("digest") or "").strip()[:100]
    try:
        approval = history.decide(name, host, approve, digest)
    except ApprovalError as error:
        return answer(409, error=str(error))
    except WatchtowerError as error:
        state.runner.logger.error("The decision on %s could not be kept: %s", name, error)
        return answer(500, error="the decision could not be kept; see the log")
    state.runner.logger.info(
        "The update of %s to %s was %s", name, approval.shown, approval.state.value
    )
    if not approve:
        return answer(200, approval=approval.to_dict(), timestamp=state.now())
    return _run(name, host, approval.to_dict())


def _run(name: str, host: str, approval: dict[str, object]) -> Response:
    """The run an approval starts, for that container alone."""
    state = context()
    runner = state.runner
    limit = _base.bound(state.settings.update_timeout)
    if isinstance(limit, Response):
        return limit
    params = runner.params.only([name])
    done, report, _ = _base.within(lambda: runner.run(params, wait=True, trigger=TRIGGER), limit)
    if not done:
        return _base.too_slow("run of the approved update", limit)
    if report is None:
        return answer(500, error="the approved update's run failed; see the log")
    entry = next((e for e in report.entries if e.name == name and e.host == host), None)
    return answer(
        200,
        approval=approval,
        entry=entry.to_dict() if entry is not None else None,
        timestamp=state.now(),
    )


@approvals.post("/v1/approvals/<name>/approve")
def _approve_view(name: str) -> Response:
    return _decide(name, True)


@approvals.post("/v1/approvals/<name>/reject")
def _reject_view(name: str) -> Response:
    return _decide(name, False)
