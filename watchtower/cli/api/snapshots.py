"""The snapshots of protected volumes over HTTP: ``GET /v1/history/snapshots``.

Each snapshot a run took before replacing a container whose
``snapshot-volumes`` label protects volumes, as the history keeps it
(:class:`~watchtower.history.Snapshot`): those still available, or with
``removed=true`` also those a later snapshot had removed. It needs the
history kept with ``--data-dir``, and is in the history group, beside
``/v1/history``.
"""

from __future__ import annotations

from flask import Response, request

from ...errors import WatchtowerError
from ..openapi import Operation, Param
from ..schemas import ref
from . import _base
from ._base import answer, context, error

__all__ = ["OPERATIONS", "snapshots"]

_NOW = {"type": "string", "format": "date-time"}

OPERATIONS = (
    Operation(
        "get",
        "/v1/history/snapshots",
        "history",
        "The snapshots of protected volumes the runs took, newest last",
        params=(
            Param("name", "Only this container's."),
            Param("host", "Only this engine's (a hosts file's name)."),
            Param(
                "removed",
                "Also those a later snapshot of their volume had removed (--snapshot-keep).",
                "boolean",
            ),
            Param("limit", "The newest this many (0: all).", "integer"),
            Param(
                "before",
                "Only those whose id is below this: the smallest id of a page gives the "
                "page before it.",
                "integer",
            ),
        ),
        responses={400: "A malformed parameter, or no history (--data-dir)"},
        schema={
            "type": "object",
            "required": ["entries", "count", "timestamp"],
            "properties": {
                "entries": {"type": "array", "items": ref("HistorySnapshot")},
                "count": {"type": "integer"},
                "timestamp": _NOW,
            },
        },
    ),
)

snapshots = _base.guarded("snapshots")


def _count(raw: str) -> int | None:
    """A count of ASCII digits; ``None`` when unreadable."""
    return int(raw[:18]) if raw.isascii() and raw.isdigit() else None


@snapshots.get("/v1/history/snapshots")
def _snapshots_view() -> Response:
    state = context()
    numbers: dict[str, int | None] = {}
    for key, default in (("limit", "0"), ("before", None)):
        raw = request.args.get(key, default)
        numbers[key] = None if raw is None else _count(raw)
        if raw is not None and numbers[key] is None:
            return error(400, f"invalid {key!r} parameter: {raw[:40]!r} is not a count")
    history = state.runner.history
    if history is None:
        return error(400, "the snapshots need a history kept with --data-dir")
    try:
        found = history.snapshots(
            name=request.args.get("name"),
            host=request.args.get("host"),
            removed=_base.flag("removed"),
            limit=numbers["limit"] or 0,
            before=numbers["before"],
        )
    except WatchtowerError as problem:
        state.runner.logger.error("The snapshots could not be read: %s", problem)
        return answer(500, error="the snapshots could not be read; see the log")
    entries = [s.to_dict() for s in reversed(found)]
    return answer(entries=entries, count=len(entries), timestamp=state.now())
