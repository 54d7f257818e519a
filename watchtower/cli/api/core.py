"""The fork's core endpoints: health, update, metrics and status, history."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any

import attrs
from flask import Blueprint, Response, request

from ..._text import parse_bool
from ...errors import ConfigurationError, WatchtowerError
from ...fleet import each_host
from ...history import Change, History, Run
from ..metrics import Scan
from ..openapi import Operation, Param
from ..runner import Runner
from . import _base, plans
from ._base import answer, context, text

__all__ = ["OPERATIONS", "RETRY_AFTER", "health", "history", "metrics", "update"]

#: Seconds a client is asked to wait when a full run is in progress, as the fork.
RETRY_AFTER = "30"

_FILTERS = (
    Param("container", "Container names; narrows the configured selection.", repeated=True),
    Param("image", "Image names; narrows the configured selection.", repeated=True),
)

_SUMMARY = {"type": "object", "additionalProperties": {"type": "integer"}}
# Present when the run covered several engines (a hosts file): each host's summary.
_HOSTS = {"type": "object", "additionalProperties": _SUMMARY}

OPERATIONS = (
    Operation("get", "/livez", "health", "Liveness probe", auth="none", content_type="text/plain"),
    Operation(
        "get", "/startupz", "health", "Startup probe", auth="none", content_type="text/plain"
    ),
    Operation(
        "get",
        "/readyz",
        "health",
        "Readiness probe: the engine answers",
        auth="none",
        content_type="text/plain",
        responses={503: "The engine does not answer"},
    ),
    Operation(
        "post",
        "/v1/update",
        "update",
        "Update the containers now (all, or those the filters name)",
        params=(
            *_FILTERS,
            Param("async", "Answer 202 at once and run in the background.", "boolean"),
            Param("timeout", "Longest wait for the run, such as 30s; capped by the flag."),
            Param(
                "force",
                "Replace stale containers outside their maintenance windows too.",
                "boolean",
            ),
        ),
        responses={
            202: "The run started in the background",
            400: "A malformed parameter",
            429: "A full run is already going (see Retry-After)",
            500: "The run failed",
            504: "The run outlasted the timeout; it goes on",
        },
        schema={
            "type": "object",
            "properties": {
                "summary": _SUMMARY,
                "hosts": _HOSTS,
                "timing": {"type": "object"},
                "timestamp": {"type": "string"},
            },
        },
    ),
    Operation(
        "get",
        "/v1/metrics",
        "metrics",
        "Prometheus metrics",
        content_type="text/plain",
    ),
    Operation(
        "get",
        "/v1/status",
        "metrics",
        "The last run's summary",
        responses={204: "No run yet"},
        schema={"type": "object", "properties": {"summary": _SUMMARY, "hosts": _HOSTS}},
    ),
    Operation(
        "get",
        "/v1/history",
        "history",
        "The past runs (or, with changes=true, the container changes), newest last",
        params=(
            Param("since", "RFC 3339 time or Unix seconds."),
            Param("until", "RFC 3339 time or Unix seconds."),
            Param("limit", "The newest this many (0: all).", "integer"),
            Param(
                "before",
                "Only those whose id is below this: the smallest id of a page gives the "
                "page before it (needs --data-dir).",
                "integer",
            ),
            Param(
                "changes",
                "The containers updated, restarted or failed, one entry each, instead of "
                "the runs (needs --data-dir).",
                "boolean",
            ),
            Param("name", "With changes: only this container's."),
            Param("host", "With changes: only this engine's (a hosts file's name)."),
        ),
        responses={400: "A malformed parameter, or a parameter that needs --data-dir"},
        schema={
            "type": "object",
            "properties": {
                "entries": {"type": "array", "items": {"type": "object"}},
                "count": {"type": "integer"},
            },
        },
    ),
)


# Health ---------------------------------------------------------------------

health = Blueprint("health", __name__)


@health.get("/livez")
def _livez() -> Response:
    return text("OK")


@health.get("/startupz")
def _startupz() -> Response:
    return text("OK")


@health.get("/readyz")
def _readyz() -> Response:
    if context().ready():
        return text("OK")
    return text("Service Unavailable", 503)


def engine_answers(runner: Runner) -> bool:
    """The default readiness probe: an engine of the fleet lists its containers."""
    try:
        answers, _ = each_host(runner.fleet, lambda host, engine: engine.client.list_containers())
    except Exception:
        return False
    return bool(answers)


# Update ---------------------------------------------------------------------

update = _base.guarded("update")


def _busy() -> Response:
    response = answer(429, error="another update is already running", timestamp=context().now())
    response.headers["Retry-After"] = RETRY_AFTER
    return response


@update.post("/v1/update")
def _update_view() -> Response:
    state = context()
    runner = state.runner
    limit = _base.bound(state.settings.update_timeout)
    if isinstance(limit, Response):
        return limit
    if "plan" in request.args:
        return plans.act(limit)
    force = _force()
    if force is None:
        raw = request.args.get("force", "")
        return answer(400, error=f"invalid 'force' parameter: {raw[:40]!r} is not true or false")
    try:
        params, targeted, anything = _base.narrowed(runner)
    except ConfigurationError as error:
        return answer(400, error=str(error))
    except WatchtowerError as error:
        runner.logger.error("The update failed: %s", error)
        return answer(500, error="the update failed; see the log")
    if force:
        params = attrs.evolve(params, ignore_windows=True)
    started = time.monotonic()
    if not anything:
        # The filters leave nothing of the configured selection: nothing to run.
        return answer(
            summary=Scan(runner.clock(), 0, 0, 0, 0, 0).summary(),
            timing={"duration_ms": 0, "duration": "0.000s"},
            timestamp=state.now(),
        )
    if request.args.get("async", "").lower() == "true":
        # A targeted run waits for one in progress, a full one is skipped.
        if not runner.start(params, wait=targeted, trigger="api"):
            return _busy()
        return Response(status=202)
    if not targeted and runner.busy:
        runner.skip()
        return _busy()
    done, report, _ = _base.within(lambda: runner.run(params, wait=True, trigger="api"), limit)
    if not done:
        return _base.too_slow("update", limit)
    if report is None:
        return answer(500, error="the update failed; see the log")
    elapsed = time.monotonic() - started
    now = runner.clock()
    return answer(
        200,
        summary=Scan.of(report, now).summary(),
        **_base.per_host(runner),
        timing={"duration_ms": int(elapsed * 1000), "duration": f"{elapsed:.3f}s"},
        timestamp=_base.timestamp(now),
    )


def _force() -> bool | None:
    """The ``force`` query: replace outside the windows too; ``None`` when unreadable."""
    raw = request.args.get("force", "").strip()
    if not raw:
        return False
    try:
        return parse_bool(raw)
    except ValueError:
        return None


# Metrics --------------------------------------------------------------------

metrics = _base.guarded("metrics")


@metrics.get("/v1/metrics")
def _metrics_view() -> Response:
    body, content_type = context().runner.metrics.exposition()
    return Response(body, content_type=content_type)


@metrics.get("/v1/status")
def _status_view() -> Response:
    state = context()
    last = state.runner.metrics.last
    if last is None:
        return Response(status=204)
    hosts = _base.per_host(state.runner)
    return answer(200, summary=last.summary(), **hosts, timestamp=state.now())


# History --------------------------------------------------------------------

history = _base.guarded("history")


def parse_time(raw: str) -> datetime | None:
    """An RFC 3339 time or Unix seconds; ``None`` when unreadable or beyond year 9999."""
    value_text = raw.strip()
    try:
        if value_text.isascii() and value_text.isdigit():
            return datetime.fromtimestamp(int(value_text[:20]), timezone.utc)
        value = datetime.fromisoformat(value_text.replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _parse_limit(raw: str) -> int | None:
    """A count of ASCII digits (0: no limit); ``None`` when unreadable."""
    if not (raw.isascii() and raw.isdigit()):
        return None
    return int(raw[:18])


@history.get("/v1/history")
def _history_view() -> Response:
    state = context()
    bounds: dict[str, datetime | None] = {}
    for key in ("since", "until"):
        raw = request.args.get(key)
        parsed = None if raw is None else parse_time(raw)
        if raw is not None and parsed is None:
            return text(
                f"invalid {key!r} parameter: {raw[:40]!r} is not an RFC 3339 time or Unix seconds",
                400,
            )
        bounds[key] = parsed
    since, until = bounds["since"], bounds["until"]
    if since and until and since > until:
        return text("invalid time range: 'since' must not be after 'until'", 400)
    numbers: dict[str, int | None] = {}
    for key, default in (("limit", "0"), ("before", None)):
        raw = request.args.get(key, default)
        numbers[key] = None if raw is None else _parse_limit(raw)
        if raw is not None and numbers[key] is None:
            return text(f"invalid {key!r} parameter: {raw[:40]!r}", 400)
    limit, before = numbers["limit"] or 0, numbers["before"]
    raw_changes = request.args.get("changes", "false").strip().lower()
    if raw_changes not in ("true", "false", "1", "0"):
        return text(f"invalid 'changes' parameter: {raw_changes[:40]!r}", 400)
    kept = state.runner.history
    if kept is not None:
        entries = _kept(kept, raw_changes in ("true", "1"), since, until, limit, before)
    elif raw_changes in ("true", "1") or before is not None:
        return text("changes and 'before' need a history kept with --data-dir", 400)
    else:
        entries = [s.to_dict() for s in state.runner.metrics.history(since, until, limit)]
    return answer(entries=entries, count=len(entries), timestamp=state.now())


def _kept(
    kept: History,
    changes: bool,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    before: int | None,
) -> list[dict[str, Any]]:
    """The newest ``limit`` runs or changes of the history within the bounds, newest last."""
    # A time bound reads the whole page range, then keeps the newest within it.
    wanted = 0 if since or until else limit
    found: list[Run] | list[Change]
    if changes:
        name, host = request.args.get("name"), request.args.get("host")
        found = kept.changes(name=name, host=host, limit=wanted, before=before)
    else:
        found = kept.runs(limit=wanted, before=before)
    within = [
        item
        for item in found
        if (since is None or _at(item) >= since) and (until is None or _at(item) <= until)
    ]
    if limit > 0:
        within = within[:limit]
    return [item.to_dict() for item in reversed(within)]


def _at(item: Run | Change) -> datetime:
    return item.finished_at if isinstance(item, Run) else item.at
