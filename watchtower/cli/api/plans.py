"""The plan a server makes and a person acts on: ``POST /v1/plan``, then ``/v1/update?plan=``.

``POST /v1/plan`` plans every host of the fleet as a run would (pulling the
changed images, see :func:`watchtower.hosts.plan_hosts`), after a run in
progress and never beside one (:meth:`Runner.between_runs
<watchtower.cli.runner.Runner.between_runs>`), within the run's share of the
registry quota (``--registry-quota-share``), keeps the plans
for a while under an opaque id (:class:`~._plan_store.PlanStore`) and answers
each entry in one of five groups: ``update`` (replaced), ``restart``
(recreated on its own image, for what it depends on), ``error`` (could not
be checked or pulled), ``skip`` (stale, left alone on purpose) and
``fresh``. Its counts add two that cut across the groups: ``canary``
(entries waiting for the canary hosts, skipped) and ``deferred`` (skipped
because the registry quota's share was spent; checked next run).
``POST /v1/update?plan=<id>`` carries out exactly that plan,
once, less the entries left out (:meth:`Plan.leaving_out
<watchtower.plans.Plan.leaving_out>`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import attrs
from flask import Response, request

from ...canary import Stage
from ...errors import ConfigurationError, WatchtowerError
from ...hosts import plan_hosts
from ...plans import Action, Plan, PlanEntry, Status
from ...report import EntryKind, Report, is_deferred
from ...service_plans import ServiceEntry
from ...sorter import dependency_graph
from ...versions import named_pair, repo_digest
from ..metrics import Scan
from ..openapi import Operation, Param
from ..schemas import STAGE
from . import _base
from ._base import answer, context, digest_of
from ._book import StatusBook, check_status
from ._plan_store import StoredPlan

__all__ = ["GROUPS", "OPERATIONS", "UNKNOWN", "act", "group_of", "plans"]

GROUPS = ("update", "restart", "error", "skip", "fresh")
"""The groups of a plan's entries, in the order they are listed."""

UNKNOWN = "that plan is no longer known (plans are kept 15 minutes); plan again"
"""The error of an id that is unknown or expired."""

USED = "that plan was already carried out; plan again"
"""The error of an id acted on before."""

# The longest one-line reason; the whole one is the entry's detail.
_REASON_LENGTH = 120

_STRING = {"type": "string"}
_TIME = {"type": "string", "format": "date-time"}
_ENTRY = {
    "type": "object",
    "required": ["key", "name", "image", "action", "group", "because", "reason", "detail"],
    "properties": {
        "key": {**_STRING, "description": "Unique within the plan: the host and the name."},
        "host": {**_STRING, "description": "Its host, on a fleet of named hosts only."},
        "name": _STRING,
        "kind": {**_STRING, "description": "service, for a swarm service; absent otherwise."},
        "image": _STRING,
        "action": {"type": "string", "enum": ["update", "restart", "none"]},
        "group": {"type": "string", "enum": list(GROUPS)},
        "because": {
            "type": "array",
            "items": _STRING,
            "description": "For a restart, the updated containers it depends on; else empty.",
        },
        "reason": {**_STRING, "description": "One line of at most 120 characters."},
        "detail": {**_STRING, "description": "The whole reason."},
        "version": _STRING,
        "latest_version": _STRING,
        "digest": _STRING,
        "latest_digest": _STRING,
        "stage": STAGE,
        "deferred": {
            "type": "boolean",
            "description": "True when the registry quota deferred its check to the next run.",
        },
    },
}
_PLAN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "created_at", "expires_at", "counts", "entries", "timestamp"],
    "properties": {
        "id": {**_STRING, "description": "Opaque; give it to POST /v1/update?plan=."},
        "created_at": _TIME,
        "expires_at": _TIME,
        "counts": {
            "type": "object",
            "properties": {
                **{group: {"type": "integer"} for group in GROUPS},
                "canary": {
                    "type": "integer",
                    "description": "Entries whose new image waits for the canary hosts"
                    " (in the skip group).",
                },
                "deferred": {
                    "type": "integer",
                    "description": "Entries the registry quota deferred to the next run"
                    " (in the skip group).",
                },
            },
        },
        "entries": {"type": "array", "items": _ENTRY},
        "pending_repairs": {"type": "array", "items": _STRING},
        "hosts_failed": {"type": "object", "additionalProperties": _STRING},
        "timestamp": _TIME,
    },
}

OPERATIONS = (
    Operation(
        "post",
        "/v1/plan",
        "update",
        "What an update would do now, kept 15 minutes to be carried out with"
        " POST /v1/update?plan=<id> (pulls the changed images, replaces nothing)",
        params=(
            Param("container", "Container names; narrows the configured selection.", repeated=True),
            Param("image", "Image names; narrows the configured selection.", repeated=True),
            Param("timeout", "Longest wait, such as 30s; capped by the flag."),
        ),
        responses={
            400: "A malformed parameter",
            500: "The plan could not be made",
            504: "Too slow (it goes on), or a run in progress outlasted the timeout"
            " (nothing was planned)",
        },
        schema=_PLAN_SCHEMA,
    ),
)

plans = _base.guarded("plan")


@plans.post("/v1/plan")
def _plan_view() -> Response:
    state = context()
    runner = state.runner
    limit = _base.bound(state.settings.update_timeout)
    if isinstance(limit, Response):
        return limit
    try:
        params, _, anything = _base.narrowed(runner)
    except ConfigurationError as bad:
        return answer(400, error=str(bad))
    except WatchtowerError as listing:
        runner.logger.error("The plan failed: %s", listing)
        return answer(500, error="the plan could not be made; see the log")

    def planned() -> tuple[dict[str, Plan], dict[str, str]]:
        if not anything:  # the filters leave nothing of the configured selection
            return {}, {}
        return plan_hosts(
            runner.fleet,
            runner.registry,
            params,
            clock=runner.clock,
            history=runner.history,
            quota=runner.quota,
        )

    # After a run in progress, never beside one: its pulls and its quota are the run's.
    waited = _base.after_run(planned, limit, "plan")
    if isinstance(waited, Response):
        return waited
    done, found, error = waited
    if not done:
        return _base.too_slow("plan", limit)
    if error is not None or found is None:
        runner.logger.error("The plan failed: %s", error)
        return answer(500, error="the plan could not be made; see the log")
    host_plans, failures = found
    named = not runner.fleet.single
    entries = [
        *(
            _entry(host, entry, causes, named)
            for host, the_plan in host_plans.items()
            for causes in [_causes(the_plan, params.use_compose_depends_on)]
            for entry in the_plan.entries
        ),
        *(
            _service(host, entry, named)
            for host, the_plan in host_plans.items()
            for entry in the_plan.services
        ),
    ]
    entries.sort(key=lambda e: (GROUPS.index(e["group"]), e["name"], e.get("host", "")))
    now = runner.clock()
    keys = {e["key"]: (e.get("host", ""), e["name"]) for e in entries}
    stored = state.plans.keep(host_plans, failures, keys, now)
    _note(state.book, host_plans, now)
    counts = {group: sum(1 for e in entries if e["group"] == group) for group in GROUPS}
    counts["canary"] = sum(1 for e in entries if e.get("stage") == Stage.CANARY.value)
    counts["deferred"] = sum(1 for e in entries if e.get("deferred"))
    repairs = sorted(
        _key(host, name, named)
        for host, the_plan in host_plans.items()
        for name in the_plan.pending_repairs
    )
    return answer(
        id=stored.id,
        created_at=_base.timestamp(stored.created_at),
        expires_at=_base.timestamp(stored.expires_at),
        counts=counts,
        entries=entries,
        pending_repairs=repairs,
        hosts_failed=dict(failures),
        timestamp=_base.timestamp(now),
    )


def group_of(entry: PlanEntry | ServiceEntry) -> str:
    """The group of a plan's entry, a container's or a service's (see the module's docstring)."""
    if entry.action is Action.UPDATE:
        return "update"
    if entry.action is Action.RESTART:
        return "restart"
    if entry.error or entry.status is Status.FAILED:
        return "error"
    if entry.status in (Status.STALE, Status.SKIPPED):
        return "skip"
    return "fresh"


def _key(host: str, name: str, named: bool) -> str:
    return f"{host}/{name}" if named else name


def _one_line(reason: str) -> str:
    line = " ".join(reason.split())
    if len(line) <= _REASON_LENGTH:
        return line
    return line[: _REASON_LENGTH - 1].rstrip() + "\u2026"


def _causes(the_plan: Plan, use_compose_depends_on: bool) -> dict[str, list[str]]:
    """For each restart of ``the_plan``, the updates it depends on, directly or through
    other restarts."""
    graph = dependency_graph(
        [e.container for e in the_plan.entries], use_compose_depends_on=use_compose_depends_on
    )
    actions = {e.name: e.action for e in the_plan.actions}
    causes: dict[str, list[str]] = {}
    for name in (n for n, action in actions.items() if action is Action.RESTART):
        found: set[str] = set()
        seen, todo = {name}, [name]
        while todo:
            for dependency in graph.get(todo.pop(), frozenset()):
                if dependency in seen or dependency not in actions:
                    continue
                seen.add(dependency)
                if actions[dependency] is Action.UPDATE:
                    found.add(dependency)
                else:
                    todo.append(dependency)
        causes[name] = sorted(found)
    return causes


def _entry(
    host: str, entry: PlanEntry, causes: Mapping[str, list[str]], named: bool
) -> dict[str, Any]:
    container, group = entry.container, group_of(entry)
    fields: dict[str, Any] = {"key": _key(host, entry.name, named)}
    if named:
        fields["host"] = host
    fields.update(
        name=entry.name,
        image=container.image.familiar,
        action=entry.action.value,
        group=group,
        because=causes.get(entry.name, []) if entry.action is Action.RESTART else [],
        reason="" if group in ("fresh", "update") else _one_line(entry.reason),
        detail=entry.reason,
    )
    version, latest = named_pair(entry.old_version, entry.new_version)
    if version:
        fields["version"] = version
    if latest:
        fields["latest_version"] = latest
    digest = digest_of(container)
    if digest:
        fields["digest"] = digest
    if entry.stage:
        fields["stage"] = entry.stage
    if is_deferred(entry.status.value, entry.reason):
        fields["deferred"] = True
    if entry.new_image is not None:
        latest_digest = repo_digest(entry.new_image.repo_digests, entry.target_reference)
        if latest_digest:
            fields["latest_digest"] = latest_digest
    return fields


def _service(host: str, entry: ServiceEntry, named: bool) -> dict[str, Any]:
    """A swarm service's entry: updated by its engine, never restarted."""
    group = group_of(entry)
    fields: dict[str, Any] = {"key": _key(host, f"service:{entry.name}", named)}
    if named:
        fields["host"] = host
    fields.update(
        name=entry.name,
        kind="service",
        image=entry.service.followed.familiar,
        action=entry.action.value,
        group=group,
        because=[],
        reason="" if group in ("fresh", "update") else _one_line(entry.reason),
        detail=entry.reason,
    )
    if entry.service.image.digest:
        fields["digest"] = entry.service.image.digest
    if entry.new_digest:
        fields["latest_digest"] = entry.new_digest
    return fields


def _note(book: StatusBook, host_plans: Mapping[str, Plan], now: datetime) -> None:
    """What the plan found of each container, for the containers' details."""
    for host, the_plan in host_plans.items():
        for entry in the_plan.entries:
            status = check_status(entry.status, entry.error)
            book.note_check(entry.name, status, now, host=host)
            book.note(entry.name, status, entry.reason, host=host)
            book.note_stage(entry.name, entry.stage, host=host)
            if entry.new_image is not None:
                digest = repo_digest(entry.new_image.repo_digests, entry.target_reference)
                book.note_digest(entry.name, digest, host=host)
            elif entry.status is Status.FRESH:
                book.note_digest(entry.name, digest_of(entry.container), host=host)


# Acting on a plan ------------------------------------------------------------------


def _left_out(stored: StoredPlan, keys: Sequence[str]) -> dict[str, Plan] | Response:
    """The stored plans less the entries ``keys`` names; a 400 answer for a key not in it."""
    unknown = [key for key in keys if key not in stored.keys]
    if unknown:
        return answer(400, error=f"the plan has no entry {unknown[0][:120]!r} to leave out")
    by_host: dict[str, set[str]] = {}
    for key in keys:
        host = stored.keys[key][0]
        by_host.setdefault(host, set()).add(key)
    params = context().runner.params
    acted: dict[str, Plan] = {}
    for host, the_plan in stored.plans.items():
        left = by_host.get(host, set())
        names = [stored.keys[k][1] for k in left if not _is_service(k)]
        services = {stored.keys[k][1] for k in left if _is_service(k)}
        the_plan = the_plan.leaving_out(names, use_compose_depends_on=params.use_compose_depends_on)
        if services:
            kept = tuple(
                s.without_action("left out") if s.name in services else s for s in the_plan.services
            )
            the_plan = attrs.evolve(the_plan, services=kept)
        acted[host] = the_plan
    return acted


def _is_service(key: str) -> bool:
    return key.rpartition("/")[2].startswith("service:")


def act(limit: timedelta) -> Response:
    """``POST /v1/update?plan=<id>``: carry out a stored plan, once, less the entries left out.

    ``limit`` is how long the request waits for the run (the ``timeout``
    query within the flag's bound).
    """
    state = context()
    runner, now = state.runner, state.runner.clock()
    if request.args.getlist("container") or request.args.getlist("image"):
        return answer(400, error="a plan is carried out as it is: give no container or image")
    plan_id = request.args.get("plan", "").strip()
    stored = state.plans.get(plan_id, now)
    if stored is None:
        used = state.plans.used(plan_id, now)
        return answer(409, error=USED if used else UNKNOWN)
    acted = _left_out(stored, _base.query_list("leave_out"))
    if isinstance(acted, Response):
        return acted
    if state.plans.take(plan_id, now) is None:
        return answer(409, error=USED)
    if request.args.get("async", "").lower() == "true":
        # A plan is a targeted run: it waits for one in progress.
        runner.start(runner.params, wait=True, trigger="api", plans=acted)
        return Response(status=202)
    started = time.monotonic()
    done, report, _ = _base.within(
        lambda: runner.run(runner.params, wait=True, trigger="api", plans=acted), limit
    )
    if not done:
        return _base.too_slow("update", limit)
    if report is None:
        return answer(500, error="the update failed; see the log")
    elapsed = time.monotonic() - started
    finished = runner.clock()
    return answer(
        200,
        summary=Scan.of(report, finished).summary(),
        **_base.per_host(runner),
        timing={"duration_ms": int(elapsed * 1000), "duration": f"{elapsed:.3f}s"},
        entries=_outcomes(stored, report, named=not runner.fleet.single),
        timestamp=_base.timestamp(finished),
    )


def _outcomes(stored: StoredPlan, report: Report, *, named: bool) -> list[dict[str, Any]]:
    """What became of each entry the stored plan acted on (left out ones too)."""
    found = {
        (e.host, e.name, e.kind is EntryKind.SERVICE): e
        for e in report.entries
        if e.kind is not EntryKind.HOST
    }
    failed = {e.host: e.reason for e in report.entries if e.kind is EntryKind.HOST}
    outcomes: list[dict[str, Any]] = []
    for host, the_plan in stored.plans.items():
        wanted = [(e.name, False) for e in the_plan.actions]
        wanted += [(s.name, True) for s in the_plan.services if s.action is not Action.NONE]
        for name, service in wanted:
            key = _key(host, f"service:{name}" if service else name, named)
            result = found.get((host, name, service))
            row: dict[str, Any] = {"key": key, "name": name}
            if named:
                row["host"] = host
            if result is not None:
                row.update(outcome=result.outcome.value, reason=result.reason)
            else:
                row.update(outcome="failed", reason=failed.get(host, "its host was not run"))
            outcomes.append(row)
    return outcomes
